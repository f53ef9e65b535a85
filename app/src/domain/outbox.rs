//! The durable outbox: work a decision needs done outside the database
//! (provisioning now, e-mail later), written as a job in the decision's own
//! transaction and run by a [`Worker`] inside every replica.
//!
//! - **Once per job across replicas.** A worker claims due jobs in a writing
//!   transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on
//!   SQLite) and takes a lease; only the lease's holder can record the answer.
//!   A worker that dies leaves its lease to run out, and another takes the job.
//!   So a job can run twice only when a worker dies after the target acted and
//!   before the answer was recorded: every handler must be idempotent.
//! - **In order per serial key.** Jobs of one key (one person's access to one
//!   item) run one at a time, oldest first; writing a newer one cancels older
//!   ones that have not started.
//! - **Retries** with exponential backoff and jitter, up to the job's
//!   `max_attempts`; then `failed`, visible and retryable by an administrator.
//! - **Every attempt is audited** with the target's answer, in the transaction
//!   that records it.
//!
//! Time is the caller's: [`Worker::run_due`] takes `now`, so tests move the
//! clock instead of sleeping. The same clock drives the worker's
//! [`Scheduled`] work (reminders, escalation, access about to end).

use std::{collections::HashMap, sync::Arc};

use serde_json::json;

use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    new_id,
};
use crate::{
    db::{
        Db, Tx,
        outbox::{self as store, Finish, JobRow, NewJob},
    },
    types::{JobKind, JobState},
};

/// How many jobs one claim takes (and runs at once).
const BATCH: i64 = 16;
/// How many claims one [`Worker::run_due`] makes at most before returning.
const MAX_BATCHES: usize = 64;

/// The audit actions' prefix for a kind of job.
pub fn audit_prefix(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Provision => "provisioning",
        JobKind::Email | JobKind::Chat => "notification",
    }
}

/// Backoff and leases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failed attempt; doubled after each further one.
    pub base_delay_secs: i64,
    pub max_delay_secs: i64,
    /// How long a worker holds a job; longer than any attempt may take.
    pub lease_secs: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_delay_secs: 30,
            max_delay_secs: 3600,
            lease_secs: 120,
        }
    }
}

impl RetryPolicy {
    /// The wait after attempt number `attempts` failed: exponential, capped,
    /// with "equal jitter" (half fixed, half random), so receivers coming back
    /// are not hit by every replica at once. `jitter` is in `[0, 1)`.
    pub fn delay(&self, attempts: i64, jitter: f64) -> i64 {
        let exponent = (attempts - 1).clamp(0, 30) as u32;
        let full = self
            .base_delay_secs
            .saturating_mul(1_i64 << exponent)
            .min(self.max_delay_secs)
            .max(1);
        let half = full / 2;
        half + ((full - half) as f64 * jitter.clamp(0.0, 1.0)) as i64
    }
}

/// A random number in `[0, 1)` (from the operating system's generator, as
/// UUIDv4 draws it).
fn jitter() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

/// What one attempt of a job came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Done(String),
    /// Try again after the backoff (or fail, when the attempts are used up).
    Retry(String),
    /// Fail now: retrying cannot help until someone changes something.
    Fail(String),
    /// Nothing to run: a person must do it and mark it done.
    Manual {
        assignee_user_id: Option<String>,
        assignee_group: Option<String>,
        why: String,
    },
}

/// Runs the attempts of one kind of job.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    async fn attempt(&self, job: &JobRow) -> Attempt;
}

/// Told, in the transaction that records it, that a job failed after its
/// last attempt (administrators are mailed, issue 18).
#[async_trait::async_trait]
pub trait FailureListener: Send + Sync {
    async fn failed(
        &self,
        tx: &mut Tx,
        job: &JobRow,
        error: &str,
        now: i64,
    ) -> Result<(), DomainError>;
}

/// Work a worker does on a schedule before it runs due jobs (reminders, the
/// scan for access about to end), on the same clock (`now`): a scan writes
/// jobs the same round then runs.
#[async_trait::async_trait]
pub trait Scheduled: Send + Sync {
    async fn run(&self, now: i64) -> Result<(), DomainError>;
}

/// How often a worker runs its [`Scheduled`] work, in seconds of its clock.
pub const SCHEDULE_EVERY_SECS: i64 = 60;

