//! Handing a task to someone else: only to a person who could have been given
//! its step, never needing a signature (the new assignee's approval will).

use serde_json::json;

use super::{COMMENT_MAX, Caller, Decidable, decidable, groups_in, lost_race, refuse_external};
use crate::{
    db::{
        Db, Tx, items, org_config,
        people::Among,
        tasks::{self, NewTask},
        users,
    },
    domain::{
        DomainError,
        audit::{self, AuditActor, Entry},
        new_id, notify, now,
        people::PeopleQuery,
        routing::Fallback,
        text,
    },
    types::{AccessItem, Approver, CurrentUser, Page, PersonRef, TaskState},
};

/// The groups whose members could have been given step `position` of `item`:
/// the step's own group for a group step, the approver groups otherwise.
async fn eligible_groups(
    tx: &mut Tx,
    item: &AccessItem,
    position: i64,
    fallback: &Fallback,
) -> Result<Vec<String>, DomainError> {
    let steps = items::steps(&mut **tx, &item.id).await?;
    Ok(match steps.get(position as usize) {
        Some(Approver::Group { group }) => vec![group.clone()],
        _ => fallback.roles.approver_groups.clone(),
    })
}

/// Hands a task to another person who could have been assigned its step (comment
/// required). Never needs re-authentication: the new assignee's approval will.
pub async fn reassign(
    db: &Db,
    caller: &Caller<'_>,
    (task_id, to_user_id): (&str, &str),
    comment: &str,
    fallback: &Fallback,
) -> Result<(), DomainError> {
    let actor = caller.user;
    let comment = text("comment", comment, true, COMMENT_MAX)?;
    let mut tx = db.write_tx().await?;
    let config = org_config::load(&mut *tx).await?.config;
    refuse_external(&config, caller)?;
    let groups = groups_in(&mut tx, actor).await?;
    let Decidable {
        task,
        request,
        item,
    } = decidable(&mut tx, actor, &groups, task_id, fallback).await?;
    let to = users::find_in(&mut *tx, to_user_id)
        .await?
        .ok_or_else(|| DomainError::invalid("to", "choose a person to hand this task to"))?;
    if to.id == actor.id {
        return Err(DomainError::invalid("to", "the task is already yours"));
    }
    if to.disabled_at.is_some() {
        return Err(DomainError::invalid(
            "to",
            format!("{} has left the organisation: choose someone else", to.name),
        ));
    }
    if to.id == request.requester_id || to.id == request.beneficiary_id {
        return Err(DomainError::invalid(
            "to",
            "nobody decides their own request: choose someone else",
        ));
    }
    let eligible = eligible_groups(&mut tx, &item, task.position, fallback).await?;
    if !to.groups.iter().any(|g| eligible.contains(g)) {
        return Err(DomainError::invalid(
            "to",
            format!(
                "{} cannot approve this step: choose a member of {}",
                to.name,
                eligible.join(", ")
            ),
        ));
    }
    let at = now();
    if !tasks::decide(
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
        return Err(lost_race(&mut tx, &task.id).await);
    }
    let new_task = new_id();
    tasks::insert(
        &mut tx,
        &NewTask {
            id: &new_task,
            request_id: &request.id,
            position: task.position,
            approver_user_id: Some(&to.id),
            approver_group: None,
            manager_step: false,
            now: at,
        },
    )
    .await?;
    let approver = (Some(to.id.as_str()), None);
    notify::task_opened(&mut tx, &new_task, &request, approver, task.position, at).await?;
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry::about_task(
            "approval.reassigned",
            &task.id,
            (&item.id, &request.id),
            json!({
                "step": task.position + 1,
                "to_user_id": to.id,
                "to_name": to.name,
                "new_task_id": new_task,
                "comment": comment,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One page of the people `actor` may hand task `task_id` to that `query` finds:
/// those who could have been assigned its step (the step's group, or the
/// approvers), minus the actor and the request's requester and beneficiary.
pub async fn eligible_assignees(
    db: &Db,
    actor: &CurrentUser,
    task_id: &str,
    query: &PeopleQuery,
    fallback: &Fallback,
) -> Result<Page<PersonRef>, DomainError> {
    let mut tx = db.pool().begin().await?;
    let groups = groups_in(&mut tx, actor).await?;
    let d = decidable(&mut tx, actor, &groups, task_id, fallback).await?;
    let eligible = eligible_groups(&mut tx, &d.item, d.task.position, fallback).await?;
    let except = [
        actor.id.as_str(),
        &d.request.requester_id,
        &d.request.beneficiary_id,
    ];
    query.page(&mut tx, Among::Groups(&eligible), &except).await
}
