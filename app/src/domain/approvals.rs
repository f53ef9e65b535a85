//! The approval engine: a request walks its item's ordered approval steps; each
//! step is decided once; the last approval grants (or removes) the access.
//!
//! Nobody decides their own request. A step whose approver is the requester or
//! the beneficiary is, with `autoApprovalEnabled`, approved automatically (and
//! audited as such); without it (the default) it goes to the **fallback**: the
//! item's owner when that is someone else, otherwise the first administrators'
//! group. A step whose approver no longer exists goes to the same fallback.

use serde_json::{Value, json};

use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    new_id, now, org, reauth, text,
};
use crate::{
    db::{
        Db, Tx, assignments, items,
        requests::{self as store, NewTask, RequestRow, TaskRow},
        users,
    },
    types::{
        AccessItem, AccessRequestConfig, Approver, CurrentUser, Decision, RequestKind,
        RequestStatus, TaskState,
    },
};

pub const COMMENT_MAX: usize = 1000;
pub const BATCH_MAX: usize = 50;

/// Where approval work goes when its approver cannot take it.
#[derive(Debug, Clone, Default)]
pub struct Fallback {
    /// The provider group whose members are administrators.
    pub admin_group: Option<String>,
}

/// Who a task goes to.
struct Target {
    user_id: Option<String>,
    group: Option<String>,
}

fn fallback_target(item: &AccessItem, request: &RequestRow, fallback: &Fallback) -> Target {
    match &item.owner_id {
        Some(owner) if owner != &request.requester_id && owner != &request.beneficiary_id => {
            Target {
                user_id: Some(owner.clone()),
                group: None,
            }
        }
        _ => Target {
            user_id: None,
            group: fallback.admin_group.clone(),
        },
    }
}

/// Opens step `position` of `request` (or finishes the request when there is no
/// such step). Self-approval is resolved here.
pub(crate) async fn open_step(
    tx: &mut Tx,
    request: &RequestRow,
    item: &AccessItem,
    position: i64,
    config: &AccessRequestConfig,
    fallback: &Fallback,
) -> Result<(), DomainError> {
    let steps = items::steps(&mut **tx, &item.id).await?;
    let Some(approver) = steps.get(position as usize) else {
        return finish(tx, request, item).await;
    };
    let own = |id: &str| id == request.requester_id || id == request.beneficiary_id;
    let target = match approver {
        Approver::Owner => match &item.owner_id {
            Some(owner) => Target {
                user_id: Some(owner.clone()),
                group: None,
            },
            None => fallback_target(item, request, fallback),
        },
        Approver::User { user_id } => match users::find_in(&mut **tx, user_id).await? {
            Some(_) => Target {
                user_id: Some(user_id.clone()),
                group: None,
            },
            None => fallback_target(item, request, fallback),
        },
        Approver::Group { group } => Target {
            user_id: None,
            group: Some(group.clone()),
        },
    };
    let target = match &target.user_id {
        Some(user) if own(user) && !config.auto_approval_enabled => {
            fallback_target(item, request, fallback)
        }
        _ => target,
    };
    let task_id = new_id();
    let at = now();
    store::insert_task(
        tx,
        &NewTask {
            id: &task_id,
            request_id: &request.id,
            position,
            approver_user_id: target.user_id.as_deref(),
            approver_group: target.group.as_deref(),
            now: at,
        },
    )
    .await?;
    if let Some(user) = target.user_id.as_deref()
        && own(user)
        && config.auto_approval_enabled
    {
        store::decide_task(tx, &task_id, TaskState::Approved, user, None, true, at).await?;
        audit::append(
            tx,
            AuditActor::System,
            Entry {
                action: "approval.auto_approved",
                target_kind: "approval_task",
                target_id: &task_id,
                item_id: Some(&item.id),
                request_id: Some(&request.id),
                details: json!({
                    "step": position + 1,
                    "approver_id": user,
                    "reason": "the requester is this step's approver and autoApprovalEnabled is on",
                }),
            },
        )
        .await?;
        return Box::pin(open_step(tx, request, item, position + 1, config, fallback)).await;
    }
    Ok(())
}