/// Writes `job` in `tx` (the decision's transaction) and cancels the older jobs
/// of its serial key that have not started, auditing each. Returns `false` when
/// a job with its idempotency key exists already (nothing written).
pub async fn enqueue(tx: &mut Tx, job: &NewJob<'_>) -> Result<bool, DomainError> {
    if !store::insert(tx, job).await? {
        return Ok(false);
    }
    let Some(key) = job.serial_key else {
        return Ok(true);
    };
    for older in store::unstarted_before(tx, key, job.id).await? {
        if store::cancel(
            tx,
            &older.id,
            "a newer change of the same access replaced it",
            job.now,
        )
        .await?
        {
            audit::append(
                tx,
                AuditActor::System,
                Entry {
                    action: &format!("{}.superseded", audit_prefix(older.kind)),
                    target_kind: "outbox_job",
                    target_id: &older.id,
                    item_id: older.item_id.as_deref(),
                    request_id: older.request_id.as_deref(),
                    details: json!({
                        "operation": older.operation,
                        "state_before": older.state,
                        "superseded_by": job.id,
                    }),
                },
            )
            .await?;
        }
    }
    Ok(true)
}

/// What one [`Worker::run_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    pub done: usize,
    pub retrying: usize,
    pub failed: usize,
    pub manual: usize,
    /// Leases of dead workers taken back.
    pub reclaimed: usize,
    /// Answers not recorded because the lease was lost meanwhile.
    pub lost: usize,
}

impl RunReport {
    pub fn attempts(&self) -> usize {
        self.done + self.retrying + self.failed + self.manual + self.lost
    }
}

/// One replica's worker: claims due jobs, runs them through their kind's
/// handler, records each answer.
#[derive(Clone)]
pub struct Worker {
    db: Db,
    id: String,
    policy: RetryPolicy,
    handlers: HashMap<JobKind, Arc<dyn JobHandler>>,
    on_failure: Option<Arc<dyn FailureListener>>,
    scheduled: Vec<Arc<dyn Scheduled>>,
    /// When the scheduled work last ran (by the worker's clock).
    last_scheduled: Arc<std::sync::Mutex<Option<i64>>>,
}

impl Worker {
    pub fn new(db: Db, policy: RetryPolicy) -> Worker {
        Worker {
            db,
            id: format!("worker-{}", new_id()),
            policy,
            handlers: HashMap::new(),
            on_failure: None,
            scheduled: Vec::new(),
            last_scheduled: Arc::default(),
        }
    }

    /// Tells `listener` of every job that fails for good.
    pub fn on_failure(mut self, listener: Arc<dyn FailureListener>) -> Worker {
        self.on_failure = Some(listener);
        self
    }

    /// Runs `work` at most every [`SCHEDULE_EVERY_SECS`], before due jobs.
    pub fn with_scheduled(mut self, work: Arc<dyn Scheduled>) -> Worker {
        self.scheduled.push(work);
        self
    }

    /// Runs the scheduled work when it is due at `now`. A failure is logged and
    /// tried again next time: it never holds up the jobs.
    async fn run_scheduled(&self, now: i64) {
        {
            let mut last = self
                .last_scheduled
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if last.is_some_and(|at| now >= at && now < at + SCHEDULE_EVERY_SECS) {
                return;
            }
            *last = Some(now);
        }
        for work in &self.scheduled {
            if let Err(err) = work.run(now).await {
                tracing::warn!(error = %err, "scheduled outbox work failed");
            }
        }
    }

