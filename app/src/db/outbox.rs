//! The outbox: jobs written in the transaction of the decision that needs them,
//! claimed by workers with a lease, finished by a conditional update that only
//! the lease's holder can make.

use sqlx::{Any, Executor};

use super::{Backend, DbError, Tx};
use crate::types::{JobKind, JobOperation, JobState, JobView};

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub kind: JobKind,
    pub operation: JobOperation,
    pub serial_key: Option<String>,
    pub idempotency_key: String,
    pub target: String,
    pub user_id: Option<String>,
    pub item_id: Option<String>,
    pub request_id: Option<String>,
    pub payload_json: String,
    pub state: JobState,
    pub attempts: i64,
    pub max_attempts: i64,
    pub next_attempt_at: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
    pub assignee_user_id: Option<String>,
    pub assignee_group: Option<String>,
    pub created_at: i64,
}

const ROW: &str = "SELECT id, kind, operation, serial_key, idempotency_key, target, user_id, \
     item_id, request_id, payload_json, state, attempts, max_attempts, next_attempt_at, \
     lease_owner, lease_until, last_error, assignee_user_id, assignee_group, created_at \
     FROM outbox_jobs";

const VIEW: &str = "SELECT j.id, j.kind, j.operation, j.state, j.attempts, j.max_attempts, \
     j.next_attempt_at, j.last_error, j.created_at, j.done_at, d.name AS done_by_name, j.note, \
     j.item_id, i.name AS item_name, p.name AS person_name, j.request_id \
     FROM outbox_jobs j \
     LEFT JOIN access_items i ON i.id = j.item_id \
     LEFT JOIN users p ON p.id = j.user_id \
     LEFT JOIN users d ON d.id = j.done_by";

/// A job to write.
pub struct NewJob<'a> {
    pub id: &'a str,
    pub kind: JobKind,
    pub operation: JobOperation,
    pub serial_key: Option<&'a str>,
    pub idempotency_key: &'a str,
    pub target: &'a str,
    pub user_id: Option<&'a str>,
    pub item_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub payload_json: &'a str,
    /// `Queued` for the worker, `Manual` for a person.
    pub state: JobState,
    pub max_attempts: i64,
    pub assignee_user_id: Option<&'a str>,
    pub assignee_group: Option<&'a str>,
    pub now: i64,
}

