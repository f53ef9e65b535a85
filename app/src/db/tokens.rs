//! Personal access tokens (hashes only).

use sqlx::{Any, Executor};

use super::{DbError, Tx};
use crate::types::Scope;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Space-separated [`Scope`] names, in [`Scope::ALL`] order.
    pub scopes: String,
}

impl TokenRow {
    /// The stored scopes; a name this version does not know is an error, never
    /// ignored (it could be a narrowing that a newer version wrote).
    pub fn scopes(&self) -> Result<Vec<Scope>, DbError> {
        self.scopes
            .split_whitespace()
            .map(|name| {
                name.parse().map_err(|_| DbError::UnknownValue {
                    table: "personal_access_tokens",
                    column: "scopes",
                    value: name.to_owned(),
                })
            })
            .collect()
    }

    /// The stored form of `scopes`.
    pub fn scopes_text(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const SELECT: &str = "SELECT id, user_id, name, secret_hash, created_at, expires_at, \
     last_used_at, revoked_at, scopes FROM personal_access_tokens";

pub async fn insert(tx: &mut Tx, t: &TokenRow) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO personal_access_tokens (id, user_id, name, secret_hash, created_at, \
         expires_at, scopes) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&t.id)
    .bind(&t.user_id)
    .bind(&t.name)
    .bind(&t.secret_hash)
    .bind(t.created_at)
    .bind(t.expires_at)
    .bind(&t.scopes)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<TokenRow>, DbError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

pub async fn of_user<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    limit: i64,
) -> Result<Vec<TokenRow>, DbError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(ex)
    .await?)
}

pub async fn revoke(tx: &mut Tx, id: &str, user_id: &str, now: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE personal_access_tokens SET revoked_at = $1 \
         WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How often `last_used_at` is written at most (seconds): a script calling the
/// API in a loop would otherwise write the token's row on every read.
pub const TOUCH_EVERY_SECS: i64 = 300;

/// Records a use, unless one was recorded in the last [`TOUCH_EVERY_SECS`]
/// (the condition is in the statement too, so concurrent uses write once).
pub async fn touch<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE personal_access_tokens SET last_used_at = $1 \
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
    )
    .bind(now)
    .bind(id)
    .bind(now - TOUCH_EVERY_SECS)
    .execute(ex)
    .await?;
    Ok(())
}

/// Revokes every live token of `user_id`; returns how many.
pub async fn revoke_all_of(tx: &mut Tx, user_id: &str, now: i64) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE personal_access_tokens SET revoked_at = $1 \
         WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