/// The last step approved: grant or remove the access.
async fn finish(tx: &mut Tx, request: &RequestRow, item: &AccessItem) -> Result<(), DomainError> {
    let at = now();
    if !store::close(tx, &request.id, RequestStatus::Approved, at).await? {
        return Err(DomainError::Conflict(
            "This request is no longer pending.".into(),
        ));
    }
    let (action, details) = match request.kind {
        RequestKind::Grant => {
            let assignment = new_id();
            assignments::grant(
                tx,
                &assignment,
                &request.beneficiary_id,
                &item.id,
                &request.id,
                request.end_date,
                at,
            )
            .await?;
            (
                "assignment.granted",
                json!({ "user_id": request.beneficiary_id, "end_date": request.end_date }),
            )
        }
        RequestKind::Revoke => {
            let removed = assignments::remove(tx, &request.beneficiary_id, &item.id).await?;
            (
                "assignment.removed",
                json!({ "user_id": request.beneficiary_id, "held": removed }),
            )
        }
    };
    audit::append(
        tx,
        AuditActor::System,
        Entry {
            action,
            target_kind: "assignment",
            target_id: &format!("{}:{}", request.beneficiary_id, item.id),
            item_id: Some(&item.id),
            request_id: Some(&request.id),
            details,
        },
    )
    .await?;
    Ok(())
}

