//! Handing open approval work on when the people around it change: a person who
//! leaves gives up the tasks given to them by name, and the manager-step tasks of
//! a person whose manager changes follow the new manager. Each move closes the
//! task as reassigned and opens a new one for the same step, audited as
//! `approval.reassigned` by whoever made the change (the directory, or an
//! administrator), with the reason. Nothing here ever approves: the new assignee
//! decides, and signs if the item requires it.

use serde_json::json;

use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    new_id, notify, now,
    routing::{self, Fallback, Target},
};
use crate::db::{
    Tx, items,
    requests::{self as store, RequestRow},
    tasks::{self, NewTask, TaskRow},
};

/// Why a task was handed on, as its comment and audit record say.
pub const APPROVER_LEFT: &str = "approver left";
pub const MANAGER_CHANGED: &str = "manager changed";

/// Moves every pending task given to `leaver_id` by name to its step's fallback
/// (the item's owner when that is someone else who has not left, else the first
/// administrators' group). Returns the moved tasks' ids.
pub(crate) async fn tasks_of_leaver(
    tx: &mut Tx,
    leaver_id: &str,
    by: &AuditActor<'_>,
    fallback: &Fallback,
) -> Result<Vec<String>, DomainError> {
    let mut moved = Vec::new();
    for task in tasks::pending_for_person(&mut **tx, leaver_id).await? {
        let (request, item) = request_and_item(tx, &task).await?;
        let to = Target {
            manager_step: task.manager_step,
            ..routing::fallback_target(tx, &item, &request, fallback).await?
        };
        hand_on(tx, &task, (&request, &item.id), &to, (by, APPROVER_LEFT)).await?;
        moved.push(task.id);
    }
    Ok(moved)
}

/// Moves the pending manager-step tasks of `beneficiary_id`'s requests to their
/// manager as the directory names them now: a manager who left, none, or one who
/// is the request's requester or beneficiary sends the task to the fallback
/// instead (never auto-approved on a move). Returns the moved tasks' ids.
pub(crate) async fn follow_manager(
    tx: &mut Tx,
    beneficiary_id: &str,
    by: &AuditActor<'_>,
    fallback: &Fallback,
) -> Result<Vec<String>, DomainError> {
    let mut moved = Vec::new();
    for task in tasks::pending_manager_steps_of(&mut **tx, beneficiary_id).await? {
        let (request, item) = request_and_item(tx, &task).await?;
        let manager = routing::manager_of_beneficiary(tx, &request)
            .await?
            .filter(|m| m != &request.requester_id && m != &request.beneficiary_id);
        let to = match manager {
            Some(manager) => Target {
                user_id: Some(manager),
                group: None,
                manager_step: true,
            },
            None => Target {
                manager_step: true,
                ..routing::fallback_target(tx, &item, &request, fallback).await?
            },
        };
        if to.user_id == task.approver_user_id && to.group == task.approver_group {
            continue;
        }
        hand_on(tx, &task, (&request, &item.id), &to, (by, MANAGER_CHANGED)).await?;
        moved.push(task.id);
    }
    Ok(moved)
}

async fn request_and_item(
    tx: &mut Tx,
    task: &TaskRow,
) -> Result<(RequestRow, crate::types::AccessItem), DomainError> {
    let request = store::find(&mut **tx, &task.request_id)
        .await?
        .ok_or(DomainError::NotFound("request"))?;
    let item = items::find(&mut **tx, &request.item_id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    Ok((request, item))
}

/// Closes `task` as reassigned and opens its step again for `to`, audited.
async fn hand_on(
    tx: &mut Tx,
    task: &TaskRow,
    (request, item_id): (&RequestRow, &str),
    to: &Target,
    (by, reason): (&AuditActor<'_>, &str),
) -> Result<(), DomainError> {
    let at = now();
    let by_person = match by {
        AuditActor::User(id) => Some(*id),
        _ => None,
    };
    if !tasks::hand_on(tx, &task.id, by_person, reason, at).await? {
        return Err(DomainError::Conflict(
            "This step was decided while it was being handed on.".into(),
        ));
    }
    let new_task = new_id();
    tasks::insert(
        tx,
        &NewTask {
            id: &new_task,
            request_id: &request.id,
            position: task.position,
            approver_user_id: to.user_id.as_deref(),
            approver_group: to.group.as_deref(),
            manager_step: to.manager_step,
            now: at,
        },
    )
    .await?;
    let approver = (to.user_id.as_deref(), to.group.as_deref());
    notify::task_opened(tx, &new_task, request, approver, task.position, at).await?;
    audit::append(
        tx,
        by.clone(),
        Entry::about_task(
            "approval.reassigned",
            &task.id,
            (item_id, &request.id),
            json!({
                "step": task.position + 1,
                "from_user_id": task.approver_user_id,
                "from_group": task.approver_group,
                "to_user_id": to.user_id,
                "to_group": to.group,
                "new_task_id": new_task,
                "reason": reason,
                "comment": reason,
            }),
        ),
    )
    .await?;
    Ok(())
}
