//! Requests for access (and for its removal), made by requesters for themselves
//! or, where the configuration allows, for someone else: anyone, or a manager's
//! direct reports.

use std::collections::HashMap;

use serde_json::json;

use super::{
    DomainError, approvals,
    audit::{self, AuditActor, Entry},
    new_id, notify, now, on_behalf, org,
    routing::{self, Fallback},
    text,
};
use crate::{
    db::{
        Db, Tx, assignments, items,
        requests::{self as store, NewRequest, RequestRow, RequestSummary},
        tasks, users,
    },
    types::{
        AssignmentView, CurrentUser, Page, RequestKind, RequestStatus, RequestView, Role, TaskView,
        TimelineEntry, parse_date, parse_time_cursor,
    },
};

pub const JUSTIFICATION_MAX: usize = 1000;
/// The furthest end date a request may ask for.
pub const MAX_END_DAYS: i64 = 366;

/// The "Request access" form.
#[derive(Debug, Clone, Default)]
pub struct AccessRequestInput {
    pub item_id: String,
    pub justification: String,
    /// `YYYY-MM-DD`, or empty for no end date.
    pub end_date: String,
    /// Another person's id, or empty for oneself.
    pub for_user_id: String,
}

/// Creates a grant request and opens its first approval step, in one transaction.
pub async fn request_access(
    db: &Db,
    actor: &CurrentUser,
    input: &AccessRequestInput,
    fallback: &Fallback,
) -> Result<String, DomainError> {
    let config = org::config(db).await?;
    if config.approvals_must_be_external && !actor.has(Role::Admin) {
        return Err(DomainError::Forbidden(
            "access requests are made through the organisation's external system",
        ));
    }
    let item = items::find(db.pool(), &input.item_id)
        .await?
        .filter(|i| i.enabled && i.requestable)
        .ok_or(DomainError::NotFound("access item"))?;
    let justification = text(
        "justification",
        &input.justification,
        true,
        JUSTIFICATION_MAX,
    )?;
    let end_date = match input.end_date.trim() {
        "" => None,
        value => {
            let date = parse_date(value)
                .ok_or_else(|| DomainError::invalid("end_date", "use the form YYYY-MM-DD"))?;
            let t = now();
            if date <= t {
                return Err(DomainError::invalid("end_date", "must be in the future"));
            }
            if date > t + MAX_END_DAYS * 86_400 {
                return Err(DomainError::invalid(
                    "end_date",
                    format!("must be within {MAX_END_DAYS} days"),
                ));
            }
            Some(date)
        }
    };
    let beneficiary = match input.for_user_id.trim() {
        "" => actor.id.clone(),
        id if id == actor.id => actor.id.clone(),
        id => on_behalf::beneficiary(db, actor, &config.request_on_behalf_of_config, id).await?,
    };
    if assignments::holds(db.pool(), &beneficiary, &item.id).await? {
        return Err(DomainError::invalid(
            "item",
            "this access is already held; nothing to request",
        ));
    }
    let id = new_id();
    let request = NewRequest {
        id: &id,
        kind: RequestKind::Grant,
        item_id: &item.id,
        requester_id: &actor.id,
        beneficiary_id: &beneficiary,
        justification: &justification,
        end_date,
        now: now(),
    };
    create(db, actor, &request, fallback).await?;
    Ok(id)
}

/// Asks for access held to be removed: a revocation request through the item's
/// approval steps (never re-authenticated).
pub async fn request_removal(
    db: &Db,
    actor: &CurrentUser,
    item_id: &str,
    justification: &str,
    fallback: &Fallback,
) -> Result<String, DomainError> {
    if items::find(db.pool(), item_id).await?.is_none() {
        return Err(DomainError::NotFound("access item"));
    }
    let justification = text("justification", justification, true, JUSTIFICATION_MAX)?;
    if !assignments::holds(db.pool(), &actor.id, item_id).await? {
        return Err(DomainError::invalid("item", "you do not hold this access"));
    }
    let id = new_id();
    let request = NewRequest {
        id: &id,
        kind: RequestKind::Revoke,
        item_id,
        requester_id: &actor.id,
        beneficiary_id: &actor.id,
        justification: &justification,
        end_date: None,
        now: now(),
    };
    create(db, actor, &request, fallback).await?;
    Ok(id)
}

