//! What a person types into a search box. It becomes SQL `LIKE '%…%'`
//! patterns (behind a trigram index for the catalog), which compare at a cost
//! that grows with their length and number, so both are bounded here, for every
//! search, before any query runs.

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

/// The most words a search of several words may have: each is one more
/// condition of the query.
pub const SEARCH_MAX_WORDS: usize = 16;

/// `query` trimmed, as `search_text`, and of at most `SEARCH_MAX_WORDS` words.
pub fn words_text(query: &str) -> Result<&str, DomainError> {
    let query = search_text(query)?;
    if query.split_whitespace().count() > SEARCH_MAX_WORDS {
        return Err(DomainError::invalid(
            "search",
            format!("Search for at most {SEARCH_MAX_WORDS} words."),
        ));
    }
    Ok(query)
}
