//! The log of SCIM requests and their outcomes (`scim_operations`), for the
//! Directory page; kept 30 days.

use sqlx::{Any, Executor};

use crate::db::DbError;
use crate::types::ScimOperationView;

/// One SCIM request, as logged: never a body, a token or a query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOperation<'a> {
    pub at: i64,
    pub token_id: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub status: i64,
    pub outcome: &'a str,
    pub resource_id: Option<&'a str>,
    pub detail: &'a str,
}

pub async fn insert<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    op: &NewOperation<'_>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO scim_operations (id, at, token_id, method, path, status, outcome, \
         resource_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(op.at)
    .bind(op.token_id)
    .bind(op.method)
    .bind(op.path)
    .bind(op.status)
    .bind(op.outcome)
    .bind(op.resource_id)
    .bind(op.detail)
    .execute(ex)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct OperationRow {
    id: String,
    at: i64,
    method: String,
    path: String,
    status: i64,
    outcome: String,
    resource_id: Option<String>,
}

/// The newest `limit` operations, newest first (`scim_operations_by_time`).
pub async fn newest<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    limit: i64,
) -> Result<Vec<ScimOperationView>, DbError> {
    let rows: Vec<OperationRow> = sqlx::query_as(
        "SELECT id, at, method, path, status, outcome, resource_id FROM scim_operations \
         ORDER BY at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ScimOperationView {
            id: r.id,
            at: r.at,
            method: r.method,
            path: r.path,
            status: r.status,
            outcome: r.outcome,
            resource_id: r.resource_id,
        })
        .collect())
}

/// When the last SCIM request succeeded (newest first along the time index,
/// stopping at the first success).
pub async fn last_success<'c, E: Executor<'c, Database = Any>>(
    ex: E,
) -> Result<Option<i64>, DbError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT at FROM scim_operations WHERE outcome = 'ok' ORDER BY at DESC, id DESC LIMIT 1",
    )
    .fetch_optional(ex)
    .await?;
    Ok(row.map(|(at,)| at))
}

/// Deletes operations older than `before`; returns how many.
pub async fn delete_older_than<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    before: i64,
) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM scim_operations WHERE at < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}
