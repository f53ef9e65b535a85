//! Nothing waits forever: a pending approval task is reminded, then escalated
//! to the organisation's fallback approver, as its
//! `approvalReminderAndEscalationConfig` says (docs/notifications.md).
//!
//! - **On the worker's clock.** [`WaitingTasksScan`] is the outbox worker's
//!   [`Scheduled`] work: tests move time instead of sleeping.
//! - **Once, however many workers.** A reminder raises the task's count with a
//!   conditional update in the transaction that writes its mail and audit
//!   record; an escalation closes the task with the conditional update every
//!   decision uses. The worker that loses either race writes nothing.
//! - **The same rule as a reassignment.** An escalation hands the task over
//!   through [`approvals::hand_over`] after [`approvals::refusal`] found
//!   nothing against the fallback; when the fallback could not approve the
//!   step, the task stays, the reason is audited once and the administrators
//!   are told. Approving an escalated task needs what approving it needed
//!   before: the new approver's own signature where the item requires one.

mod config;

pub use config::validate;

use serde_json::json;

use super::{
    DomainError,
    approvals::{self, HandTo},
    audit::{self, AuditActor, Entry},
    notify::{self, Notice},
    outbox::Scheduled,
    routing::Fallback,
};
use crate::{
    db::{
        Db, Tx, items,
        notifications::{self as recipients, Recipient},
        org_config, requests,
        tasks::{self, TaskRow},
        users,
        waiting::{self, WaitingTask},
    },
    types::{AccessItem, ApprovalReminderAndEscalationConfig, FallbackApproverRef},
};

pub const DAY: i64 = 86_400;
/// How many waiting tasks one page of the scan reads.
const PAGE: i64 = 200;

/// What a waiting task is due for at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Nothing,
    /// Reminder number `n` (later ones missed while no worker ran are skipped).
    Reminder(i64),
    Escalation,
}

/// What `task`, opened at `opened` with `sent` reminders, is due for at `now`.
pub fn due(rule: &ApprovalReminderAndEscalationConfig, opened: i64, sent: i64, now: i64) -> Due {
    let waited = now - opened;
    if rule.days_until_escalation > 0
        && rule.fallback_approver_ref.is_some()
        && waited >= rule.days_until_escalation * DAY
    {
        return Due::Escalation;
    }
    if rule.days_between_reminders <= 0 || rule.max_reminders <= 0 {
        return Due::Nothing;
    }
    let reached = (waited / (rule.days_between_reminders * DAY)).min(rule.max_reminders);
    if reached > sent {
        Due::Reminder(reached)
    } else {
        Due::Nothing
    }
}

