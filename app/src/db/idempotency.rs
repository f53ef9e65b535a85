//! Idempotency keys of the JSON API (`api_idempotency_keys`): hashes only.

use sqlx::{Any, Executor};

use super::DbError;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyRow {
    pub request_hash: String,
    /// `None` while the first call is under way.
    pub status: Option<i64>,
    pub body: Option<String>,
}

/// Claims `(caller, key_hash)` for a first call; `false` when the key is
/// already taken (the primary key decides, so of two concurrent calls exactly
/// one claims it).
pub async fn claim<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    (caller, key_hash): (&str, &str),
    request_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO api_idempotency_keys (caller, key_hash, request_hash, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (caller, key_hash) DO NOTHING",
    )
    .bind(caller)
    .bind(key_hash)
    .bind(request_hash)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    (caller, key_hash): (&str, &str),
) -> Result<Option<KeyRow>, DbError> {
    Ok(sqlx::query_as(
        "SELECT request_hash, status, body FROM api_idempotency_keys \
         WHERE caller = $1 AND key_hash = $2",
    )
    .bind(caller)
    .bind(key_hash)
    .fetch_optional(ex)
    .await?)
}

/// Keeps the first call's answer.
pub async fn answer<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    (caller, key_hash): (&str, &str),
    status: i64,
    body: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE api_idempotency_keys SET status = $1, body = $2 \
         WHERE caller = $3 AND key_hash = $4 AND status IS NULL",
    )
    .bind(status)
    .bind(body)
    .bind(caller)
    .bind(key_hash)
    .execute(ex)
    .await?;
    Ok(())
}

/// Gives a claimed key back (its call changed nothing), so a retry runs again.
pub async fn release<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    (caller, key_hash): (&str, &str),
) -> Result<(), DbError> {
    sqlx::query(
        "DELETE FROM api_idempotency_keys \
         WHERE caller = $1 AND key_hash = $2 AND status IS NULL",
    )
    .bind(caller)
    .bind(key_hash)
    .execute(ex)
    .await?;
    Ok(())
}

/// Removes the keys made before `cutoff`; returns how many.
pub async fn delete_older_than<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    cutoff: i64,
) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM api_idempotency_keys WHERE created_at < $1")
        .bind(cutoff)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}
