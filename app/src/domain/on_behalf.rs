//! Who may request access for whom: the organisation's
//! `requestOnBehalfOfConfig`, checked when a request is made.

use super::{DomainError, people::OnBehalfOf};
use crate::{
    db::{Db, managers, users},
    types::{CurrentUser, RequestOnBehalfOfConfig},
};

/// The person `actor` may request access for, `for_user_id`, under the
/// organisation's `requestOnBehalfOfConfig`: anyone, with
/// `allowRequestOnBehalfOfAnyoneByAnyone`; their direct reports (as the directory
/// names their manager), with `allowRequestOnBehalfOfEmployeeByManager`; nobody
/// else, and never a person who left. The rule is read as `OnBehalfOf::under`
/// reads it for the candidates the picker offers (`people::on_behalf_candidates`).
pub(crate) async fn beneficiary(
    db: &Db,
    actor: &CurrentUser,
    rules: &RequestOnBehalfOfConfig,
    for_user_id: &str,
) -> Result<String, DomainError> {
    let who = OnBehalfOf::under(rules);
    if who == OnBehalfOf::Nobody {
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
    if who == OnBehalfOf::Anyone {
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
