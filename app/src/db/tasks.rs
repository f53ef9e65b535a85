//! Approval tasks: one a step of a request, and the inbox queries over them.

use sqlx::{Any, Executor, any::AnyArguments, query::QueryAs};

use super::{
    DbError, Flag, Tx,
    requests::{RequestSummary, SUMMARY_COLUMNS, SUMMARY_JOINS},
};
use crate::types::TaskState;

#[derive(Debug, Clone, sqlx::FromRow)]
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
    #[sqlx(try_from = "Flag")]
    pub automatic: bool,
    pub created_at: i64,
    /// Opened for a "the beneficiary's manager" step: follows the manager when
    /// the directory changes it.
    #[sqlx(try_from = "Flag")]
    pub manager_step: bool,
}

/// The columns of a [`TaskRow`] but `request_id` (which a join with the request
/// reads from there), over `approval_tasks t` and [`DECIDER`].
const TASK_COLUMNS: &str = "t.id, t.position, t.approver_user_id, t.approver_group, t.state, \
     t.decided_by, d.name AS decided_by_name, t.decided_at, t.comment, t.automatic, t.created_at, \
     t.manager_step";

const DECIDER: &str = "LEFT JOIN users d ON d.id = t.decided_by";

/// Tasks `WHERE …` (`filter`).
fn tasks(filter: &str) -> String {
    format!("SELECT t.request_id, {TASK_COLUMNS} FROM approval_tasks t {DECIDER} WHERE {filter}")
}

pub struct NewTask<'a> {
    pub id: &'a str,
    pub request_id: &'a str,
    pub position: i64,
    pub approver_user_id: Option<&'a str>,
    pub approver_group: Option<&'a str>,
    /// Opened for a "the beneficiary's manager" step (see [`TaskRow::manager_step`]).
    pub manager_step: bool,
    pub now: i64,
}

pub async fn insert(tx: &mut Tx, new: &NewTask<'_>) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO approval_tasks (id, request_id, position, approver_user_id, approver_group, \
         state, created_at, manager_step) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
    )
    .bind(new.id)
    .bind(new.request_id)
    .bind(new.position)
    .bind(new.approver_user_id)
    .bind(new.approver_group)
    .bind(new.now)
    .bind(super::flag(new.manager_step))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<TaskRow>, DbError> {
    Ok(sqlx::query_as(&tasks("t.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

/// The tasks of a request, in step order.
pub async fn of_request<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    request_id: &str,
) -> Result<Vec<TaskRow>, DbError> {
    Ok(sqlx::query_as(&tasks(
        "t.request_id = $1 ORDER BY t.position, t.created_at, t.id",
    ))
    .bind(request_id)
    .fetch_all(ex)
    .await?)
}

/// A task with its named approver's name, as a list of requests shows its steps.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepRow {
    #[sqlx(flatten)]
    pub task: TaskRow,
    pub approver_name: Option<String>,
}

/// The tasks of each of `request_ids` with their approvers' names, in one
/// query, each request's in step order.
pub async fn of_requests<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    request_ids: &[&str],
) -> Result<Vec<StepRow>, DbError> {
    if request_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=request_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT t.request_id, {TASK_COLUMNS}, a.name AS approver_name FROM approval_tasks t \
         {DECIDER} LEFT JOIN users a ON a.id = t.approver_user_id \
         WHERE t.request_id IN ({}) ORDER BY t.request_id, t.position, t.created_at, t.id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, StepRow>(&sql);
    for id in request_ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(ex).await?)
}

/// Decides a pending task: the conditional update that makes exactly one of two
/// racing approvers win. `false` when it was no longer pending.
pub async fn decide(
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
pub async fn cancel_pending(tx: &mut Tx, request_id: &str, now: i64) -> Result<(), DbError> {
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

/// Closes a pending task as handed on by the system (its approver left, or the
/// beneficiary's manager changed), with `reason` as its comment and `by` (a
/// person, or nobody for the directory) as who did it. `false` when it was no
/// longer pending.
pub async fn hand_on(
    tx: &mut Tx,
    id: &str,
    by: Option<&str>,
    reason: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE approval_tasks SET state = 'reassigned', decided_by = $1, decided_at = $2, \
         comment = $3 WHERE id = $4 AND state = 'pending'",
    )
    .bind(by)
    .bind(now)
    .bind(reason)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The pending tasks given to `user_id` by name (not through a group), oldest
/// first (`approval_tasks_for_user`).
pub async fn pending_for_person<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
) -> Result<Vec<TaskRow>, DbError> {
    Ok(sqlx::query_as(&tasks(
        "t.approver_user_id = $1 AND t.state = 'pending' ORDER BY t.created_at, t.id",
    ))
    .bind(user_id)
    .fetch_all(ex)
    .await?)
}

/// The pending tasks opened for a manager step of `beneficiary_id`'s pending
/// requests, oldest first.
pub async fn pending_manager_steps_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    beneficiary_id: &str,
) -> Result<Vec<TaskRow>, DbError> {
    let sql = format!(
        "SELECT t.request_id, {TASK_COLUMNS} FROM access_requests r \
         JOIN approval_tasks t ON t.request_id = r.id {DECIDER} \
         WHERE r.beneficiary_id = $1 AND r.status = 'pending' AND t.state = 'pending' \
         AND t.manager_step = 1 ORDER BY t.created_at, t.id"
    );
    Ok(sqlx::query_as(&sql)
        .bind(beneficiary_id)
        .fetch_all(ex)
        .await?)
}