async fn create(
    db: &Db,
    actor: &CurrentUser,
    request: &NewRequest<'_>,
    fallback: &Fallback,
) -> Result<(), DomainError> {
    let mut tx = db.write_tx().await?;
    // Checked again under the write lock: no second pending request for the same
    // person, item and kind.
    if store::pending_for(
        &mut *tx,
        request.beneficiary_id,
        request.item_id,
        request.kind,
    )
    .await?
    .is_some()
    {
        return Err(DomainError::invalid(
            "item",
            "a request for this is already pending; follow it in My requests",
        ));
    }
    store::insert(&mut tx, request).await?;
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry {
            action: match request.kind {
                RequestKind::Grant => "request.created",
                RequestKind::Revoke => "request.removal_requested",
            },
            target_kind: "request",
            target_id: request.id,
            item_id: Some(request.item_id),
            request_id: Some(request.id),
            details: json!({
                "beneficiary_id": request.beneficiary_id,
                "justification": request.justification,
                "end_date": request.end_date,
            }),
        },
    )
    .await?;
    let row = store::find(&mut *tx, request.id)
        .await?
        .ok_or(DomainError::NotFound("request"))?;
    routing::open_step(&mut tx, &row, 0, fallback).await?;
    tx.commit().await?;
    Ok(())
}

