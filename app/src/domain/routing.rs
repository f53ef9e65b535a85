//! Where approval work goes: a request walks its item's ordered approval steps;
//! each step is opened as a task for its approver; the last approval grants (or
//! removes) the access.
//!
//! Nobody decides their own request. A step whose approver is the requester or
//! the beneficiary is, with `autoApprovalEnabled`, approved automatically (and
//! audited as such) — **except** when approving it must be e-signed: a signature
//! cannot be given by nobody, so such a step is routed as if auto-approval were
//! off. That goes to the **fallback**: the item's owner when that is someone
//! else, otherwise the first administrators' group. A step whose named approver
//! no longer exists or no longer holds the approver role goes to the same
//! fallback. A step "the beneficiary's manager" goes to the manager the directory
//! names when the step opens; no manager, or one who left, is the fallback too,
//! and a manager who is the requester or the beneficiary is their own approver
//! as above. Nobody who left is given a task.
//!
//! Every rule here reads the configuration and the item inside the writing
//! transaction, so what it decides is what the committed state says.

use serde_json::json;

use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    identity::RoleMap,
    new_id, notify, now, provisioning,
};
use crate::{
    db::{
        Tx, assignments, items, managers, org_config,
        requests::{self as store, RequestRow},
        tasks::{self, NewTask},
        users,
    },
    types::{
        AccessItem, AccessRequestConfig, Approver, Decision, RequestKind, RequestStatus, Role,
        TaskState,
    },
};

/// Where approval work goes when its approver cannot take it, and who may take
/// it at all.
#[derive(Debug, Clone, Default)]
pub struct Fallback {
    /// The provider group whose members are administrators.
    pub admin_group: Option<String>,
    /// Which groups grant which role: a person named as an approver (or handed a
    /// task) must hold the approver role by their current groups.
    pub roles: RoleMap,
}

impl Fallback {
    /// Does `groups` (a person's current groups) make them an approver?
    pub fn is_approver(&self, groups: &[String]) -> bool {
        self.roles.roles_for(groups).contains(&Role::Approver)
    }
}

/// Are approvals of an item e-signed? Only while the organisation has
/// re-authenticated approvals on *and* the item requires it: what the catalog,
/// the inbox and the request page promise, and what [`needs_reauth`] enforces.
pub fn approvals_signed(config: &AccessRequestConfig, item_requires_reauth: bool) -> bool {
    config.reauthorization_enabled && item_requires_reauth
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
        && approvals_signed(config, item_requires_reauth)
}

/// Who a task goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) user_id: Option<String>,
    pub(crate) group: Option<String>,
    /// It is the beneficiary's manager's step (whoever ends up with it).
    pub(crate) manager_step: bool,
}

impl Target {
    fn user(id: &str) -> Target {
        Target {
            user_id: Some(id.to_owned()),
            group: None,
            manager_step: false,
        }
    }
}

/// Is `user_id` a person who has not left (nor been disabled)?
async fn present(tx: &mut Tx, user_id: &str) -> Result<bool, DomainError> {
    Ok(users::find_in(&mut **tx, user_id)
        .await?
        .is_some_and(|u| u.disabled_at.is_none()))
}

/// The fallback of a step of `request`: the item's owner when that is someone
/// else who has not left, otherwise the first administrators' group.
pub(crate) async fn fallback_target(
    tx: &mut Tx,
    item: &AccessItem,
    request: &RequestRow,
    fallback: &Fallback,
) -> Result<Target, DomainError> {
    if let Some(owner) = &item.owner_id
        && owner != &request.requester_id
        && owner != &request.beneficiary_id
        && present(tx, owner).await?
    {
        return Ok(Target::user(owner));
    }
    Ok(Target {
        user_id: None,
        group: fallback.admin_group.clone(),
        manager_step: false,
    })
}

/// The beneficiary's manager as the directory says now, when they have not
/// left; `None` otherwise (no manager, or one who left).
pub(crate) async fn manager_of_beneficiary(
    tx: &mut Tx,
    request: &RequestRow,
) -> Result<Option<String>, DomainError> {
    match managers::manager_of(&mut **tx, &request.beneficiary_id).await? {
        Some(manager) if present(tx, &manager).await? => Ok(Some(manager)),
        _ => Ok(None),
    }
}