/// Which tasks are someone's to decide: `$1` is the person, `$2…` their groups.
/// Returns the condition and the next free placeholder number.
fn assigned_to(groups: &[String]) -> (String, usize) {
    let next = groups.len() + 2;
    if groups.is_empty() {
        return ("t.approver_user_id = $1".to_owned(), next);
    }
    let list: Vec<String> = (2..next).map(|n| format!("${n}")).collect();
    let condition = format!(
        "(t.approver_user_id = $1 OR t.approver_group IN ({}))",
        list.join(", ")
    );
    (condition, next)
}

/// Binds the values [`assigned_to`] numbered.
fn bind_assignee<'q, O>(
    query: QueryAs<'q, Any, O, AnyArguments<'q>>,
    user_id: &'q str,
    groups: &'q [String],
) -> QueryAs<'q, Any, O, AnyArguments<'q>> {
    groups.iter().fold(query.bind(user_id), |query, group| {
        query.bind(group.as_str())
    })
}

#[derive(sqlx::FromRow)]
struct InboxRow {
    #[sqlx(flatten)]
    task: TaskRow,
    #[sqlx(flatten)]
    request: RequestSummary,
}

/// The pending tasks `user_id` (a member of `groups`) may decide, newest first,
/// after the keyset `before` (`created_at`, `id`).
///
/// One source per assignee: the tasks named to the person (their own steps,
/// manager steps, fallbacks and reassignments) and those of each of their
/// groups, each read newest first from its own index
/// (`approval_tasks_for_user`, `approval_tasks_for_group`) and cut at the
/// page; only those few are merged, cut again and joined to their requests.
/// So a page costs the same however many tasks wait, instead of sorting them
/// all.
pub async fn inbox<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    groups: &[String],
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<(TaskRow, RequestSummary)>, DbError> {
    // $1 the person, $2.. their groups, then the keyset and the limit.
    let mut next = groups.len() + 2;
    let keyset = match before {
        Some(_) => {
            let (at, id) = (next, next + 1);
            next += 2;
            format!(" AND (s.created_at < ${at} OR (s.created_at = ${at} AND s.id < ${id}))")
        }
        None => String::new(),
    };
    let source = |assignee: String| {
        format!(
            "SELECT id FROM (SELECT s.id FROM approval_tasks s \
             WHERE {assignee} AND s.state = 'pending'{keyset} \
             ORDER BY s.created_at DESC, s.id DESC LIMIT ${next}) AS source"
        )
    };
    let mut sources = vec![source("s.approver_user_id = $1".to_owned())];
    sources.extend((2..groups.len() + 2).map(|n| source(format!("s.approver_group = ${n}"))));
    let sql = format!(
        "SELECT {TASK_COLUMNS}, {SUMMARY_COLUMNS} \
         FROM ({}) AS picked \
         JOIN approval_tasks t ON t.id = picked.id {DECIDER} \
         JOIN access_requests r ON r.id = t.request_id {SUMMARY_JOINS} \
         ORDER BY t.created_at DESC, t.id DESC LIMIT ${next}",
        sources.join(" UNION ")
    );
    let mut query = bind_assignee(sqlx::query_as::<_, InboxRow>(&sql), user_id, groups);
    if let Some((at, id)) = before {
        query = query.bind(at).bind(id);
    }
    let rows = query.bind(limit).fetch_all(ex).await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.task, row.request))
        .collect())
}

/// How many pending tasks `user_id` may decide (the navigation badge).
pub async fn inbox_count<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    groups: &[String],
) -> Result<i64, DbError> {
    let (mine, _) = assigned_to(groups);
    let sql = format!("SELECT COUNT(*) FROM approval_tasks t WHERE t.state = 'pending' AND {mine}");
    let query = bind_assignee(sqlx::query_as::<_, (i64,)>(&sql), user_id, groups);
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
    super::newest_first(
        ex,
        tasks,
        "t.decided_by = $1",
        ("t.decided_at", "t.id"),
        user_id,
        before,
        limit,
    )
    .await
}
