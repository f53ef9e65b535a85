//! What a person types into a search box. It becomes a SQL `LIKE '%…%'`
//! pattern, which scans and compares at a cost that grows with its length, so
//! its length is bounded here, for every search, before any query runs.

use super::DomainError;

/// The longest search anybody may run, in characters.
pub const SEARCH_MAX_CHARS: usize = 200;

/// `query` trimmed, or a message that says how long it may be.
pub fn search_text(query: &str) -> Result<&str, DomainError> {
    let query = query.trim();
    if query.chars().count() > SEARCH_MAX_CHARS {
        return Err(DomainError::invalid(
            "search",
            format!("Search for at most {SEARCH_MAX_CHARS} characters."),
        ));
    }
    Ok(query)
}
