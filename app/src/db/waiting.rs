//! Approval tasks that wait: what the reminder, escalation and digest scans
//! read, and the conditional updates that make each reminder happen once.

use sqlx::{Any, Executor};

use super::{DbError, Tx};

/// A pending task as the reminder and escalation scan sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WaitingTask {
    pub id: String,
    pub request_id: String,
    pub position: i64,
    pub approver_user_id: Option<String>,
    pub approver_group: Option<String>,
    pub created_at: i64,
    pub reminders_sent: i64,
    pub escalation_blocked_at: Option<i64>,
}

/// Pending tasks opened at or before `opened_by`, oldest first, after the
/// keyset `after` (`created_at`, `id`; `approval_tasks_pending_by_age`).
pub async fn opened_by<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    opened_by: i64,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<WaitingTask>, DbError> {
    let (keyset, limit_at) = match after {
        Some(_) => (
            " AND (t.created_at > $2 OR (t.created_at = $2 AND t.id > $3))",
            4,
        ),
        None => ("", 2),
    };
    let sql = format!(
        "SELECT t.id, t.request_id, t.position, t.approver_user_id, t.approver_group, \
         t.created_at, t.reminders_sent, t.escalation_blocked_at FROM approval_tasks t \
         WHERE t.state = 'pending' AND t.created_at <= $1{keyset} \
         ORDER BY t.created_at, t.id LIMIT ${limit_at}"
    );
    let mut query = sqlx::query_as(&sql).bind(opened_by);
    if let Some((at, id)) = after {
        query = query.bind(at).bind(id);
    }
    Ok(query.bind(limit).fetch_all(ex).await?)
}

/// Counts reminder number `n` of a pending task that has had `before`;
/// `false` when another worker counted first (or the task was decided).
pub async fn mark_reminded(
    tx: &mut Tx,
    id: &str,
    before: i64,
    n: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE approval_tasks SET reminders_sent = $1, last_reminded_at = $2 \
         WHERE id = $3 AND state = 'pending' AND reminders_sent = $4",
    )
    .bind(n)
    .bind(now)
    .bind(id)
    .bind(before)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that a pending task could not be escalated; `false` when that was
/// recorded already (or the task was decided).
pub async fn mark_escalation_blocked(tx: &mut Tx, id: &str, now: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE approval_tasks SET escalation_blocked_at = $1 \
         WHERE id = $2 AND state = 'pending' AND escalation_blocked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The people with pending tasks, by name or through a group's membership,
/// after `after` by id (for the daily digest).
pub async fn approvers<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT p.user_id FROM ( \
           SELECT t.approver_user_id AS user_id FROM approval_tasks t \
           WHERE t.state = 'pending' AND t.approver_user_id IS NOT NULL \
           UNION \
           SELECT m.user_id FROM approval_tasks t \
           JOIN directory_groups g ON g.display_name = t.approver_group \
           JOIN group_members m ON m.group_id = g.id WHERE t.state = 'pending' \
         ) p WHERE p.user_id > $1 ORDER BY p.user_id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