/// Writes the job; `false` when one with its idempotency key exists already.
pub async fn insert(tx: &mut Tx, job: &NewJob<'_>) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO outbox_jobs (id, kind, operation, serial_key, idempotency_key, target, \
         user_id, item_id, request_id, payload_json, state, attempts, max_attempts, \
         next_attempt_at, assignee_user_id, assignee_group, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, $14, $15, $13, $13) \
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(job.id)
    .bind(job.kind.as_str())
    .bind(job.operation.as_str())
    .bind(job.serial_key)
    .bind(job.idempotency_key)
    .bind(job.target)
    .bind(job.user_id)
    .bind(job.item_id)
    .bind(job.request_id)
    .bind(job.payload_json)
    .bind(job.state.as_str())
    .bind(job.max_attempts)
    .bind(job.now)
    .bind(job.assignee_user_id)
    .bind(job.assignee_group)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<JobRow>, DbError> {
    Ok(sqlx::query_as(&format!("{ROW} WHERE id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

/// Jobs of `serial_key` older than `before_id` that have not started (queued,
/// failed, waiting for a person): a newer change supersedes them.
pub async fn unstarted_before(
    tx: &mut Tx,
    serial_key: &str,
    before_id: &str,
) -> Result<Vec<JobRow>, DbError> {
    Ok(sqlx::query_as(&format!(
        "{ROW} WHERE serial_key = $1 AND state IN ('queued', 'failed', 'manual') AND id < $2 \
         ORDER BY id"
    ))
    .bind(serial_key)
    .bind(before_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// Cancels a job that has not started; `false` when it has meanwhile.
pub async fn cancel(tx: &mut Tx, id: &str, why: &str, now: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE outbox_jobs SET state = 'cancelled', last_error = $2, updated_at = $3, \
         lease_owner = NULL, lease_until = NULL \
         WHERE id = $1 AND state IN ('queued', 'failed', 'manual')",
    )
    .bind(id)
    .bind(why)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Running jobs whose lease ran out (their worker died or hung), put back in
/// the queue; returns them.
pub async fn reclaim_expired(tx: &mut Tx, now: i64, limit: i64) -> Result<Vec<JobRow>, DbError> {
    let expired: Vec<JobRow> = sqlx::query_as(&format!(
        "{ROW} WHERE state = 'running' AND lease_until < $1 ORDER BY lease_until LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    let mut out = Vec::with_capacity(expired.len());
    for job in expired {
        let done = sqlx::query(
            "UPDATE outbox_jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL, \
             next_attempt_at = $2, last_error = $3, updated_at = $2 \
             WHERE id = $1 AND state = 'running' AND lease_until < $2",
        )
        .bind(&job.id)
        .bind(now)
        .bind("the worker running the last attempt stopped before it finished")
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 1 {
            out.push(job);
        }
    }
    Ok(out)
}

/// Ids of due queued jobs, oldest due first, at most `limit`, skipping any job
/// whose serial key has an older job still queued or running. On PostgreSQL the
/// rows are locked and rows another worker locked are skipped (`FOR UPDATE SKIP
/// LOCKED`); on SQLite the caller holds the write lock (`BEGIN IMMEDIATE`).
pub async fn due(
    tx: &mut Tx,
    backend: Backend,
    now: i64,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE OF j SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let rows: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT j.id FROM outbox_jobs j \
         WHERE j.state = 'queued' AND j.next_attempt_at <= $1 \
         AND NOT EXISTS (SELECT 1 FROM outbox_jobs o WHERE o.serial_key = j.serial_key \
           AND o.state IN ('queued', 'running') AND o.id < j.id) \
         ORDER BY j.next_attempt_at, j.id LIMIT $2{lock}"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Takes the lease of a queued job for `owner` until `until`, counting the
/// attempt; `false` when it is no longer queued.
pub async fn lease(
    tx: &mut Tx,
    id: &str,
    owner: &str,
    until: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE outbox_jobs SET state = 'running', lease_owner = $2, lease_until = $3, \
         attempts = attempts + 1, updated_at = $4 WHERE id = $1 AND state = 'queued'",
    )
    .bind(id)
    .bind(owner)
    .bind(until)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How an attempt ends the lease.
pub struct Finish<'a> {
    pub state: JobState,
    pub next_attempt_at: i64,
    pub last_error: Option<&'a str>,
    pub assignee_user_id: Option<&'a str>,
    pub assignee_group: Option<&'a str>,
    pub now: i64,
}

/// Ends `owner`'s lease of a running job; `false` when the lease is no longer
/// theirs (it ran out and another worker took the job).
pub async fn finish(tx: &mut Tx, id: &str, owner: &str, end: &Finish<'_>) -> Result<bool, DbError> {
    let done_at = (end.state == JobState::Done).then_some(end.now);
    let done = sqlx::query(
        "UPDATE outbox_jobs SET state = $3, next_attempt_at = $4, last_error = $5, \
         assignee_user_id = $6, assignee_group = $7, updated_at = $8, done_at = $9, \
         lease_owner = NULL, lease_until = NULL \
         WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
    )
    .bind(id)
    .bind(owner)
    .bind(end.state.as_str())
    .bind(end.next_attempt_at)
    .bind(end.last_error)
    .bind(end.assignee_user_id)
    .bind(end.assignee_group)
    .bind(end.now)
    .bind(done_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A person marks a job done by hand (waiting for them, failed, or queued for
/// a retry); `false` when it is in none of those states.
pub async fn mark_done(
    tx: &mut Tx,
    id: &str,
    by: &str,
    note: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE outbox_jobs SET state = 'done', done_by = $2, note = $3, done_at = $4, \
         updated_at = $4, lease_owner = NULL, lease_until = NULL \
         WHERE id = $1 AND state IN ('manual', 'failed', 'queued')",
    )
    .bind(id)
    .bind(by)
    .bind(note)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues a failed (or retrying) job to run now with a fresh budget of attempts.
pub async fn retry(tx: &mut Tx, id: &str, now: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE outbox_jobs SET state = 'queued', attempts = 0, next_attempt_at = $2, \
         updated_at = $2 WHERE id = $1 AND state IN ('failed', 'queued')",
    )
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The provisioning jobs of a request, oldest first (its mails are not shown).
pub async fn of_request<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    request_id: &str,
) -> Result<Vec<JobView>, DbError> {
    Ok(sqlx::query_as(&format!(
        "{VIEW} WHERE j.request_id = $1 AND j.kind = 'provision' ORDER BY j.id LIMIT 50"
    ))
    .bind(request_id)
    .fetch_all(ex)
    .await?)
}

pub async fn view<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<JobView>, DbError> {
    Ok(sqlx::query_as(&format!("{VIEW} WHERE j.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

/// Jobs in `state`, newest first, after the keyset `before`.
pub async fn in_state<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    state: JobState,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<JobView>, DbError> {
    super::newest_first(
        ex,
        |clause| format!("{VIEW} WHERE {clause}"),
        "j.state = $1",
        ("j.created_at", "j.id"),
        state.as_str(),
        before,
        limit,
    )
    .await
}

/// Jobs waiting for `user_id` by hand: named, or through one of `groups`,
/// oldest first.
pub async fn waiting_for<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    groups: &[String],
    limit: i64,
) -> Result<Vec<JobView>, DbError> {
    let group_params: Vec<String> = (0..groups.len()).map(|i| format!("${}", i + 3)).collect();
    let by_group = if groups.is_empty() {
        String::new()
    } else {
        format!(
            " UNION ALL {VIEW} WHERE j.state = 'manual' AND j.assignee_group IN ({}) \
             AND (j.assignee_user_id IS NULL OR j.assignee_user_id <> $1)",
            group_params.join(", ")
        )
    };
    let sql = format!(
        "SELECT * FROM ({VIEW} WHERE j.state = 'manual' AND j.assignee_user_id = $1{by_group}) \
         AS waiting ORDER BY created_at, id LIMIT $2"
    );
    let mut query = sqlx::query_as(&sql).bind(user_id).bind(limit);
    for group in groups {
        query = query.bind(group);
    }
    Ok(query.fetch_all(ex).await?)
}

/// How many provisioning jobs are in each state, for `countersign provisioning status`.
pub async fn counts<'c, E: Executor<'c, Database = Any>>(
    ex: E,
) -> Result<Vec<(JobState, i64)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT state, COUNT(*) FROM outbox_jobs WHERE kind = 'provision' \
             GROUP BY state ORDER BY state",
    )
    .fetch_all(ex)
    .await?)
}