/// The approver a step names, before self-approval is considered.
async fn step_target(
    tx: &mut Tx,
    approver: &Approver,
    item: &AccessItem,
    request: &RequestRow,
    fallback: &Fallback,
) -> Result<Target, DomainError> {
    Ok(match approver {
        Approver::Owner => match &item.owner_id {
            Some(owner) if present(tx, owner).await? => Target::user(owner),
            _ => fallback_target(tx, item, request, fallback).await?,
        },
        Approver::User { user_id } => match users::find_in(&mut **tx, user_id).await? {
            Some(user) if user.disabled_at.is_none() && fallback.is_approver(&user.groups) => {
                Target::user(user_id)
            }
            _ => fallback_target(tx, item, request, fallback).await?,
        },
        Approver::Group { group } => Target {
            user_id: None,
            group: Some(group.clone()),
            manager_step: false,
        },
        Approver::Manager => {
            let target = match manager_of_beneficiary(tx, request).await? {
                Some(manager) => Target::user(&manager),
                None => fallback_target(tx, item, request, fallback).await?,
            };
            Target {
                manager_step: true,
                ..target
            }
        }
    })
}

/// Opens step `position` of `request` (or finishes the request when there is no
/// such step). Self-approval is resolved here.
pub(crate) async fn open_step(
    tx: &mut Tx,
    request: &RequestRow,
    position: i64,
    fallback: &Fallback,
) -> Result<(), DomainError> {
    let config = org_config::load(&mut **tx).await?.config;
    let item = items::find(&mut **tx, &request.item_id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    let steps = items::steps(&mut **tx, &item.id).await?;
    // A step that must be e-signed is never approved by the system.
    let must_sign = needs_reauth(
        &config,
        item.require_reauth,
        request.kind,
        Decision::Approve,
    );
    let Some(approver) = steps.get(position as usize) else {
        if must_sign {
            every_step_signed(tx, request).await?;
        }
        return finish(tx, request, &item).await;
    };
    let own = |id: &str| id == request.requester_id || id == request.beneficiary_id;
    let auto_approve = config.auto_approval_enabled && !must_sign;
    let target = step_target(tx, approver, &item, request, fallback).await?;
    let target = match &target.user_id {
        Some(user) if own(user) && !auto_approve => Target {
            manager_step: target.manager_step,
            ..fallback_target(tx, &item, request, fallback).await?
        },
        _ => target,
    };
    let task_id = new_id();
    let at = now();
    tasks::insert(
        tx,
        &NewTask {
            id: &task_id,
            request_id: &request.id,
            position,
            approver_user_id: target.user_id.as_deref(),
            approver_group: target.group.as_deref(),
            manager_step: target.manager_step,
            now: at,
        },
    )
    .await?;
    if let Some(user) = target.user_id.as_deref()
        && own(user)
        && auto_approve
    {
        tasks::decide(tx, &task_id, TaskState::Approved, user, None, true, at).await?;
        audit::append(
            tx,
            AuditActor::System,
            Entry::about_task(
                "approval.auto_approved",
                &task_id,
                (&item.id, &request.id),
                json!({
                    "step": position + 1,
                    "approver_id": user,
                    "reason": "the requester is this step's approver and autoApprovalEnabled is on",
                }),
            ),
        )
        .await?;
        return Box::pin(open_step(tx, request, position + 1, fallback)).await;
    }
    let approver = (target.user_id.as_deref(), target.group.as_deref());
    notify::task_opened(tx, &task_id, request, approver, position, at).await
}

/// The last line of defence of the e-signature: access that must be e-signed is
/// granted only when every approved step of its request carries a signature,
/// whatever path led here.
async fn every_step_signed(tx: &mut Tx, request: &RequestRow) -> Result<(), DomainError> {
    for task in tasks::of_request(&mut **tx, &request.id).await? {
        if task.state != TaskState::Approved {
            continue;
        }
        let record = crate::db::audit::for_target(&mut **tx, "approval_task", &task.id).await?;
        let signed = record.is_some_and(|r| {
            r.action == "approval.approved" && r.details["e_signature"].is_object()
        });
        if !signed {
            tracing::error!(request = %request.id, task = %task.id, "unsigned step refused at grant");
            return Err(DomainError::Conflict(
                "Every approval of this access must be e-signed, and an earlier step of this \
                 request was approved without a signature (before the item required one). \
                 Deny this request; the requester can ask again."
                    .into(),
            ));
        }
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
    notify::request_closed(tx, request, RequestStatus::Approved, None, None, at).await?;
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
            let granted = assignments::find(&mut **tx, &request.beneficiary_id, &item.id)
                .await?
                .ok_or(DomainError::NotFound("assignment"))?;
            // In this transaction: no approval without its job.
            let job = provisioning::grant_assignment(tx, &granted).await?;
            (
                "assignment.granted",
                json!({ "user_id": request.beneficiary_id, "end_date": request.end_date,
                        "provisioning_job": job }),
            )
        }
        RequestKind::Revoke => {
            let holding = (request.beneficiary_id.as_str(), item.id.as_str());
            let reason = provisioning::RevokeReason::RemovalApproved {
                request_id: &request.id,
            };
            if provisioning::revoke_assignment(tx, holding, reason, AuditActor::System).await? {
                return Ok(());
            }
            (
                "assignment.removed",
                json!({ "user_id": request.beneficiary_id, "held": false }),
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
