//! Access requests, alone and joined with the names pages show. Their approval
//! tasks are in `tasks.rs`.

use sqlx::{Any, Executor};

use super::{DbError, Flag, Tx};
use crate::types::{ItemKind, RequestKind, RequestStatus};

/// A request as stored. `id` and `created_at` are read as `request_id` and
/// `requested_at`, so a row can hold a task and its request side by side.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    #[sqlx(rename = "request_id")]
    pub id: String,
    pub kind: RequestKind,
    pub item_id: String,
    pub requester_id: String,
    pub beneficiary_id: String,
    pub justification: String,
    pub end_date: Option<i64>,
    pub status: RequestStatus,
    pub version: i64,
    #[sqlx(rename = "requested_at")]
    pub created_at: i64,
}

pub struct NewRequest<'a> {
    pub id: &'a str,
    pub kind: RequestKind,
    pub item_id: &'a str,
    pub requester_id: &'a str,
    pub beneficiary_id: &'a str,
    pub justification: &'a str,
    pub end_date: Option<i64>,
    pub now: i64,
}

pub async fn insert(tx: &mut Tx, new: &NewRequest<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO access_requests (id, kind, item_id, requester_id, beneficiary_id, \
         justification, end_date, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)",
    )
    .bind(new.id)
    .bind(new.kind.as_str())
    .bind(new.item_id)
    .bind(new.requester_id)
    .bind(new.beneficiary_id)
    .bind(new.justification)
    .bind(new.end_date)
    .bind(new.now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The columns of a [`RequestRow`], the request aliased `r`.
macro_rules! request_columns {
    () => {
        "r.id AS request_id, r.kind, r.item_id, r.requester_id, r.beneficiary_id, \
         r.justification, r.end_date, r.status, r.version, r.created_at AS requested_at"
    };
}

const SELECT: &str = concat!("SELECT ", request_columns!(), " FROM access_requests r");

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<RequestRow>, DbError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

/// A pending request of this kind for this person and item, if any.
pub async fn pending_for<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    beneficiary_id: &str,
    item_id: &str,
    kind: RequestKind,
) -> Result<Option<String>, DbError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM access_requests WHERE beneficiary_id = $1 AND item_id = $2 \
         AND status = 'pending' AND kind = $3 LIMIT 1",
    )
    .bind(beneficiary_id)
    .bind(item_id)
    .bind(kind.as_str())
    .fetch_optional(ex)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Closes a pending request with `status`; `false` when it was no longer pending.
pub async fn close(
    tx: &mut Tx,
    id: &str,
    status: RequestStatus,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE access_requests SET status = $1, closed_at = $2, version = version + 1 \
         WHERE id = $3 AND status = 'pending'",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A request row joined with the names pages show.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestSummary {
    #[sqlx(flatten)]
    pub request: RequestRow,
    pub item_name: String,
    pub item_kind: ItemKind,
    pub requester_name: String,
    pub beneficiary_name: String,
    /// The item's "Require Approval Reauthentication".
    #[sqlx(try_from = "Flag")]
    pub item_requires_reauth: bool,
}

/// The columns of a [`RequestSummary`], read with [`SUMMARY_JOINS`] after the
/// request aliased `r`.
pub(super) const SUMMARY_COLUMNS: &str = concat!(
    request_columns!(),
    ", i.name AS item_name, i.kind AS item_kind, q.name AS requester_name, \
     b.name AS beneficiary_name, i.require_reauth AS item_requires_reauth"
);

pub(super) const SUMMARY_JOINS: &str = "JOIN access_items i ON i.id = r.item_id \
     JOIN users q ON q.id = r.requester_id \
     JOIN users b ON b.id = r.beneficiary_id";

/// Request summaries `WHERE …` (`filter`).
fn summaries(filter: &str) -> String {
    format!("SELECT {SUMMARY_COLUMNS} FROM access_requests r {SUMMARY_JOINS} WHERE {filter}")
}

pub async fn summary_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<RequestSummary>, DbError> {
    Ok(sqlx::query_as(&summaries("r.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

/// Requests someone made or that were made for them, newest first, after the
/// keyset `before` (`created_at`, `id`).
pub async fn of_person<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<RequestSummary>, DbError> {
    super::newest_first(
        ex,
        summaries,
        "r.requester_id = $1 OR r.beneficiary_id = $1",
        ("r.created_at", "r.id"),
        user_id,
        before,
        limit,
    )
    .await
}

/// The pending requests for `beneficiary_id` (made by them or for them),
/// oldest first (`access_requests_by_beneficiary`).
pub async fn pending_of_beneficiary<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    beneficiary_id: &str,
) -> Result<Vec<RequestRow>, DbError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE r.beneficiary_id = $1 AND r.status = 'pending' \
         ORDER BY r.created_at, r.id"
    ))
    .bind(beneficiary_id)
    .fetch_all(ex)
    .await?)
}

/// At most `limit` pending requests for `beneficiary_id`, oldest first, in one
/// line each (My team).
pub async fn pending_lines_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    beneficiary_id: &str,
    limit: i64,
) -> Result<Vec<crate::types::PendingRequestLine>, DbError> {
    Ok(sqlx::query_as(
        "SELECT r.id AS request_id, r.kind, i.name AS item_name, r.created_at AS requested_at \
         FROM access_requests r JOIN access_items i ON i.id = r.item_id \
         WHERE r.beneficiary_id = $1 AND r.status = 'pending' \
         ORDER BY r.created_at, r.id LIMIT $2",
    )
    .bind(beneficiary_id)
    .bind(limit)
    .fetch_all(ex)
    .await?)
}