/// The task, its request and item, if `actor` may decide it now.
async fn decidable(
    db: &Db,
    actor: &CurrentUser,
    groups: &[String],
    task_id: &str,
) -> Result<(TaskRow, RequestRow, AccessItem), DomainError> {
    let task = store::find_task(db.pool(), task_id)
        .await?
        .ok_or(DomainError::NotFound("approval task"))?;
    let mine = task.approver_user_id.as_deref() == Some(actor.id.as_str())
        || task
            .approver_group
            .as_ref()
            .is_some_and(|g| groups.contains(g));
    if !mine {
        return Err(DomainError::Forbidden("this task is not assigned to you"));
    }
    let request = store::find(db.pool(), &task.request_id)
        .await?
        .ok_or(DomainError::NotFound("request"))?;
    if request.requester_id == actor.id || request.beneficiary_id == actor.id {
        return Err(DomainError::Forbidden("nobody decides their own request"));
    }
    if task.state != TaskState::Pending {
        return Err(already_decided(&task));
    }
    let item = items::find(db.pool(), &request.item_id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    Ok((task, request, item))
}

fn already_decided(task: &TaskRow) -> DomainError {
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

/// Must approving this request be e-signed? Only approvals of grant requests for
/// items that require it, while the organisation has it on. Never denials,
/// reassignments or removal requests.
pub fn needs_reauth(
    config: &AccessRequestConfig,
    item_requires_reauth: bool,
    request_kind: RequestKind,
    decision: Decision,
) -> bool {
    decision == Decision::Approve
        && request_kind == RequestKind::Grant
        && config.reauthorization_enabled
        && item_requires_reauth
}

pub(crate) async fn actor_groups(db: &Db, actor: &CurrentUser) -> Result<Vec<String>, DomainError> {
    Ok(users::find(db, &actor.id)
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
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &Db,
    actor: &CurrentUser,
    session_key: &str,
    task_ids: &[String],
    decision: Decision,
    comment: &str,
    proof: Option<&str>,
    fallback: &Fallback,
) -> Result<Vec<Decided>, DomainError> {
    if task_ids.is_empty() {
        return Err(DomainError::invalid("tasks", "choose at least one task"));
    }
    if task_ids.len() > BATCH_MAX {
        return Err(DomainError::invalid(
            "tasks",
            format!("decide at most {BATCH_MAX} tasks at once"),
        ));
    }
    let comment = text("comment", comment, decision == Decision::Deny, COMMENT_MAX)?;
    let config = org::config(db).await?;
    let groups = actor_groups(db, actor).await?;
    let mut ids: Vec<String> = task_ids.to_vec();
    ids.sort();
    ids.dedup();
    let mut work = Vec::with_capacity(ids.len());
    for id in &ids {
        work.push(decidable(db, actor, &groups, id).await?);
    }
    let signing: Vec<&(TaskRow, RequestRow, AccessItem)> = work
        .iter()
        .filter(|(_, r, i)| needs_reauth(&config, i.require_reauth, r.kind, decision))
        .collect();
    let window = signing
        .iter()
        .map(|(_, _, i)| {
            i.reauth_window_minutes
                .unwrap_or(config.default_reauth_window_minutes)
        })
        .min()
        .unwrap_or(0);
    // The exact decision the signature covers.
    let action = json!({
        "kind": "approval",
        "tasks": ids,
        "decision": decision,
        "comment": comment,
        "versions": work.iter().map(|(_, r, _)| r.version).collect::<Vec<_>>(),
    });
    let tx = db.write_tx().await?;
    let (mut tx, evidence) = if signing.is_empty() {
        (tx, None)
    } else {
        let signed = reauth::SignedAction {
            actor,
            session_key,
            purpose: reauth::Purpose::Approval,
            action: &action,
            proof,
            window_minutes: window,
        };
        let (tx, evidence) = reauth::require_proof(db, tx, &signed).await?;
        (tx, Some(evidence))
    };
    let mut out = Vec::new();
    for (task, request, item) in &work {
        let signed = evidence.is_some()
            && needs_reauth(&config, item.require_reauth, request.kind, decision);
        decide_one(
            &mut tx,
            actor,
            task,
            request,
            item,
            decision,
            &comment,
            if signed { evidence.as_ref() } else { None },
            &config,
            fallback,
        )
        .await?;
        out.push(Decided {
            task_id: task.id.clone(),
            signed,
        });
    }
    tx.commit().await?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn decide_one(
    tx: &mut Tx,
    actor: &CurrentUser,
    task: &TaskRow,
    request: &RequestRow,
    item: &AccessItem,
    decision: Decision,
    comment: &str,
    evidence: Option<&reauth::Evidence>,
    config: &AccessRequestConfig,
    fallback: &Fallback,
) -> Result<(), DomainError> {
    let at = now();
    let state = match decision {
        Decision::Approve => TaskState::Approved,
        Decision::Deny => TaskState::Denied,
    };
    let comment_opt = (!comment.is_empty()).then_some(comment);
    if !store::decide_task(tx, &task.id, state, &actor.id, comment_opt, false, at).await? {
        let now_task = store::find_task(&mut **tx, &task.id).await?;
        return Err(now_task
            .as_ref()
            .map(already_decided)
            .unwrap_or(DomainError::NotFound("approval task")));
    }
    let signature: Value = match evidence {
        Some(e) => json!({
            "signer_name": actor.name,
            "signer_issuer": e.issuer,
            "signer_subject": e.subject,
            "signed_at": at,
            "meaning": "approved",
            "justification": request.justification,
            "comment": comment,
            "reauthenticated": true,
            "auth_time": e.auth_time,
            "acr": e.acr,
            "amr": e.amr,
            "kid": e.kid,
            "signing_key": e.signing_key,
            "id_token": e.id_token,
            "challenge_id": e.challenge_id,
        }),
        None => Value::Null,
    };
    audit::append(
        tx,
        AuditActor::User(&actor.id),
        Entry {
            action: match decision {
                Decision::Approve => "approval.approved",
                Decision::Deny => "approval.denied",
            },
            target_kind: "approval_task",
            target_id: &task.id,
            item_id: Some(&item.id),
            request_id: Some(&request.id),
            details: json!({
                "step": task.position + 1,
                "request_kind": request.kind,
                "justification": request.justification,
                "comment": comment,
                "e_signature": signature,
            }),
        },
    )
    .await?;
    match decision {
        Decision::Deny => {
            store::close(tx, &request.id, RequestStatus::Denied, at).await?;
            store::cancel_tasks(tx, &request.id, at).await?;
            Ok(())
        }
        Decision::Approve => {
            open_step(tx, request, item, task.position + 1, config, fallback).await
        }
    }
}

/// Hands a task to another eligible person (comment required). Never needs
/// re-authentication.
pub async fn reassign(
    db: &Db,
    actor: &CurrentUser,
    task_id: &str,
    to_user_id: &str,
    comment: &str,
) -> Result<(), DomainError> {
    let comment = text("comment", comment, true, COMMENT_MAX)?;
    let groups = actor_groups(db, actor).await?;
    let (task, request, item) = decidable(db, actor, &groups, task_id).await?;
    let to = users::find(db, to_user_id)
        .await?
        .ok_or_else(|| DomainError::invalid("to", "choose a person to hand this task to"))?;
    if to.id == actor.id {
        return Err(DomainError::invalid("to", "the task is already yours"));
    }
    if to.id == request.requester_id || to.id == request.beneficiary_id {
        return Err(DomainError::invalid(
            "to",
            "nobody decides their own request: choose someone else",
        ));
    }
    let at = now();
    let mut tx = db.write_tx().await?;
    if !store::decide_task(
        &mut tx,
        &task.id,
        TaskState::Reassigned,
        &actor.id,
        Some(&comment),
        false,
        at,
    )
    .await?
    {
        let now_task = store::find_task(&mut *tx, &task.id).await?;
        return Err(now_task
            .as_ref()
            .map(already_decided)
            .unwrap_or(DomainError::NotFound("approval task")));
    }
    let new_task = new_id();
    store::insert_task(
        &mut tx,
        &NewTask {
            id: &new_task,
            request_id: &request.id,
            position: task.position,
            approver_user_id: Some(&to.id),
            approver_group: None,
            now: at,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry {
            action: "approval.reassigned",
            target_kind: "approval_task",
            target_id: &task.id,
            item_id: Some(&item.id),
            request_id: Some(&request.id),
            details: json!({
                "step": task.position + 1,
                "to_user_id": to.id,
                "to_name": to.name,
                "new_task_id": new_task,
                "comment": comment,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
