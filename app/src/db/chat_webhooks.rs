//! The chat webhooks (`chat_webhooks`): the organisation's (scope `org`) and
//! each access item's (scope `item:<id>`). `url_sealed` is ciphertext.

use sqlx::{Any, Executor};

use super::{DbError, Tx};
use crate::types::ChatFormat;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChatWebhookRow {
    pub scope: String,
    pub format: ChatFormat,
    pub url_sealed: String,
    pub host: String,
    pub version: i64,
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    scope: &str,
) -> Result<Option<ChatWebhookRow>, DbError> {
    Ok(sqlx::query_as(
        "SELECT scope, format, url_sealed, host, version FROM chat_webhooks WHERE scope = $1",
    )
    .bind(scope)
    .fetch_optional(ex)
    .await?)
}

/// What to store for a scope.
pub struct ChatWebhookFields<'a> {
    pub format: ChatFormat,
    pub url_sealed: &'a str,
    pub host: &'a str,
}

/// Writes the scope's webhook if it is still at `version` (0: none saved);
/// `false` when someone else saved or removed it first.
pub async fn save(
    tx: &mut Tx,
    scope: &str,
    version: i64,
    fields: &ChatWebhookFields<'_>,
    (actor_id, now): (&str, i64),
) -> Result<bool, DbError> {
    let done = if version == 0 {
        sqlx::query(
            "INSERT INTO chat_webhooks (scope, format, url_sealed, host, version, updated_by, \
             updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6) ON CONFLICT (scope) DO NOTHING",
        )
        .bind(scope)
        .bind(fields.format.as_str())
        .bind(fields.url_sealed)
        .bind(fields.host)
        .bind(actor_id)
        .bind(now)
        .execute(&mut **tx)
        .await?
    } else {
        sqlx::query(
            "UPDATE chat_webhooks SET format = $2, url_sealed = $3, host = $4, \
             version = version + 1, updated_by = $5, updated_at = $6 \
             WHERE scope = $1 AND version = $7",
        )
        .bind(scope)
        .bind(fields.format.as_str())
        .bind(fields.url_sealed)
        .bind(fields.host)
        .bind(actor_id)
        .bind(now)
        .bind(version)
        .execute(&mut **tx)
        .await?
    };
    Ok(done.rows_affected() == 1)
}

/// Removes the scope's webhook if it is still at `version`.
pub async fn remove(tx: &mut Tx, scope: &str, version: i64) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM chat_webhooks WHERE scope = $1 AND version = $2")
        .bind(scope)
        .bind(version)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