    pub fn with_handler(mut self, kind: JobKind, handler: Arc<dyn JobHandler>) -> Worker {
        self.handlers.insert(kind, handler);
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs every job due at `now` (its batches concurrently), until none is due.
    pub async fn run_due(&self, now: i64) -> Result<RunReport, DomainError> {
        self.run_scheduled(now).await;
        let mut report = RunReport::default();
        for _ in 0..MAX_BATCHES {
            let (claimed, reclaimed) = self.claim(now).await?;
            report.reclaimed += reclaimed;
            if claimed.is_empty() {
                break;
            }
            let mut running = tokio::task::JoinSet::new();
            for job in claimed {
                let handler = self.handlers.get(&job.kind).cloned();
                running.spawn(async move {
                    let attempt = match handler {
                        Some(handler) => handler.attempt(&job).await,
                        None => Attempt::Fail(format!(
                            "this server cannot run jobs of kind {}",
                            job.kind.as_str()
                        )),
                    };
                    (job, attempt)
                });
            }
            while let Some(joined) = running.join_next().await {
                let Ok((job, attempt)) = joined else {
                    // A handler panicked: its lease runs out and the job is retried.
                    tracing::error!("an outbox handler panicked");
                    continue;
                };
                self.record(&job, attempt, now, &mut report).await?;
            }
        }
        Ok(report)
    }

    /// Takes back leases that ran out, then leases up to [`BATCH`] due jobs.
    async fn claim(&self, now: i64) -> Result<(Vec<JobRow>, usize), DomainError> {
        let mut tx = self.db.write_tx().await?;
        let reclaimed = store::reclaim_expired(&mut tx, now, BATCH).await?;
        for job in &reclaimed {
            audit::append(
                &mut tx,
                AuditActor::System,
                Entry {
                    action: &format!("{}.lease_expired", audit_prefix(job.kind)),
                    target_kind: "outbox_job",
                    target_id: &job.id,
                    item_id: job.item_id.as_deref(),
                    request_id: job.request_id.as_deref(),
                    details: json!({
                        "attempt": job.attempts,
                        "worker": job.lease_owner,
                        "lease_until": job.lease_until,
                    }),
                },
            )
            .await?;
        }
        let ids = store::due(&mut tx, self.db.backend(), now, BATCH).await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            if store::lease(&mut tx, &id, &self.id, now + self.policy.lease_secs, now).await?
                && let Some(job) = store::find(&mut *tx, &id).await?
            {
                claimed.push(job);
            }
        }
        tx.commit().await?;
        Ok((claimed, reclaimed.len()))
    }

    /// Records one attempt's answer and its audit record, if the lease is
    /// still this worker's.
    async fn record(
        &self,
        job: &JobRow,
        attempt: Attempt,
        now: i64,
        report: &mut RunReport,
    ) -> Result<(), DomainError> {
        let (state, next, message, assignee) = match &attempt {
            Attempt::Done(m) => (JobState::Done, now, m, (None, None)),
            Attempt::Retry(m) if job.attempts < job.max_attempts => {
                let next = now + self.policy.delay(job.attempts, jitter());
                (JobState::Queued, next, m, (None, None))
            }
            Attempt::Retry(m) | Attempt::Fail(m) => (JobState::Failed, now, m, (None, None)),
            Attempt::Manual {
                assignee_user_id,
                assignee_group,
                why,
            } => (
                JobState::Manual,
                now,
                why,
                (assignee_user_id.as_deref(), assignee_group.as_deref()),
            ),
        };
        let mut tx = self.db.write_tx().await?;
        let end = Finish {
            state,
            next_attempt_at: next,
            last_error: (state != JobState::Done).then_some(message.as_str()),
            assignee_user_id: assignee.0,
            assignee_group: assignee.1,
            now,
        };
        if !store::finish(&mut tx, &job.id, &self.id, &end).await? {
            tracing::warn!(job = %job.id, "outbox lease lost before the answer was recorded");
            report.lost += 1;
            return Ok(());
        }
        audit::append(
            &mut tx,
            AuditActor::System,
            Entry {
                action: &format!("{}.attempted", audit_prefix(job.kind)),
                target_kind: "outbox_job",
                target_id: &job.id,
                item_id: job.item_id.as_deref(),
                request_id: job.request_id.as_deref(),
                details: json!({
                    "operation": job.operation,
                    "attempt": job.attempts,
                    "outcome": state,
                    "answer": message,
                    "next_attempt_at": (state == JobState::Queued).then_some(next),
                }),
            },
        )
        .await?;
        if state == JobState::Failed
            && let Some(listener) = &self.on_failure
        {
            listener.failed(&mut tx, job, message, now).await?;
        }
        tx.commit().await?;
        match state {
            JobState::Done => report.done += 1,
            JobState::Queued => report.retrying += 1,
            JobState::Manual => report.manual += 1,
            _ => report.failed += 1,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_with_half_of_it_random() {
        let policy = RetryPolicy {
            base_delay_secs: 30,
            max_delay_secs: 3600,
            lease_secs: 60,
        };
        assert_eq!(policy.delay(1, 0.0), 15);
        assert_eq!(policy.delay(1, 0.999), 29);
        assert_eq!(policy.delay(3, 0.0), 60);
        assert_eq!(policy.delay(20, 0.0), 1800);
        assert!(policy.delay(20, 0.999) < 3600);
        let j = jitter();
        assert!((0.0..1.0).contains(&j));
    }
}
