//! The log of SCIM operations: every SCIM request, success or error, leaves one
//! row (method, path without query, status, outcome; never a body or a token),
//! kept [`KEEP_DAYS`] days.

use crate::{
    db::{
        Db,
        directory::operations::{self as store, NewOperation},
    },
    domain::{DomainError, now},
};

/// How long SCIM operations are kept.
pub const KEEP_DAYS: i64 = 30;

/// Appends one operation (its own statement: the log must keep a refused
/// request whose transaction rolled back).
pub async fn record(db: &Db, op: &NewOperation<'_>) -> Result<(), DomainError> {
    store::insert(db.pool(), op).await?;
    Ok(())
}

/// Deletes the operations older than [`KEEP_DAYS`]; returns how many.
pub async fn prune(db: &Db) -> Result<u64, DomainError> {
    Ok(store::delete_older_than(db.pool(), now() - KEEP_DAYS * 86_400).await?)
}
