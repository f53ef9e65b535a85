//! What a person types into a search box. It becomes a SQL `LIKE '%…%'`
//! pattern, which scans and compares at a cost that grows with its length, so
//! its length is bounded here, for every search, before any query runs.

use super::DomainError;
use crate::{
    db::{Db, users},
    types::PersonRef,
};

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

/// People whose name or email contains `query` (the pickers), by name.
pub async fn people(db: &Db, query: &str, limit: i64) -> Result<Vec<PersonRef>, DomainError> {
    let query = search_text(query)?;
    let rows = users::search(db, query, limit).await?;
    Ok(rows
        .into_iter()
        .map(|u| PersonRef {
            id: u.id,
            name: u.name,
            email: u.email,
        })
        .collect())
}
