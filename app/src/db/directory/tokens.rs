//! The directory's bearer tokens (hashes only): the SCIM client's credential,
//! separate from personal access tokens.

use sqlx::{Any, Executor};

use crate::db::{DbError, Tx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DirectoryTokenRow {
    pub id: String,
    pub name: String,
    pub secret_hash: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A token with the name of the administrator who created it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ListedToken {
    #[sqlx(flatten)]
    pub token: DirectoryTokenRow,
    pub created_by_name: String,
}

const COLUMNS: &str = "t.id, t.name, t.secret_hash, t.created_by, t.created_at, t.expires_at, \
     t.last_used_at, t.revoked_at";

/// How often `last_used_at` is written at most (seconds): a busy directory
/// would otherwise write the token row on every request.
pub const TOUCH_EVERY_SECS: i64 = 60;

pub async fn insert(tx: &mut Tx, t: &DirectoryTokenRow) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO directory_tokens (id, name, secret_hash, created_by, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&t.id)
    .bind(&t.name)
    .bind(&t.secret_hash)
    .bind(&t.created_by)
    .bind(t.created_at)
    .bind(t.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<DirectoryTokenRow>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM directory_tokens t WHERE t.id = $1"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// The newest `limit` tokens, newest first (`directory_tokens_by_created`).
pub async fn newest<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    limit: i64,
) -> Result<Vec<ListedToken>, DbError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS}, u.name AS created_by_name FROM directory_tokens t \
         JOIN users u ON u.id = t.created_by \
         ORDER BY t.created_at DESC, t.id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(ex)
    .await?)
}

/// Revokes a live token; returns whether this call did it.
pub async fn revoke(tx: &mut Tx, id: &str, now: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE directory_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a use, unless one was recorded in the last [`TOUCH_EVERY_SECS`].
pub async fn touch<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE directory_tokens SET last_used_at = $1 \
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
    )
    .bind(now)
    .bind(id)
    .bind(now - TOUCH_EVERY_SECS)
    .execute(ex)
    .await?;
    Ok(())
}