/// Runs the reminders and escalations due at `now`; returns how many happened.
pub async fn run_due(db: &Db, fallback: &Fallback, now: i64) -> Result<usize, DomainError> {
    let rule = org_config::load(db.pool())
        .await?
        .config
        .approval_reminder_and_escalation_config;
    let mut first = i64::MAX;
    if rule.days_between_reminders > 0 && rule.max_reminders > 0 {
        first = rule.days_between_reminders;
    }
    if rule.days_until_escalation > 0 && rule.fallback_approver_ref.is_some() {
        first = first.min(rule.days_until_escalation);
    }
    if first == i64::MAX {
        return Ok(0);
    }
    let mut happened = 0;
    let mut after: Option<(i64, String)> = None;
    loop {
        let page = waiting::opened_by(
            db.pool(),
            now - first * DAY,
            after.as_ref().map(|(at, id)| (*at, id.as_str())),
            PAGE,
        )
        .await?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some((last.created_at, last.id.clone()));
        for task in &page {
            let done = match due(&rule, task.created_at, task.reminders_sent, now) {
                Due::Nothing => false,
                Due::Reminder(n) => remind(db, task, (n, rule.max_reminders), now).await?,
                Due::Escalation if task.escalation_blocked_at.is_some() => false,
                Due::Escalation => escalate(db, task, &rule, fallback, now).await?,
            };
            happened += usize::from(done);
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok(happened)
}

/// The task, its request and item, read in `tx`.
async fn load(
    tx: &mut Tx,
    task_id: &str,
) -> Result<(TaskRow, requests::RequestRow, AccessItem), DomainError> {
    let task = tasks::find(&mut **tx, task_id)
        .await?
        .ok_or(DomainError::NotFound("approval task"))?;
    let request = requests::find(&mut **tx, &task.request_id)
        .await?
        .ok_or(DomainError::NotFound("request"))?;
    let item = items::find(&mut **tx, &request.item_id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    Ok((task, request, item))
}

/// The people a task waits for, never its requester or beneficiary.
async fn waiting_for(
    tx: &mut Tx,
    task: &TaskRow,
    request: &requests::RequestRow,
) -> Result<Vec<Recipient>, DomainError> {
    Ok(notify::approvers(
        tx,
        task.approver_user_id.as_deref(),
        task.approver_group.as_deref(),
    )
    .await?
    .into_iter()
    .filter(|r| r.id != request.requester_id && r.id != request.beneficiary_id)
    .collect())
}

/// Reminder `n` (of `of`) of `waiting`: counted, mailed and audited in one
/// transaction, or not at all (mail off, or another worker was first).
async fn remind(
    db: &Db,
    waiting: &WaitingTask,
    (n, of): (i64, i64),
    now: i64,
) -> Result<bool, DomainError> {
    let mut tx = db.write_tx().await?;
    if !notify::enabled(&mut tx).await?
        || !waiting::mark_reminded(&mut tx, &waiting.id, waiting.reminders_sent, n, now).await?
    {
        return Ok(false);
    }
    let (task, request, item) = load(&mut tx, &waiting.id).await?;
    let to = waiting_for(&mut tx, &task, &request).await?;
    let beneficiary = users::find_in(&mut *tx, &request.beneficiary_id).await?;
    let waiting_days = (now - task.created_at) / DAY;
    let notice = Notice::TaskReminder {
        task_id: task.id.clone(),
        request_id: request.id.clone(),
        item_name: item.name.clone(),
        beneficiary_name: beneficiary.map(|u| u.name).unwrap_or_default(),
        step: task.position + 1,
        waiting_days,
        reminder: n,
        of,
    };
    let about = notify::About {
        item_id: Some(&item.id),
        request_id: Some(&request.id),
    };
    let mailed = notify::send(
        &mut tx,
        &to,
        &notice,
        about,
        &format!("{}:{n}", task.id),
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        AuditActor::System,
        Entry::about_task(
            "approval.reminded",
            &task.id,
            (&item.id, &request.id),
            json!({
                "step": task.position + 1,
                "reminder": n,
                "of": of,
                "waiting_days": waiting_days,
                "to_user_id": task.approver_user_id,
                "to_group": task.approver_group,
                "mails": mailed,
                "at": now,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Hands `waiting` to the fallback approver, or records (once) why it cannot.
async fn escalate(
    db: &Db,
    waiting: &WaitingTask,
    rule: &ApprovalReminderAndEscalationConfig,
    fallback: &Fallback,
    now: i64,
) -> Result<bool, DomainError> {
    let Some(target) = &rule.fallback_approver_ref else {
        return Ok(false);
    };
    let mut tx = db.write_tx().await?;
    let (task, request, item) = load(&mut tx, &waiting.id).await?;
    if task.state != crate::types::TaskState::Pending {
        return Ok(false);
    }
    let person = match target {
        FallbackApproverRef::Person { id } => users::find_in(&mut *tx, id).await?,
        FallbackApproverRef::Group { .. } => None,
    };
    let (to, to_name) = match (target, &person) {
        (FallbackApproverRef::Person { .. }, Some(person)) => {
            (Some(HandTo::Person(person)), person.name.clone())
        }
        (FallbackApproverRef::Person { .. }, None) => (None, String::new()),
        (FallbackApproverRef::Group { name }, _) => {
            (Some(HandTo::Group(name)), format!("any member of {name}"))
        }
    };
    let already_theirs = match (target, &task) {
        (FallbackApproverRef::Person { id }, t) => t.approver_user_id.as_deref() == Some(id),
        (FallbackApproverRef::Group { name }, t) => t.approver_group.as_deref() == Some(name),
    };
    if already_theirs {
        return Ok(false);
    }
    let refused = match &to {
        None => Some("the fallback approver no longer exists".to_owned()),
        Some(to) => approvals::refusal(&mut tx, (&task, &request, &item), to, fallback).await?,
    };
    let facts = Facts {
        waiting_days: (now - task.created_at) / DAY,
        beneficiary_name: users::find_in(&mut *tx, &request.beneficiary_id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default(),
    };
    let done = match (to, refused) {
        (Some(to), None) => {
            hand_to_fallback(
                &mut tx,
                (&task, &request, &item),
                &to,
                &to_name,
                &facts,
                now,
            )
            .await?
        }
        (_, why) => {
            let why = why.unwrap_or_default();
            refuse(
                &mut tx,
                (&task, &request, &item),
                (target, &why),
                &facts,
                fallback,
                now,
            )
            .await?
        }
    };
    if done {
        tx.commit().await?;
    }
    Ok(done)
}

/// What the escalation's mails and records say about the wait.
struct Facts {
    waiting_days: i64,
    beneficiary_name: String,
}

/// Hands the task over (the same rule and records as a reassignment, by the
/// system), and tells its approvers it is no longer theirs.
async fn hand_to_fallback(
    tx: &mut Tx,
    (task, request, item): (&TaskRow, &requests::RequestRow, &AccessItem),
    to: &HandTo<'_>,
    to_name: &str,
    facts: &Facts,
    now: i64,
) -> Result<bool, DomainError> {
    let was_waiting_for = waiting_for(tx, task, request).await?;
    let reason = format!(
        "escalated after {} {} waiting",
        facts.waiting_days,
        if facts.waiting_days == 1 {
            "day"
        } else {
            "days"
        }
    );
    let (to_user_id, to_group) = match to {
        HandTo::Person(person) => (Some(person.id.as_str()), None),
        HandTo::Group(group) => (None, Some(*group)),
    };
    let details = json!({
        "step": task.position + 1,
        "from_user_id": task.approver_user_id,
        "from_group": task.approver_group,
        "to_user_id": to_user_id,
        "to_group": to_group,
        "to_name": to_name,
        "waiting_days": facts.waiting_days,
        "reason": reason,
        "at": now,
    });
    let audit = (AuditActor::System, "approval.escalated", details);
    match approvals::hand_over(tx, (task, request, item), to, &reason, audit, now).await {
        Ok(_) => {}
        // Decided (or escalated by another worker) meanwhile: nothing to do.
        Err(DomainError::Conflict(_)) => return Ok(false),
        Err(err) => return Err(err),
    }
    let notice = Notice::TaskEscalated {
        request_id: request.id.clone(),
        item_name: item.name.clone(),
        beneficiary_name: facts.beneficiary_name.clone(),
        step: task.position + 1,
        waiting_days: facts.waiting_days,
        to_name: to_name.to_owned(),
    };
    let about = notify::About {
        item_id: Some(&item.id),
        request_id: Some(&request.id),
    };
    notify::send(tx, &was_waiting_for, &notice, about, &task.id, now).await?;
    Ok(true)
}

/// Records once that the task could not be escalated and why, and tells the
/// administrators.
async fn refuse(
    tx: &mut Tx,
    (task, request, item): (&TaskRow, &requests::RequestRow, &AccessItem),
    (target, why): (&FallbackApproverRef, &str),
    facts: &Facts,
    fallback: &Fallback,
    now: i64,
) -> Result<bool, DomainError> {
    if !waiting::mark_escalation_blocked(tx, &task.id, now).await? {
        return Ok(false);
    }
    audit::append(
        tx,
        AuditActor::System,
        Entry::about_task(
            "approval.escalation_refused",
            &task.id,
            (&item.id, &request.id),
            json!({
                "step": task.position + 1,
                "waiting_days": facts.waiting_days,
                "fallback": target,
                "reason": why,
                "at": now,
            }),
        ),
    )
    .await?;
    let mut admins: Vec<Recipient> = Vec::new();
    for group in &fallback.roles.admin_groups {
        for admin in recipients::members_of(&mut **tx, group, 200).await? {
            if !admins.iter().any(|r| r.id == admin.id) {
                admins.push(admin);
            }
        }
    }
    let notice = Notice::EscalationRefused {
        task_id: task.id.clone(),
        request_id: request.id.clone(),
        item_name: item.name.clone(),
        beneficiary_name: facts.beneficiary_name.clone(),
        step: task.position + 1,
        reason: why.to_owned(),
    };
    let about = notify::About {
        item_id: Some(&item.id),
        request_id: Some(&request.id),
    };
    notify::send(tx, &admins, &notice, about, &task.id, now).await?;
    Ok(true)
}

/// Reminders and escalation as the outbox worker's [`Scheduled`] work.
pub struct WaitingTasksScan {
    db: Db,
    fallback: Fallback,
}

impl WaitingTasksScan {
    pub fn new(db: Db, fallback: Fallback) -> WaitingTasksScan {
        WaitingTasksScan { db, fallback }
    }
}

#[async_trait::async_trait]
impl Scheduled for WaitingTasksScan {
    async fn run(&self, now: i64) -> Result<(), DomainError> {
        run_due(&self.db, &self.fallback, now).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(until: i64, between: i64, max: i64) -> ApprovalReminderAndEscalationConfig {
        ApprovalReminderAndEscalationConfig {
            days_until_escalation: until,
            days_between_reminders: between,
            max_reminders: max,
            fallback_approver_ref: Some(FallbackApproverRef::Group {
                name: "approvers".into(),
            }),
        }
    }

    #[test]
    fn reminders_come_every_so_many_days_up_to_the_most_then_escalation() {
        let r = rule(10, 2, 3);
        assert_eq!(due(&r, 0, 0, 2 * DAY - 1), Due::Nothing);
        assert_eq!(due(&r, 0, 0, 2 * DAY), Due::Reminder(1));
        assert_eq!(due(&r, 0, 1, 3 * DAY), Due::Nothing);
        assert_eq!(due(&r, 0, 1, 4 * DAY), Due::Reminder(2));
        assert_eq!(
            due(&r, 0, 0, 5 * DAY),
            Due::Reminder(2),
            "a missed one is skipped"
        );
        assert_eq!(due(&r, 0, 3, 9 * DAY), Due::Nothing, "at most 3");
        assert_eq!(due(&r, 0, 3, 10 * DAY), Due::Escalation);
    }

    #[test]
    fn zero_turns_each_part_off() {
        assert_eq!(due(&rule(0, 2, 3), 0, 3, 100 * DAY), Due::Nothing);
        assert_eq!(due(&rule(5, 0, 3), 0, 0, 4 * DAY), Due::Nothing);
        assert_eq!(due(&rule(5, 2, 0), 0, 0, 4 * DAY), Due::Nothing);
        let no_fallback = ApprovalReminderAndEscalationConfig {
            fallback_approver_ref: None,
            ..rule(5, 0, 0)
        };
        assert_eq!(due(&no_fallback, 0, 0, 50 * DAY), Due::Nothing);
    }
}
