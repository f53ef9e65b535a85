//! Who may request access for whom: the organisation's
//! `requestOnBehalfOfConfig`, checked when a request is made.

use super::DomainError;
use crate::{
    db::{Db, managers, users},
    types::{CurrentUser, RequestOnBehalfOfConfig},
};

/// The person `actor` may request access for, `for_user_id`, under the
/// organisation's `requestOnBehalfOfConfig`: anyone, with
/// `allowRequestOnBehalfOfAnyoneByAnyone`; their direct reports (as the directory
/// names their manager), with `allowRequestOnBehalfOfEmployeeByManager`; nobody
/// else, and never a person who left.
pub(crate) async fn beneficiary(
    db: &Db,
    actor: &CurrentUser,
    rules: &RequestOnBehalfOfConfig,
    for_user_id: &str,
) -> Result<String, DomainError> {
    let anyone = rules.allow_request_on_behalf_of_anyone_by_anyone;
    let reports = rules.allow_request_on_behalf_of_employee_by_manager;
    if !anyone && !reports {
        return Err(DomainError::invalid(
            "for_user_id",
            "your organisation does not allow requesting access for someone else",
        ));
    }
    let person = users::find(db, for_user_id)
        .await?
        .ok_or_else(|| DomainError::invalid("for_user_id", "no such person"))?;
    if person.disabled_at.is_some() {
        return Err(DomainError::invalid(
            "for_user_id",
            format!("{} has left the organisation", person.name),
        ));
    }
    if anyone {
        return Ok(person.id);
    }
    let manager = managers::manager_of(db.pool(), &person.id).await?;
    if manager.as_deref() != Some(actor.id.as_str()) {
        return Err(DomainError::invalid(
            "for_user_id",
            format!(
                "{} does not report to you: you may request access only for yourself and your \
                 direct reports",
                person.name
            ),
        ));
    }
    Ok(person.id)
}