/// Withdraws a pending request (its requester or beneficiary only).
pub async fn cancel(db: &Db, actor: &CurrentUser, request_id: &str) -> Result<(), DomainError> {
    let request = store::find(db.pool(), request_id)
        .await?
        .filter(|r| r.requester_id == actor.id || r.beneficiary_id == actor.id)
        .ok_or(DomainError::NotFound("request"))?;
    let mut tx = db.write_tx().await?;
    let by = AuditActor::User(&actor.id);
    if !close_cancelled(&mut tx, &request, by, json!({})).await? {
        return Err(DomainError::Conflict(
            "This request is no longer pending, so it cannot be cancelled.".into(),
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// Cancels every pending request for `leaver_id` (made by them or for them),
/// with their pending tasks, audited as `request.cancelled` by `by`. Returns
/// the cancelled requests' ids.
///
/// Requests the leaver made for someone else stay: the beneficiary still works
/// here and still wants the access; their approvers decide as before.
pub(crate) async fn cancel_for_leaver(
    tx: &mut Tx,
    leaver_id: &str,
    by: &AuditActor<'_>,
) -> Result<Vec<String>, DomainError> {
    let mut cancelled = Vec::new();
    for request in store::pending_of_beneficiary(&mut **tx, leaver_id).await? {
        let reason = json!({ "reason": "the beneficiary left the organisation" });
        if close_cancelled(tx, &request, by.clone(), reason).await? {
            cancelled.push(request.id);
        }
    }
    Ok(cancelled)
}

/// Closes a pending request as cancelled with its pending tasks, audited as
/// `request.cancelled`; `false` (and nothing written) when it was no longer
/// pending.
async fn close_cancelled(
    tx: &mut Tx,
    request: &RequestRow,
    by: AuditActor<'_>,
    details: serde_json::Value,
) -> Result<bool, DomainError> {
    let at = now();
    if !store::close(tx, &request.id, RequestStatus::Cancelled, at).await? {
        return Ok(false);
    }
    tasks::cancel_pending(tx, &request.id, at).await?;
    let by_person = match &by {
        AuditActor::User(id) => Some(*id),
        _ => None,
    };
    notify::request_closed(tx, request, RequestStatus::Cancelled, by_person, None, at).await?;
    audit::append(
        tx,
        by,
        Entry {
            action: "request.cancelled",
            target_kind: "request",
            target_id: &request.id,
            item_id: Some(&request.item_id),
            request_id: Some(&request.id),
            details,
        },
    )
    .await?;
    Ok(true)
}

async fn view_of(db: &Db, s: RequestSummary) -> Result<RequestView, DomainError> {
    let mut steps = Vec::new();
    for t in tasks::of_request(db.pool(), &s.request.id).await? {
        let name = match &t.approver_user_id {
            Some(user) => users::find(db, user).await?.map(|u| u.name),
            None => None,
        };
        let signed_auth_time = signed_auth_time(db, &t.id).await?;
        steps.push(task_view(t, name, signed_auth_time));
    }
    let jobs = super::provisioning::status::of_request(db, &s.request.id).await?;
    let timeline = timeline(db, &s.request.id).await?;
    Ok(RequestView {
        jobs,
        timeline,
        ..list_view(s, steps)
    })
}

/// A request as a list shows it: its steps, without the evidence, jobs,
/// timeline and plan its own page adds ([`view_of`]).
fn list_view(s: RequestSummary, tasks: Vec<TaskView>) -> RequestView {
    RequestView {
        id: s.request.id,
        kind: s.request.kind,
        item_id: s.request.item_id,
        item_name: s.item_name,
        item_kind: s.item_kind,
        requester_name: s.requester_name,
        beneficiary_name: s.beneficiary_name,
        justification: s.request.justification,
        end_date: s.request.end_date,
        status: s.request.status,
        created_at: s.request.created_at,
        tasks,
        jobs: Vec::new(),
        timeline: Vec::new(),
        plan: None,
    }
}

/// A step as pages show it; `approver_name` is the named approver's, if any.
fn task_view(
    t: tasks::TaskRow,
    approver_name: Option<String>,
    signed_auth_time: Option<i64>,
) -> TaskView {
    let approver_label = match (&t.approver_user_id, &t.approver_group) {
        (Some(_), _) => approver_name.unwrap_or_else(|| "Unknown person".into()),
        (None, Some(group)) => format!("Any member of {group}"),
        (None, None) => "Nobody (no fallback configured)".into(),
    };
    TaskView {
        id: t.id,
        position: t.position + 1,
        approver_label,
        state: t.state,
        decided_by_name: t.decided_by_name,
        decided_at: t.decided_at,
        comment: t.comment,
        automatic: t.automatic,
        signed_auth_time,
    }
}

/// The most entries a request's timeline shows.
const TIMELINE_MAX: i64 = 100;

/// The reminders and escalations of a request's tasks, from its audit records
/// (at the worker's time, which the record keeps as `at`).
async fn timeline(db: &Db, request_id: &str) -> Result<Vec<TimelineEntry>, DomainError> {
    let actions = [
        "approval.reminded",
        "approval.escalated",
        "approval.escalation_refused",
    ];
    let records =
        crate::db::audit::of_request(db.pool(), request_id, &actions, TIMELINE_MAX).await?;
    Ok(records
        .into_iter()
        .map(|r| {
            let d = &r.details;
            let step = d["step"].as_i64().unwrap_or_default();
            let days = match d["waiting_days"].as_i64().unwrap_or_default() {
                1 => "1 day".to_owned(),
                n => format!("{n} days"),
            };
            let what = match r.action.as_str() {
                "approval.reminded" => format!(
                    "Step {step}: reminder {} of {} sent to its approver after {days} waiting",
                    d["reminder"].as_i64().unwrap_or_default(),
                    d["of"].as_i64().unwrap_or_default(),
                ),
                "approval.escalated" => format!(
                    "Step {step}: escalated to {} after {days} waiting",
                    d["to_name"].as_str().unwrap_or("the fallback approver"),
                ),
                _ => format!(
                    "Step {step}: not escalated after {days} waiting: {}",
                    d["reason"]
                        .as_str()
                        .unwrap_or("the fallback could not take it"),
                ),
            };
            TimelineEntry {
                at: d["at"].as_i64().unwrap_or(r.at),
                what,
            }
        })
        .collect())
}

/// The `auth_time` of the e-signature on an approved task, from its audit record.
async fn signed_auth_time(db: &Db, task_id: &str) -> Result<Option<i64>, DomainError> {
    let record = crate::db::audit::for_target(db.pool(), "approval_task", task_id).await?;
    Ok(record.and_then(|r| r.details["e_signature"]["auth_time"].as_i64()))
}

/// May `actor` read this request? Its requester and beneficiary, the
/// beneficiary's manager (My team), everybody who was ever given one of its
/// tasks (by name, or as a member of the task's group) or decided one,
/// administrators and auditors; nobody else.
async fn may_read(db: &Db, actor: &CurrentUser, s: &RequestSummary) -> Result<bool, DomainError> {
    if s.request.requester_id == actor.id
        || s.request.beneficiary_id == actor.id
        || actor.has(Role::Admin)
        || actor.has(Role::Auditor)
    {
        return Ok(true);
    }
    let manager = crate::db::managers::manager_of(db.pool(), &s.request.beneficiary_id).await?;
    if manager.as_deref() == Some(actor.id.as_str()) {
        return Ok(true);
    }
    let groups = approvals::actor_groups(db, actor).await?;
    let me = Some(actor.id.as_str());
    Ok(tasks::of_request(db.pool(), &s.request.id)
        .await?
        .iter()
        .any(|t| {
            t.approver_user_id.as_deref() == me
                || t.decided_by.as_deref() == me
                || t.approver_group
                    .as_ref()
                    .is_some_and(|g| groups.contains(g))
        }))
}

/// One request, to those who [`may_read`] it (to anybody else it does not exist).
pub async fn view(db: &Db, actor: &CurrentUser, id: &str) -> Result<RequestView, DomainError> {
    let summary = store::summary_of(db.pool(), id)
        .await?
        .ok_or(DomainError::NotFound("request"))?;
    if !may_read(db, actor, &summary).await? {
        return Err(DomainError::NotFound("request"));
    }
    let plan_of = summary.clone();
    let mut view = view_of(db, summary).await?;
    view.plan = Some(super::request_plan::of_request(db, &plan_of, &view.tasks).await?);
    Ok(view)
}

/// The actor's requests (made by or for them), newest first, as a list shows
/// them: two queries whatever the page's length.
pub async fn mine(
    db: &Db,
    actor: &CurrentUser,
    before: Option<&str>,
    limit: i64,
) -> Result<Page<RequestView>, DomainError> {
    let limit = limit.clamp(1, 100);
    let before = before.and_then(parse_time_cursor);
    let rows = store::of_person(db.pool(), &actor.id, before, limit + 1).await?;
    let page = Page::from_overfetch(rows, limit, |s| {
        format!("{}_{}", s.request.created_at, s.request.id)
    });
    // Every row's steps in one query, whatever the page's length.
    let ids: Vec<&str> = page.rows.iter().map(|s| s.request.id.as_str()).collect();
    let mut steps: HashMap<String, Vec<TaskView>> = HashMap::new();
    for row in tasks::of_requests(db.pool(), &ids).await? {
        let request_id = row.task.request_id.clone();
        let step = task_view(row.task, row.approver_name, None);
        steps.entry(request_id).or_default().push(step);
    }
    let rows = page
        .rows
        .into_iter()
        .map(|s| {
            let tasks = steps.remove(&s.request.id).unwrap_or_default();
            list_view(s, tasks)
        })
        .collect();
    Ok(Page {
        rows,
        next: page.next,
    })
}

/// What the actor holds now.
pub async fn my_access(db: &Db, actor: &CurrentUser) -> Result<Vec<AssignmentView>, DomainError> {
    Ok(assignments::of_user(db.pool(), &actor.id, 500).await?)
}
