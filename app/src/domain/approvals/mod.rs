//! Decisions on approval tasks: approve, deny (several together as one batch),
//! and reassignment. Where the work goes next is [`super::routing`]'s job.
//!
//! Every check reads the state inside the writing transaction, so a decision is
//! judged on exactly what it changes: who the task belongs to, whether approving
//! it must be e-signed, and the organisation's configuration.

use serde_json::{Value, json};

use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    notify, now, reauth,
    routing::{self, Fallback, needs_reauth},
    text,
};
use crate::{
    db::{
        Db, Tx, items, org_config,
        requests::{self as store, RequestRow},
        tasks::{self, TaskRow},
        users,
    },
    types::{
        AccessItem, AccessRequestConfig, CurrentUser, Decision, RequestStatus, Role, TaskState,
    },
};

mod reassign;

pub(crate) use reassign::{HandTo, hand_over, refusal};
pub use reassign::{eligible_assignees, reassign};

pub const COMMENT_MAX: usize = 1000;
pub const BATCH_MAX: usize = 50;

/// Which door a caller came through. With `approvalsMustBeExternal`, decisions
/// are made through the JSON API only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Web,
    Api,
}

/// Who is acting: the person, the sign-in their proofs are bound to, and the door.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub user: &'a CurrentUser,
    pub session_key: &'a str,
    pub channel: Channel,
}

/// Approve or deny these tasks, with this comment, and (for a signed approval)
/// the re-authentication offered as proof.
#[derive(Debug, Clone, Copy)]
pub struct DecideCommand<'a> {
    pub tasks: &'a [String],
    pub decision: Decision,
    pub comment: &'a str,
    pub proof: Option<&'a str>,
}

/// A task the caller may decide now, with its request and item.
pub(super) struct Decidable {
    pub(super) task: TaskRow,
    pub(super) request: RequestRow,
    pub(super) item: AccessItem,
}

pub(super) fn refuse_external(
    config: &AccessRequestConfig,
    caller: &Caller<'_>,
) -> Result<(), DomainError> {
    if config.approvals_must_be_external && caller.channel == Channel::Web {
        return Err(DomainError::Forbidden(
            "your organisation decides approvals in its external system \
             (approvalsMustBeExternal); the inbox is read-only",
        ));
    }
    Ok(())
}

/// The task, its request and item, if `actor` may decide it now: it is assigned
/// to them (by name or group), they hold the approver role (or own the item, or
/// are the beneficiary's manager given its manager step, or are an administrator
/// working the administrators' fallback), and it is not their own request.
pub(super) async fn decidable(
    tx: &mut Tx,
    actor: &CurrentUser,
    groups: &[String],
    task_id: &str,
    fallback: &Fallback,
) -> Result<Decidable, DomainError> {
    let task = tasks::find(&mut **tx, task_id)
        .await?
        .ok_or(DomainError::NotFound("approval task"))?;
    let assigned = task.approver_user_id.as_deref() == Some(actor.id.as_str())
        || task
            .approver_group
            .as_ref()
            .is_some_and(|g| groups.contains(g));
    if !assigned {
        return Err(DomainError::Forbidden("this task is not assigned to you"));
    }
    let request = store::find(&mut **tx, &task.request_id)
        .await?
        .ok_or(DomainError::NotFound("request"))?;
    if request.requester_id == actor.id || request.beneficiary_id == actor.id {
        return Err(DomainError::Forbidden("nobody decides their own request"));
    }
    if task.state != TaskState::Pending {
        return Err(already_decided(&task));
    }
    let item = items::find(&mut **tx, &request.item_id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    let me = Some(actor.id.as_str());
    // The beneficiary's manager approves as their manager, approver role or not.
    let qualified = actor.has(Role::Approver)
        || item.owner_id.as_deref() == me
        || (task.manager_step && task.approver_user_id.as_deref() == me)
        || (actor.has(Role::Admin)
            && task.approver_group.is_some()
            && task.approver_group == fallback.admin_group);
    if !qualified {
        return Err(DomainError::Forbidden(
            "deciding needs the approver role (or ownership of the item)",
        ));
    }
    Ok(Decidable {
        task,
        request,
        item,
    })
}

fn already_decided(task: &TaskRow) -> DomainError {
    if task.state == TaskState::Reassigned
        && task.decided_by_name.is_none()
        && let Some(reason) = &task.comment
    {
        // Handed on by the directory's change (`domain::handover`).
        return DomainError::Conflict(format!("This step was already handed on ({reason})."));
    }
    let by = task.decided_by_name.as_deref().unwrap_or("someone else");
    DomainError::Conflict(format!(
        "This step was already {} by {by}.",
        match task.state {
            TaskState::Approved => "approved",
            TaskState::Denied => "denied",
            TaskState::Reassigned => "reassigned",
            _ => "closed",
        }
    ))
}

/// A conditional update of a task lost its race: say who won.
pub(super) async fn lost_race(tx: &mut Tx, task_id: &str) -> DomainError {
    match tasks::find(&mut **tx, task_id).await {
        Ok(Some(task)) => already_decided(&task),
        Ok(None) => DomainError::NotFound("approval task"),
        Err(err) => err.into(),
    }
}

/// The actor's groups: as read with their roles for this request, or from
/// their row. (Decisions read them again inside their transaction: `groups_in`.)
pub(crate) async fn actor_groups(db: &Db, actor: &CurrentUser) -> Result<Vec<String>, DomainError> {
    if let Some(groups) = &actor.groups {
        return Ok(groups.clone());
    }
    Ok(users::find(db, &actor.id)
        .await?
        .map(|u| u.groups)
        .unwrap_or_default())
}

pub(super) async fn groups_in(
    tx: &mut Tx,
    actor: &CurrentUser,
) -> Result<Vec<String>, DomainError> {
    Ok(users::find_in(&mut **tx, &actor.id)
        .await?
        .map(|u| u.groups)
        .unwrap_or_default())
}

/// What was decided, for the inbox to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub task_id: String,
    pub signed: bool,
}

