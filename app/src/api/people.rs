//! The people pickers' search: one page of the people the purpose allows.

use leptos::prelude::*;

use crate::types::{AppError, Page, PersonRef, PickFor};

/// People `query` finds among those `purpose` allows (for a reassignment, of
/// task `task_id`), one page by name, after the cursor `after`.
#[server(endpoint = "people/find")]
pub async fn find_people(
    purpose: PickFor,
    #[server(default)] task_id: String,
    query: String,
    #[server(default)] after: Option<String>,
) -> Result<Page<PersonRef>, AppError> {
    use crate::domain::{approvals, people};
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    let query = people::PeopleQuery::parse(&query, after.as_deref())?;
    Ok(match purpose {
        PickFor::Owner | PickFor::AuditActor => people::anyone(&s.db, &user, &query).await?,
        PickFor::Approver => people::approvers(&s.db, &user, &query, &s.fallback.roles).await?,
        PickFor::Reassignment => {
            approvals::eligible_assignees(&s.db, &user, &task_id, &query, &s.fallback).await?
        }
        PickFor::OnBehalf => people::on_behalf_candidates(&s.db, &user, &query).await?,
    })
}

/// The person the audit trail's actor filter names (`?actor=`), to show them.
#[server(endpoint = "people/audit_actor")]
pub async fn audit_actor(id: String) -> Result<Option<PersonRef>, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    if id.is_empty() {
        return Ok(None);
    }
    Ok(crate::domain::people::audit_actor(&s.db, &user, &id).await?)
}
