//! The organisation's access-request configuration: one versioned row.

use sqlx::{Any, Executor};

use super::DbError;
use crate::types::AccessRequestConfig;

/// The stored configuration, its version and when the live provider test passed.
#[derive(Debug, Clone)]
pub struct StoredConfig {
    pub config: AccessRequestConfig,
    pub version: i64,
    pub reauth_test_passed_at: Option<i64>,
}

/// The configuration; the defaults (version 0) while nobody has saved one.
pub async fn load<'c, E: Executor<'c, Database = Any>>(ex: E) -> Result<StoredConfig, DbError> {
    let row: Option<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT config_json, version, reauth_test_passed_at FROM org_config WHERE id = 1",
    )
    .fetch_optional(ex)
    .await?;
    Ok(match row {
        Some((json, version, tested)) => StoredConfig {
            config: serde_json::from_str(&json).unwrap_or_default(),
            version,
            reauth_test_passed_at: tested,
        },
        None => StoredConfig {
            config: AccessRequestConfig::default(),
            version: 0,
            reauth_test_passed_at: None,
        },
    })
}

/// Saves `config` if the stored version is still `version`; `false` otherwise.
pub async fn save(
    tx: &mut super::Tx,
    config: &AccessRequestConfig,
    version: i64,
    actor_id: &str,
    now: i64,
) -> Result<bool, DbError> {
    let json = serde_json::to_string(config).unwrap_or_else(|_| "{}".into());
    let done = if version == 0 {
        sqlx::query(
            "INSERT INTO org_config (id, config_json, version, updated_by, updated_at) \
             VALUES (1, $1, 1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&json)
        .bind(actor_id)
        .bind(now)
        .execute(&mut **tx)
        .await?
    } else {
        sqlx::query(
            "UPDATE org_config SET config_json = $1, version = version + 1, updated_by = $2, \
             updated_at = $3 WHERE id = 1 AND version = $4",
        )
        .bind(&json)
        .bind(actor_id)
        .bind(now)
        .bind(version)
        .execute(&mut **tx)
        .await?
    };
    Ok(done.rows_affected() == 1)
}

/// Records that the live re-authentication test passed at `at`.
pub async fn record_reauth_test(
    tx: &mut super::Tx,
    at: i64,
    actor_id: &str,
) -> Result<(), DbError> {
    let json = serde_json::to_string(&AccessRequestConfig::default()).unwrap_or_default();
    sqlx::query(
        "INSERT INTO org_config (id, config_json, version, updated_by, updated_at, \
         reauth_test_passed_at) VALUES (1, $1, 1, $2, $3, $3) \
         ON CONFLICT (id) DO UPDATE SET reauth_test_passed_at = excluded.reauth_test_passed_at",
    )
    .bind(&json)
    .bind(actor_id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
