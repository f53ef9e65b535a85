//! Access requests and their approval tasks.

use sqlx::{Any, Executor};

use super::{DbError, Tx};
use crate::types::{ItemKind, RequestKind, RequestStatus, TaskState};

#[derive(Debug, Clone)]
pub struct RequestRow {
    pub id: String,
    pub kind: RequestKind,
    pub item_id: String,
    pub requester_id: String,
    pub beneficiary_id: String,
    pub justification: String,
    pub end_date: Option<i64>,
    pub status: RequestStatus,
    pub version: i64,
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

fn kind_str(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Grant => "grant",
        RequestKind::Revoke => "revoke",
    }
}

fn parse_kind(value: &str) -> RequestKind {
    if value == "revoke" {
        RequestKind::Revoke
    } else {
        RequestKind::Grant
    }
}

pub async fn insert(tx: &mut Tx, new: &NewRequest<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO access_requests (id, kind, item_id, requester_id, beneficiary_id, \
         justification, end_date, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)",
    )
    .bind(new.id)
    .bind(kind_str(new.kind))
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

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
    i64,
    i64,
);

const SELECT: &str = "SELECT id, kind, item_id, requester_id, beneficiary_id, justification, \
     end_date, status, version, created_at FROM access_requests";

fn from_row(row: Row) -> RequestRow {
    let (id, kind, item_id, requester_id, beneficiary_id, justification, end_date, status, v, at) =
        row;
    RequestRow {
        id,
        kind: parse_kind(&kind),
        item_id,
        requester_id,
        beneficiary_id,
        justification,
        end_date,
        status: RequestStatus::parse(&status).unwrap_or(RequestStatus::Cancelled),
        version: v,
        created_at: at,
    }
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<RequestRow>, DbError> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(from_row))
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
    .bind(kind_str(kind))
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
#[derive(Debug, Clone)]
pub struct RequestSummary {
    pub request: RequestRow,
    pub item_name: String,
    pub item_kind: ItemKind,
    pub requester_name: String,
    pub beneficiary_name: String,
    /// The item's "Require Approval Reauthentication".
    pub item_requires_reauth: bool,
}

const SUMMARY: &str = "SELECT r.id, r.kind, r.item_id, r.requester_id, r.beneficiary_id, \
     r.justification, r.end_date, r.status, r.version, r.created_at, \
     i.name, i.kind, q.name, b.name, i.require_reauth \
     FROM access_requests r \
     JOIN access_items i ON i.id = r.item_id \
     JOIN users q ON q.id = r.requester_id \
     JOIN users b ON b.id = r.beneficiary_id";

type SummaryRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
    i64,
    i64,
    String,
    String,
    String,
    String,
    i64,
);

fn summary(row: SummaryRow) -> RequestSummary {
    let (a, b, c, d, e, f, g, h, i, j, item_name, item_kind, requester_name, beneficiary_name, k) =
        row;
    RequestSummary {
        request: from_row((a, b, c, d, e, f, g, h, i, j)),
        item_name,
        item_kind: ItemKind::parse(&item_kind).unwrap_or(ItemKind::Application),
        requester_name,
        beneficiary_name,
        item_requires_reauth: k != 0,
    }
}

