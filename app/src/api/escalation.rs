//! The settings page's "Reminders and escalation" form.

use leptos::prelude::*;

use crate::types::{AppError, OrgSettings};

/// The form as the browser posts it (`escalation[version]`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EscalationForm {
    pub version: i64,
    #[serde(default)]
    pub days_until_escalation: String,
    #[serde(default)]
    pub days_between_reminders: String,
    #[serde(default)]
    pub max_reminders: String,
    /// The fallback person's id (the people picker's field); empty: none.
    #[serde(default)]
    pub fallback_person: Option<String>,
    /// The fallback group's name; empty: none.
    #[serde(default)]
    pub fallback_group: String,
    #[serde(default)]
    pub digest_threshold: String,
}

/// A number field: empty is 0; anything else must be a whole number (its
/// range is the domain's rule). A 400 with the field's name otherwise.
#[cfg(feature = "ssr")]
fn whole(field: &'static str, value: &str) -> Result<i64, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(0);
    }
    value
        .parse::<i64>()
        .map_err(|_| crate::domain::DomainError::invalid(field, "must be a whole number").into())
}

#[server(endpoint = "settings/save_escalation")]
pub async fn save_escalation(escalation: EscalationForm) -> Result<OrgSettings, AppError> {
    use crate::types::{ApprovalReminderAndEscalationConfig, FallbackApproverRef};
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let f = escalation;
    let person = f
        .fallback_person
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let group = Some(f.fallback_group.trim()).filter(|g| !g.is_empty());
    let fallback_approver_ref = match (person, group) {
        (Some(_), Some(_)) => {
            return Err(crate::domain::DomainError::invalid(
                "fallbackApproverRef",
                "choose a person or a group, not both",
            )
            .into());
        }
        (Some(id), None) => Some(FallbackApproverRef::Person { id: id.to_owned() }),
        (None, Some(name)) => Some(FallbackApproverRef::Group {
            name: name.to_owned(),
        }),
        (None, None) => None,
    };
    let rule = ApprovalReminderAndEscalationConfig {
        days_until_escalation: whole("daysUntilEscalation", &f.days_until_escalation)?,
        days_between_reminders: whole("daysBetweenReminders", &f.days_between_reminders)?,
        max_reminders: whole("maxReminders", &f.max_reminders)?,
        fallback_approver_ref,
    };
    let digest = whole("digestThreshold", &f.digest_threshold)?;
    Ok(crate::domain::org::save_escalation(
        &s.db,
        &user,
        &key,
        (rule, digest),
        f.version,
        s.provider_configured,
        &s.fallback,
    )
    .await?)
}
