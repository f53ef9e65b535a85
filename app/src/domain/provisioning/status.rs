//! Where provisioning shows and who acts on it: the jobs of a request, the
//! administrators' list of failed and stuck jobs with "Retry" and "Mark as
//! done", and the fulfilment tasks in a person's inbox.

use serde_json::json;

use crate::{
    db::{Db, outbox as store},
    domain::{
        DomainError, approvals,
        audit::{self, AuditActor, Entry},
        now,
        outbox::audit_prefix,
        text,
    },
    types::{CurrentUser, JobState, JobView, Page, Role, parse_time_cursor},
};

pub const NOTE_MAX: usize = 1000;
pub const PAGE_MAX: i64 = 100;

/// The jobs of a request (the caller has already been allowed to read it).
pub(crate) async fn of_request(db: &Db, request_id: &str) -> Result<Vec<JobView>, DomainError> {
    Ok(store::of_request(db.pool(), request_id).await?)
}

fn require_admin(actor: &CurrentUser) -> Result<(), DomainError> {
    if actor.has(Role::Admin) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only administrators manage provisioning",
        ))
    }
}

/// The administrators' Provisioning page: jobs in `state`, newest first.
pub async fn list(
    db: &Db,
    actor: &CurrentUser,
    state: JobState,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<JobView>, DomainError> {
    require_admin(actor)?;
    let limit = limit.clamp(1, PAGE_MAX);
    let before = after.and_then(parse_time_cursor);
    let rows = store::in_state(db.pool(), state, before, limit + 1).await?;
    Ok(Page::from_overfetch(rows, limit, |j| {
        format!("{}_{}", j.created_at, j.id)
    }))
}

/// "Retry": a failed job (or one waiting for its next retry) runs at the
/// worker's next round, with a fresh budget of attempts. Administrators only.
pub async fn retry(db: &Db, actor: &CurrentUser, job_id: &str) -> Result<(), DomainError> {
    require_admin(actor)?;
    let mut tx = db.write_tx().await?;
    let job = store::find(&mut *tx, job_id)
        .await?
        .ok_or(DomainError::NotFound("provisioning job"))?;
    if !store::retry(&mut tx, job_id, now()).await? {
        return Err(DomainError::Conflict(format!(
            "Only a failed or retrying job can be retried; this one is {}.",
            job.state.as_str()
        )));
    }
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry {
            action: &format!("{}.retried", audit_prefix(job.kind)),
            target_kind: "outbox_job",
            target_id: job_id,
            item_id: job.item_id.as_deref(),
            request_id: job.request_id.as_deref(),
            details: json!({ "state_before": job.state, "attempts_before": job.attempts }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "Mark as done": a person did it by hand and says what they did. The job's
/// fulfillers (named, or through their group) for a job waiting for them, and
/// administrators for any job that is not running; never the person whose
/// access it is.
pub async fn mark_done(
    db: &Db,
    actor: &CurrentUser,
    job_id: &str,
    note: &str,
) -> Result<JobView, DomainError> {
    let note = text("note", note, true, NOTE_MAX)?;
    let groups = approvals::actor_groups(db, actor).await?;
    let mut tx = db.write_tx().await?;
    let job = store::find(&mut *tx, job_id)
        .await?
        .ok_or(DomainError::NotFound("provisioning job"))?;
    let fulfiller = job.state == JobState::Manual
        && (job.assignee_user_id.as_deref() == Some(actor.id.as_str())
            || job
                .assignee_group
                .as_ref()
                .is_some_and(|g| groups.contains(g)));
    if !fulfiller && !actor.has(Role::Admin) {
        return Err(DomainError::Forbidden(
            "this fulfilment task is not assigned to you",
        ));
    }
    if job.user_id.as_deref() == Some(actor.id.as_str()) {
        return Err(DomainError::Forbidden("nobody fulfils their own access"));
    }
    if !store::mark_done(&mut tx, job_id, &actor.id, &note, now()).await? {
        return Err(DomainError::Conflict(format!(
            "This job is {} and cannot be marked done by hand.",
            job.state.as_str()
        )));
    }
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry {
            action: &format!("{}.marked_done", audit_prefix(job.kind)),
            target_kind: "outbox_job",
            target_id: job_id,
            item_id: job.item_id.as_deref(),
            request_id: job.request_id.as_deref(),
            details: json!({
                "operation": job.operation,
                "state_before": job.state,
                "note": note,
            }),
        },
    )
    .await?;
    let view = store::view(&mut *tx, job_id)
        .await?
        .ok_or(DomainError::NotFound("provisioning job"))?;
    tx.commit().await?;
    Ok(view)
}

/// The fulfilment tasks waiting for `actor`: named, or through their groups.
pub async fn waiting_for(db: &Db, actor: &CurrentUser) -> Result<Vec<JobView>, DomainError> {
    let groups = approvals::actor_groups(db, actor).await?;
    Ok(store::waiting_for(db.pool(), &actor.id, &groups, PAGE_MAX).await?)
}

/// For `countersign provisioning status`: how many jobs are in each state, and
/// the newest failed, retrying and manual ones (no caller: the operator runs
/// it on the server).
pub async fn report(db: &Db, limit: i64) -> Result<StatusReport, DomainError> {
    let counts = store::counts(db.pool()).await?;
    let mut attention = Vec::new();
    for state in [
        JobState::Failed,
        JobState::Queued,
        JobState::Running,
        JobState::Manual,
    ] {
        attention.extend(store::in_state(db.pool(), state, None, limit).await?);
    }
    Ok(StatusReport { counts, attention })
}

/// What `countersign provisioning status` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub counts: Vec<(JobState, i64)>,
    /// Failed, queued, running and manual jobs, newest first per state.
    pub attention: Vec<JobView>,
}
