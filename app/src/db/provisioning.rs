//! Where each item's grants go (`provisioning_targets`), and what a provisioning
//! job tells the target about a person and an assignment.

use sqlx::{Any, Executor};

use super::{DbError, Tx};
use crate::types::ConnectorKind;

/// An item's provisioning target as stored. `secret_sealed` is ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TargetRow {
    pub item_id: String,
    pub connector: ConnectorKind,
    pub settings_json: String,
    pub secret_sealed: Option<String>,
    pub version: i64,
}

pub async fn target<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    item_id: &str,
) -> Result<Option<TargetRow>, DbError> {
    Ok(sqlx::query_as(
        "SELECT item_id, connector, settings_json, secret_sealed, version \
         FROM provisioning_targets WHERE item_id = $1",
    )
    .bind(item_id)
    .fetch_optional(ex)
    .await?)
}

/// What to store for an item.
pub struct TargetFields<'a> {
    pub connector: ConnectorKind,
    pub settings_json: &'a str,
    pub secret_sealed: Option<&'a str>,
}

/// Writes the item's target if it is still at `version` (0: none saved yet);
/// `false` when someone else saved it first.
pub async fn save_target(
    tx: &mut Tx,
    item_id: &str,
    version: i64,
    fields: &TargetFields<'_>,
    (actor_id, now): (&str, i64),
) -> Result<bool, DbError> {
    let done = if version == 0 {
        sqlx::query(
            "INSERT INTO provisioning_targets (item_id, connector, settings_json, secret_sealed, \
             version, updated_by, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6) \
             ON CONFLICT (item_id) DO NOTHING",
        )
        .bind(item_id)
        .bind(fields.connector.as_str())
        .bind(fields.settings_json)
        .bind(fields.secret_sealed)
        .bind(actor_id)
        .bind(now)
        .execute(&mut **tx)
        .await?
    } else {
        sqlx::query(
            "UPDATE provisioning_targets SET connector = $2, settings_json = $3, \
             secret_sealed = $4, version = version + 1, updated_by = $5, updated_at = $6 \
             WHERE item_id = $1 AND version = $7",
        )
        .bind(item_id)
        .bind(fields.connector.as_str())
        .bind(fields.settings_json)
        .bind(fields.secret_sealed)
        .bind(actor_id)
        .bind(now)
        .bind(version)
        .execute(&mut **tx)
        .await?
    };
    Ok(done.rows_affected() == 1)
}

/// A person as a target system knows them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PersonRow {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    /// The directory's userName, when the directory pushed the person.
    pub user_name: Option<String>,
    /// The provider's `sub`.
    pub subject: String,
}

pub async fn person<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
) -> Result<Option<PersonRow>, DbError> {
    Ok(
        sqlx::query_as("SELECT id, name, email, user_name, subject FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(ex)
            .await?,
    )
}
