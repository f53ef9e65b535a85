//! The rules of `approvalReminderAndEscalationConfig` and `digestThreshold`,
//! checked in the transaction that saves them.

use crate::{
    db::{Tx, groups, users},
    domain::{DomainError, routing::Fallback},
    types::{AccessRequestConfig, FallbackApproverRef},
};

/// The longest wait before escalation, and between reminders, in days.
pub const DAYS_MAX: i64 = 365;
/// The most reminders of one task.
pub const REMINDERS_MAX: i64 = 30;
/// The largest digest threshold.
pub const DIGEST_THRESHOLD_MAX: i64 = 1000;

fn within(field: &'static str, value: i64, max: i64, unit: &str) -> Result<(), DomainError> {
    if (0..=max).contains(&value) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            format!("must be a whole number of {unit} from 0 to {max}"),
        ))
    }
}

/// Checks the reminder, escalation and digest settings of `config`: no
/// negative or absurd numbers, reminders with days between them, escalation
/// with a fallback, and a fallback that exists and could approve (a person who
/// has not left and holds the approver role, or an approvers' group that has
/// members).
pub async fn validate(
    tx: &mut Tx,
    config: &AccessRequestConfig,
    fallback: &Fallback,
) -> Result<(), DomainError> {
    let rule = &config.approval_reminder_and_escalation_config;
    within(
        "daysUntilEscalation",
        rule.days_until_escalation,
        DAYS_MAX,
        "days",
    )?;
    within(
        "daysBetweenReminders",
        rule.days_between_reminders,
        DAYS_MAX,
        "days",
    )?;
    within(
        "maxReminders",
        rule.max_reminders,
        REMINDERS_MAX,
        "reminders",
    )?;
    within(
        "digestThreshold",
        config.digest_threshold,
        DIGEST_THRESHOLD_MAX,
        "tasks",
    )?;
    if rule.max_reminders > 0 && rule.days_between_reminders == 0 {
        return Err(DomainError::invalid(
            "daysBetweenReminders",
            "reminders need a number of days between them (or set maxReminders to 0)",
        ));
    }
    if rule.days_until_escalation > 0 && rule.fallback_approver_ref.is_none() {
        return Err(DomainError::invalid(
            "fallbackApproverRef",
            "escalation needs a fallback approver: choose a person or a group \
             (or set daysUntilEscalation to 0)",
        ));
    }
    match &rule.fallback_approver_ref {
        None => Ok(()),
        Some(FallbackApproverRef::Person { id }) => {
            let person = users::find_in(&mut **tx, id).await?.ok_or_else(|| {
                DomainError::invalid("fallbackApproverRef", "no such person: choose another")
            })?;
            if person.disabled_at.is_some() {
                return Err(DomainError::invalid(
                    "fallbackApproverRef",
                    format!(
                        "{} has left the organisation: choose someone else",
                        person.name
                    ),
                ));
            }
            if !fallback.is_approver(&person.groups) {
                return Err(DomainError::invalid(
                    "fallbackApproverRef",
                    format!(
                        "{} cannot approve (not in an approvers' group): choose an approver",
                        person.name
                    ),
                ));
            }
            Ok(())
        }
        Some(FallbackApproverRef::Group { name }) => {
            if !fallback.roles.approver_groups.iter().any(|g| g == name) {
                return Err(DomainError::invalid(
                    "fallbackApproverRef",
                    format!(
                        "the group “{name}” is not an approvers' group ({}): its members could \
                         not approve",
                        fallback.roles.approver_groups.join(", ")
                    ),
                ));
            }
            if !groups::has_members(&mut **tx, name).await? {
                return Err(DomainError::invalid(
                    "fallbackApproverRef",
                    format!("the group “{name}” has no members: nobody would get the tasks"),
                ));
            }
            Ok(())
        }
    }
}