pub async fn summary_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<RequestSummary>, DbError> {
    let row: Option<SummaryRow> = sqlx::query_as(&format!("{SUMMARY} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(summary))
}

/// Requests someone made or that were made for them, newest first, after the
/// keyset `before` (`created_at`, `id`).
pub async fn of_person<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<RequestSummary>, DbError> {
    let rows: Vec<SummaryRow> = match before {
        None => {
            sqlx::query_as(&format!(
                "{SUMMARY} WHERE r.requester_id = $1 OR r.beneficiary_id = $1 \
                 ORDER BY r.created_at DESC, r.id DESC LIMIT $2"
            ))
            .bind(user_id)
            .bind(limit)
            .fetch_all(ex)
            .await?
        }
        Some((at, id)) => {
            sqlx::query_as(&format!(
                "{SUMMARY} WHERE (r.requester_id = $1 OR r.beneficiary_id = $1) \
                 AND (r.created_at < $2 OR (r.created_at = $2 AND r.id < $3)) \
                 ORDER BY r.created_at DESC, r.id DESC LIMIT $4"
            ))
            .bind(user_id)
            .bind(at)
            .bind(id)
            .bind(limit)
            .fetch_all(ex)
            .await?
        }
    };
    Ok(rows.into_iter().map(summary).collect())
}

// ---- tasks ----

#[derive(Debug, Clone)]
pub struct TaskRow {
    pub id: String,
    pub request_id: String,
    pub position: i64,
    pub approver_user_id: Option<String>,
    pub approver_group: Option<String>,
    pub state: TaskState,
    pub decided_by: Option<String>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub comment: Option<String>,
    pub automatic: bool,
    pub created_at: i64,
}

type TaskTuple = (
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
);

const TASK: &str = "SELECT t.id, t.request_id, t.position, t.approver_user_id, t.approver_group, \
     t.state, t.decided_by, d.name, t.decided_at, t.comment, t.automatic, t.created_at \
     FROM approval_tasks t LEFT JOIN users d ON d.id = t.decided_by";

fn task(row: TaskTuple) -> TaskRow {
    let (id, request_id, position, user, group, state, by, by_name, at, comment, auto, created) =
        row;
    TaskRow {
        id,
        request_id,
        position,
        approver_user_id: user,
        approver_group: group,
        state: TaskState::parse(&state).unwrap_or(TaskState::Cancelled),
        decided_by: by,
        decided_by_name: by_name,
        decided_at: at,
        comment,
        automatic: auto != 0,
        created_at: created,
    }
}

pub struct NewTask<'a> {
    pub id: &'a str,
    pub request_id: &'a str,
    pub position: i64,
    pub approver_user_id: Option<&'a str>,
    pub approver_group: Option<&'a str>,
    pub now: i64,
}

pub async fn insert_task(tx: &mut Tx, new: &NewTask<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO approval_tasks (id, request_id, position, approver_user_id, approver_group, \
         state, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
    )
    .bind(new.id)
    .bind(new.request_id)
    .bind(new.position)
    .bind(new.approver_user_id)
    .bind(new.approver_group)
    .bind(new.now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find_task<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<TaskRow>, DbError> {
    let row: Option<TaskTuple> = sqlx::query_as(&format!("{TASK} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(task))
}

pub async fn tasks_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    request_id: &str,
) -> Result<Vec<TaskRow>, DbError> {
    let rows: Vec<TaskTuple> = sqlx::query_as(&format!(
        "{TASK} WHERE t.request_id = $1 ORDER BY t.position, t.created_at, t.id"
    ))
    .bind(request_id)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(task).collect())
}

/// Decides a pending task: the conditional update that makes exactly one of two
/// racing approvers win. `false` when it was no longer pending.
pub async fn decide_task(
    tx: &mut Tx,
    id: &str,
    state: TaskState,
    actor_id: &str,
    comment: Option<&str>,
    automatic: bool,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE approval_tasks SET state = $1, decided_by = $2, decided_at = $3, comment = $4, \
         automatic = $5 WHERE id = $6 AND state = 'pending'",
    )
    .bind(state.as_str())
    .bind(actor_id)
    .bind(now)
    .bind(comment)
    .bind(super::flag(automatic))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels every pending task of a request.
pub async fn cancel_tasks(tx: &mut Tx, request_id: &str, now: i64) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE approval_tasks SET state = 'cancelled', decided_at = $1 \
         WHERE request_id = $2 AND state = 'pending'",
    )
    .bind(now)
    .bind(request_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The pending tasks `user_id` (a member of `groups`) may decide, newest first,
/// after the keyset `before` (`created_at`, `id`).
pub async fn inbox<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    groups: &[String],
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<(TaskRow, RequestSummary)>, DbError> {
    let mut n = 1;
    let mut placeholder = || {
        n += 1;
        format!("${n}")
    };
    let group_list: Vec<String> = groups.iter().map(|_| placeholder()).collect();
    let mine = if group_list.is_empty() {
        "t.approver_user_id = $1".to_owned()
    } else {
        format!(
            "(t.approver_user_id = $1 OR t.approver_group IN ({}))",
            group_list.join(", ")
        )
    };
    let keyset = match before {
        Some(_) => {
            let (a, b, c) = (placeholder(), placeholder(), placeholder());
            format!(" AND (t.created_at < {a} OR (t.created_at = {b} AND t.id < {c}))")
        }
        None => String::new(),
    };
    let limit_at = placeholder();
    let sql = format!(
        "SELECT t.id, t.request_id, t.position, t.approver_user_id, t.approver_group, t.state, \
         t.decided_by, NULL, t.decided_at, t.comment, t.automatic, t.created_at, \
         r.id, r.kind, r.item_id, r.requester_id, r.beneficiary_id, r.justification, \
         r.end_date, r.status, r.version, r.created_at, i.name, i.kind, q.name, b.name, \
         i.require_reauth \
         FROM approval_tasks t \
         JOIN access_requests r ON r.id = t.request_id \
         JOIN access_items i ON i.id = r.item_id \
         JOIN users q ON q.id = r.requester_id \
         JOIN users b ON b.id = r.beneficiary_id \
         WHERE t.state = 'pending' AND {mine}{keyset} \
         ORDER BY t.created_at DESC, t.id DESC LIMIT {limit_at}"
    );
    let mut query = sqlx::query(&sql).bind(user_id);
    for group in groups {
        query = query.bind(group.clone());
    }
    if let Some((at, id)) = before {
        query = query.bind(at).bind(at).bind(id.to_owned());
    }
    let rows = query.bind(limit).fetch_all(ex).await?;
    rows.into_iter()
        .map(|row| {
            use sqlx::Row as _;
            let t: TaskTuple = (
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
                row.try_get(5)?,
                row.try_get(6)?,
                None,
                row.try_get(8)?,
                row.try_get(9)?,
                row.try_get(10)?,
                row.try_get(11)?,
            );
            let s: SummaryRow = (
                row.try_get(12)?,
                row.try_get(13)?,
                row.try_get(14)?,
                row.try_get(15)?,
                row.try_get(16)?,
                row.try_get(17)?,
                row.try_get(18)?,
                row.try_get(19)?,
                row.try_get(20)?,
                row.try_get(21)?,
                row.try_get(22)?,
                row.try_get(23)?,
                row.try_get(24)?,
                row.try_get(25)?,
                row.try_get(26)?,
            );
            Ok((task(t), summary(s)))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(DbError::from)
}

/// How many pending tasks `user_id` may decide (the navigation badge).
pub async fn inbox_count<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    groups: &[String],
) -> Result<i64, DbError> {
    let group_list: Vec<String> = (0..groups.len()).map(|i| format!("${}", i + 2)).collect();
    let mine = if group_list.is_empty() {
        "approver_user_id = $1".to_owned()
    } else {
        format!(
            "(approver_user_id = $1 OR approver_group IN ({}))",
            group_list.join(", ")
        )
    };
    let sql = format!("SELECT COUNT(*) FROM approval_tasks WHERE state = 'pending' AND {mine}");
    let mut query = sqlx::query_as::<_, (i64,)>(&sql).bind(user_id);
    for group in groups {
        query = query.bind(group.clone());
    }
    let (n,) = query.fetch_one(ex).await?;
    Ok(n)
}

/// Tasks `user_id` decided, newest first (the inbox history), after the keyset
/// `before` (`decided_at`, `id`).
pub async fn decided_by<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<TaskRow>, DbError> {
    let rows: Vec<TaskTuple> = match before {
        None => {
            sqlx::query_as(&format!(
                "{TASK} WHERE t.decided_by = $1 ORDER BY t.decided_at DESC, t.id DESC LIMIT $2"
            ))
            .bind(user_id)
            .bind(limit)
            .fetch_all(ex)
            .await?
        }
        Some((at, id)) => {
            sqlx::query_as(&format!(
                "{TASK} WHERE t.decided_by = $1 \
                 AND (t.decided_at < $2 OR (t.decided_at = $2 AND t.id < $3)) \
                 ORDER BY t.decided_at DESC, t.id DESC LIMIT $4"
            ))
            .bind(user_id)
            .bind(at)
            .bind(id)
            .bind(limit)
            .fetch_all(ex)
            .await?
        }
    };
    Ok(rows.into_iter().map(task).collect())
}
