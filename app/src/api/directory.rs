//! The Directory admin page's server functions: the directory's bearer tokens
//! (created with step-up, shown once, revoked) and the connection's status.

use leptos::prelude::*;

use crate::types::{AppError, DirectoryStatusView, DirectoryTokenView};

/// The newest 100 directory tokens (administrators only).
#[server(endpoint = "directory/tokens/list")]
pub async fn list_directory_tokens() -> Result<Vec<DirectoryTokenView>, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::directory::tokens::list(&s.db, &user).await?)
}

/// Creates a directory token and returns its text, shown once. Needs a fresh
/// re-authentication: the first call answers `ReauthRequired`; after the
/// round trip `signed/complete` creates it and returns the secret.
#[server(endpoint = "directory/tokens/create")]
pub async fn create_directory_token(name: String, days: String) -> Result<String, AppError> {
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let days = days.trim().parse::<i64>().map_err(|_| AppError::Field {
        field: "days".into(),
        message: "must be a whole number of days".into(),
    })?;
    let (_, token) =
        crate::domain::directory::tokens::create(&s.db, (&user, &key), (&name, days), None).await?;
    Ok(token)
}

/// Revokes a directory token at once (administrators only, audited).
#[server(endpoint = "directory/tokens/revoke")]
pub async fn revoke_directory_token(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::directory::tokens::revoke(&s.db, &user, &id).await?)
}

/// The SCIM endpoint, the directory mode, the last successful sync, the
/// counts and the last 100 SCIM operations (administrators only).
#[server(endpoint = "directory/status")]
pub async fn directory_status() -> Result<DirectoryStatusView, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::directory::status::directory_status(
        &s.db,
        &user,
        &s.directory,
        &s.public_url,
    )
    .await?)
}

/// One page of what people who left still hold: the Directory page's "Access
/// to remove" (administrators only). `after` is the previous page's `next`.
#[server(endpoint = "directory/leavers_access")]
pub async fn leavers_access(
    after: Option<String>,
) -> Result<crate::types::Page<crate::types::LeaverAccess>, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::identity::access_of_leavers(&s.db, &user, after.as_deref(), 50).await?)
}