/// Approves or denies one or more tasks together (a batch signs once).
pub async fn decide(
    db: &Db,
    caller: &Caller<'_>,
    command: &DecideCommand<'_>,
    fallback: &Fallback,
) -> Result<Vec<Decided>, DomainError> {
    let actor = caller.user;
    let decision = command.decision;
    if command.tasks.is_empty() {
        return Err(DomainError::invalid("tasks", "choose at least one task"));
    }
    if command.tasks.len() > BATCH_MAX {
        return Err(DomainError::invalid(
            "tasks",
            format!("decide at most {BATCH_MAX} tasks at once"),
        ));
    }
    let comment = text(
        "comment",
        command.comment,
        decision == Decision::Deny,
        COMMENT_MAX,
    )?;
    let mut ids: Vec<String> = command.tasks.to_vec();
    ids.sort();
    ids.dedup();
    let mut tx = db.write_tx().await?;
    let config = org_config::load(&mut *tx).await?.config;
    refuse_external(&config, caller)?;
    let groups = groups_in(&mut tx, actor).await?;
    let mut work = Vec::with_capacity(ids.len());
    for id in &ids {
        work.push(decidable(&mut tx, actor, &groups, id, fallback).await?);
    }
    let signs =
        |d: &Decidable| needs_reauth(&config, d.item.require_reauth, d.request.kind, decision);
    let window = work
        .iter()
        .filter(|d| signs(d))
        .map(|d| {
            d.item
                .reauth_window_minutes
                .unwrap_or(config.default_reauth_window_minutes)
        })
        .min();
    let (mut tx, evidence) = match window {
        None => (tx, None),
        Some(window_minutes) => {
            // The exact decision the signature covers.
            let action = reauth::SignedAction::Approval {
                tasks: ids.clone(),
                decision,
                comment: comment.clone(),
                versions: work.iter().map(|d| d.request.version).collect(),
            };
            let signed = reauth::ProofRequest {
                actor,
                session_key: caller.session_key,
                action: &action,
                proof: command.proof,
                window_minutes,
            };
            let (tx, evidence) = reauth::require_proof(db, tx, &signed).await?;
            (tx, Some(evidence))
        }
    };
    let mut out = Vec::with_capacity(work.len());
    for d in &work {
        let evidence = evidence.as_ref().filter(|_| signs(d));
        decide_one(&mut tx, actor, d, decision, &comment, evidence, fallback).await?;
        out.push(Decided {
            task_id: d.task.id.clone(),
            signed: evidence.is_some(),
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// The e-signature of an approval, as its audit record keeps it.
fn e_signature(
    actor: &CurrentUser,
    request: &RequestRow,
    comment: &str,
    evidence: &reauth::Evidence,
    at: i64,
) -> Value {
    json!({
        "signer_name": actor.name,
        "signer_issuer": evidence.issuer,
        "signer_subject": evidence.subject,
        "signed_at": at,
        "meaning": "approved",
        "justification": request.justification,
        "comment": comment,
        "reauthenticated": true,
        "auth_time": evidence.auth_time,
        "acr": evidence.acr,
        "amr": evidence.amr,
        "kid": evidence.kid,
        "signing_key": evidence.signing_key,
        "id_token": evidence.id_token,
        "challenge_id": evidence.challenge_id,
    })
}

async fn decide_one(
    tx: &mut Tx,
    actor: &CurrentUser,
    d: &Decidable,
    decision: Decision,
    comment: &str,
    evidence: Option<&reauth::Evidence>,
    fallback: &Fallback,
) -> Result<(), DomainError> {
    let Decidable {
        task,
        request,
        item,
    } = d;
    let at = now();
    let state = match decision {
        Decision::Approve => TaskState::Approved,
        Decision::Deny => TaskState::Denied,
    };
    let comment_opt = (!comment.is_empty()).then_some(comment);
    if !tasks::decide(tx, &task.id, state, &actor.id, comment_opt, false, at).await? {
        return Err(lost_race(tx, &task.id).await);
    }
    let signature = evidence
        .map(|e| e_signature(actor, request, comment, e, at))
        .unwrap_or(Value::Null);
    audit::append(
        tx,
        AuditActor::User(&actor.id),
        Entry::about_task(
            match decision {
                Decision::Approve => "approval.approved",
                Decision::Deny => "approval.denied",
            },
            &task.id,
            (&item.id, &request.id),
            json!({
                "step": task.position + 1,
                "request_kind": request.kind,
                "justification": request.justification,
                "comment": comment,
                "e_signature": signature,
            }),
        ),
    )
    .await?;
    match decision {
        Decision::Deny => {
            store::close(tx, &request.id, RequestStatus::Denied, at).await?;
            tasks::cancel_pending(tx, &request.id, at).await?;
            let by = Some(actor.id.as_str());
            notify::request_closed(tx, request, RequestStatus::Denied, by, comment_opt, at).await
        }
        Decision::Approve => routing::open_step(tx, request, task.position + 1, fallback).await,
    }
}
