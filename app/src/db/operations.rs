//! What an operator's metrics and readiness check read from the database:
//! the work waiting (approval tasks, outbox jobs) counted at scrape time, each
//! count behind an index that leads with `state`.

use sqlx::AnyPool;

use super::DbError;
use crate::types::{JobState, TaskState};

/// Work waiting in the database, as `/metrics` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Backlog {
    /// Approval tasks waiting for a decision.
    pub pending_tasks: i64,
    /// Outbox jobs waiting for a worker (first attempt or a retry).
    pub outbox_queued: i64,
    /// Outbox jobs a worker holds right now.
    pub outbox_running: i64,
    /// Outbox jobs that failed for good (an administrator retries them).
    pub outbox_failed: i64,
    /// Outbox jobs waiting for a person to do them by hand.
    pub outbox_manual: i64,
}

pub async fn backlog(pool: &AnyPool) -> Result<Backlog, DbError> {
    let backlog = sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM approval_tasks WHERE state = $1) AS pending_tasks, \
           (SELECT COUNT(*) FROM outbox_jobs WHERE state = $2) AS outbox_queued, \
           (SELECT COUNT(*) FROM outbox_jobs WHERE state = $3) AS outbox_running, \
           (SELECT COUNT(*) FROM outbox_jobs WHERE state = $4) AS outbox_failed, \
           (SELECT COUNT(*) FROM outbox_jobs WHERE state = $5) AS outbox_manual",
    )
    .bind(TaskState::Pending.as_str())
    .bind(JobState::Queued.as_str())
    .bind(JobState::Running.as_str())
    .bind(JobState::Failed.as_str())
    .bind(JobState::Manual.as_str())
    .fetch_one(pool)
    .await?;
    Ok(backlog)
}
