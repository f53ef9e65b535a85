//! Handing a task to someone else: only to a person who could have been given
//! its step, never needing a signature (the new assignee's approval will).

use serde_json::json;

use super::{COMMENT_MAX, Caller, Decidable, decidable, groups_in, lost_race, refuse_external};
use crate::{
    db::{
        Db, Tx, items, org_config,
        people::Among,
        requests::RequestRow,
        tasks::{self, NewTask, TaskRow},
        users::{self, UserRow},
    },
    domain::{
        DomainError,
        audit::{self, AuditActor, Entry},
        new_id, notify, now,
        people::PeopleQuery,
        routing::Fallback,
        text,
    },
    types::{AccessItem, Approver, CurrentUser, Page, PersonRef},
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
    if let Some(why) = refusal(
        &mut tx,
        (&task, &request, &item),
        &HandTo::Person(&to),
        fallback,
    )
    .await?
    {
        return Err(DomainError::invalid("to", why));
    }
    let at = now();
    let details = json!({
        "step": task.position + 1,
        "to_user_id": to.id,
        "to_name": to.name,
        "comment": comment,
    });
    let audit = (AuditActor::User(&actor.id), "approval.reassigned", details);
    hand_over(
        &mut tx,
        (&task, &request, &item),
        &HandTo::Person(&to),
        &comment,
        audit,
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whom a task is handed to.
pub(crate) enum HandTo<'a> {
    Person(&'a UserRow),
    Group(&'a str),
}

/// Why `to` may not be handed `task` (of `request` for `item`), if they may
/// not: only someone who could have been given its step, who has not left,
/// and who is neither the requester nor the beneficiary. The one rule of an
/// approver's reassignment and of escalation.
pub(crate) async fn refusal(
    tx: &mut Tx,
    (task, request, item): (&TaskRow, &RequestRow, &AccessItem),
    to: &HandTo<'_>,
    fallback: &Fallback,
) -> Result<Option<String>, DomainError> {
    let eligible = eligible_groups(tx, item, task.position, fallback).await?;
    Ok(match to {
        HandTo::Person(to) if to.disabled_at.is_some() => Some(format!(
            "{} has left the organisation: choose someone else",
            to.name
        )),
        HandTo::Person(to) if to.id == request.requester_id || to.id == request.beneficiary_id => {
            Some("nobody decides their own request: choose someone else".into())
        }
        HandTo::Person(to) if !to.groups.iter().any(|g| eligible.contains(g)) => Some(format!(
            "{} cannot approve this step: choose a member of {}",
            to.name,
            eligible.join(", ")
        )),
        HandTo::Group(group) if !eligible.iter().any(|g| g == group) => Some(format!(
            "the group {group} cannot approve this step: it needs a member of {}",
            eligible.join(", ")
        )),
        _ => None,
    })
}

/// Closes the pending `task` as reassigned (`comment` says why), opens its
/// step again for `to`, tells them as of a new task and appends `audit` (its
/// details gain `new_task_id`). Returns the new task's id. A task no longer
/// pending is a lost race.
pub(crate) async fn hand_over(
    tx: &mut Tx,
    (task, request, item): (&TaskRow, &RequestRow, &AccessItem),
    to: &HandTo<'_>,
    comment: &str,
    (by, action, mut details): (AuditActor<'_>, &str, serde_json::Value),
    at: i64,
) -> Result<String, DomainError> {
    let by_person = match &by {
        AuditActor::User(id) => Some(*id),
        _ => None,
    };
    if !tasks::hand_on(tx, &task.id, by_person, comment, at).await? {
        return Err(lost_race(tx, &task.id).await);
    }
    let (user, group) = match to {
        HandTo::Person(person) => (Some(person.id.as_str()), None),
        HandTo::Group(group) => (None, Some(*group)),
    };
    let new_task = new_id();
    tasks::insert(
        tx,
        &NewTask {
            id: &new_task,
            request_id: &request.id,
            position: task.position,
            approver_user_id: user,
            approver_group: group,
            manager_step: false,
            now: at,
        },
    )
    .await?;
    notify::task_opened(tx, &new_task, request, (user, group), task.position, at).await?;
    details["new_task_id"] = json!(new_task);
    audit::append(
        tx,
        by,
        Entry::about_task(action, &task.id, (&item.id, &request.id), details),
    )
    .await?;
    Ok(new_task)
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
