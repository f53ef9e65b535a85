//! Access people hold: created by approved grant requests, removed by approved
//! revocations and by expiry.

use sqlx::{Any, Executor};

use super::{DbError, Tx};
use crate::types::{AssignmentView, Holder, LeaverAccess};

pub async fn grant(
    tx: &mut Tx,
    id: &str,
    user_id: &str,
    item_id: &str,
    request_id: &str,
    end_date: Option<i64>,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO assignments (id, user_id, item_id, request_id, granted_at, end_date) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (user_id, item_id) DO UPDATE SET request_id = excluded.request_id, \
         granted_at = excluded.granted_at, end_date = excluded.end_date",
    )
    .bind(id)
    .bind(user_id)
    .bind(item_id)
    .bind(request_id)
    .bind(now)
    .bind(end_date)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes the assignment; `false` when there was none.
pub async fn remove(tx: &mut Tx, user_id: &str, item_id: &str) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM assignments WHERE user_id = $1 AND item_id = $2")
        .bind(user_id)
        .bind(item_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One assignment as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AssignmentRow {
    pub id: String,
    pub user_id: String,
    pub item_id: String,
    pub request_id: String,
    pub granted_at: i64,
    pub end_date: Option<i64>,
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    item_id: &str,
) -> Result<Option<AssignmentRow>, DbError> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, item_id, request_id, granted_at, end_date FROM assignments \
         WHERE user_id = $1 AND item_id = $2",
    )
    .bind(user_id)
    .bind(item_id)
    .fetch_optional(ex)
    .await?)
}

pub async fn holds<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    item_id: &str,
) -> Result<bool, DbError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT id FROM assignments WHERE user_id = $1 AND item_id = $2")
            .bind(user_id)
            .bind(item_id)
            .fetch_optional(ex)
            .await?;
    Ok(row.is_some())
}

/// What `user_id` holds, by item name.
pub async fn of_user<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    limit: i64,
) -> Result<Vec<AssignmentView>, DbError> {
    Ok(sqlx::query_as(
        "SELECT a.item_id, i.name AS item_name, i.kind AS item_kind, a.granted_at, a.end_date, \
         (SELECT COUNT(*) FROM access_requests r WHERE r.beneficiary_id = a.user_id \
          AND r.item_id = a.item_id AND r.kind = 'revoke' AND r.status = 'pending') \
         AS removal_pending, \
         (SELECT o.state FROM outbox_jobs o WHERE o.user_id = a.user_id \
          AND o.item_id = a.item_id AND o.kind = 'provision' ORDER BY o.id DESC LIMIT 1) \
         AS provisioning_state \
         FROM assignments a JOIN access_items i ON i.id = a.item_id \
         WHERE a.user_id = $1 ORDER BY i.name_key, i.id LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(ex)
    .await?)
}

/// Assignments whose end date has passed: (user_id, item_id), at most `limit`.
pub async fn expired<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    now: i64,
    limit: i64,
) -> Result<Vec<(String, String)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT user_id, item_id FROM assignments WHERE end_date IS NOT NULL AND end_date <= $1 \
         ORDER BY end_date LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(ex)
    .await?)
}

/// What people who left (or were disabled) still hold, in the order they left,
/// then by person and item, after the keyset `after` (`left_at`, user id,
/// item id): `users_by_disabled`, then the assignments' `(user_id, item_id)`.
pub async fn of_leavers<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    after: Option<(i64, &str, &str)>,
    limit: i64,
) -> Result<Vec<LeaverAccess>, DbError> {
    // Row values, so both databases walk the index from the cursor on.
    let (keyset, limit_at) = match after {
        Some(_) => (" AND (u.disabled_at, u.id, a.item_id) > ($1, $2, $3)", "$4"),
        None => ("", "$1"),
    };
    let sql = format!(
        "SELECT u.id AS user_id, u.name AS user_name, u.disabled_at AS left_at, a.item_id, \
         i.name AS item_name, i.kind AS item_kind, a.granted_at, a.end_date \
         FROM users u JOIN assignments a ON a.user_id = u.id \
         JOIN access_items i ON i.id = a.item_id \
         WHERE u.disabled_at IS NOT NULL{keyset} \
         ORDER BY u.disabled_at, u.id, a.item_id LIMIT {limit_at}"
    );
    let mut query = sqlx::query_as::<_, LeaverAccess>(&sql);
    if let Some((at, user, item)) = after {
        query = query.bind(at).bind(user.to_owned()).bind(item.to_owned());
    }
    Ok(query.bind(limit).fetch_all(ex).await?)
}

/// One page of the people holding `item_id`, newest grant first, after the
/// keyset `before` (`granted_at`, assignment id): `assignments_by_item`.
pub async fn of_item<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    item_id: &str,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Holder>, DbError> {
    super::newest_first(
        ex,
        |rest| {
            format!(
                "SELECT a.id, a.user_id, u.name AS user_name, u.email AS user_email, \
                 a.granted_at, a.end_date, \
                 (SELECT o.state FROM outbox_jobs o WHERE o.user_id = a.user_id \
                  AND o.item_id = a.item_id AND o.kind = 'provision' ORDER BY o.id DESC LIMIT 1) \
                 AS provisioning_state \
                 FROM assignments a JOIN users u ON u.id = a.user_id WHERE {rest}"
            )
        },
        "a.item_id = $1",
        ("a.granted_at", "a.id"),
        item_id,
        before,
        limit,
    )
    .await
}
