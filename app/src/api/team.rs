//! My team: a manager's direct reports and their access.

use leptos::prelude::*;

use crate::types::{AppError, Page, TeamMember};

/// One page of the caller's direct reports with their access and pending requests.
#[server(endpoint = "team/reports")]
pub async fn my_team(after: Option<String>) -> Result<Page<TeamMember>, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::team::reports(&s.db, &user, after.as_deref(), 20).await?)
}

/// Does anybody report to the caller? (Whether the navigation shows My team.)
#[server(endpoint = "team/has_reports")]
pub async fn has_reports() -> Result<bool, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::team::has_reports(&s.db, &user).await?)
}
