//! Personal access tokens for the JSON API.

use leptos::prelude::*;

use crate::types::{AppError, Scope};

/// A token as its owner sees it (never its secret, except once at creation).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
    pub scopes: Vec<Scope>,
}

#[server(endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<Vec<TokenView>, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    let rows = crate::domain::tokens::list(&s.db, &user).await?;
    rows.into_iter()
        .map(|t| {
            let scopes = t.scopes().map_err(crate::domain::DomainError::from)?;
            Ok(TokenView {
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                expires_at: t.expires_at,
                last_used_at: t.last_used_at,
                revoked: t.revoked_at.is_some(),
                scopes,
            })
        })
        .collect()
}

/// Creates a token and returns its text, shown once. Needs a fresh
/// re-authentication: the first call answers `ReauthRequired`. Each scope is a
/// checkbox of its own (`scope_read=on`, …): a plain form sends only the ticked.
#[server(endpoint = "tokens/create")]
pub async fn create_token(
    name: String,
    days: String,
    scope_read: Option<String>,
    scope_request: Option<String>,
    scope_approve: Option<String>,
    scope_admin: Option<String>,
    scope_audit: Option<String>,
) -> Result<String, AppError> {
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let days = days.trim().parse::<i64>().map_err(|_| AppError::Field {
        field: "days".into(),
        message: "must be a whole number of days".into(),
    })?;
    let ticked = [
        (Scope::Read, scope_read),
        (Scope::Request, scope_request),
        (Scope::Approve, scope_approve),
        (Scope::Admin, scope_admin),
        (Scope::Audit, scope_audit),
    ];
    let scopes: Vec<Scope> = ticked
        .into_iter()
        .filter_map(|(scope, box_)| box_.is_some().then_some(scope))
        .collect();
    let (_, token) = crate::domain::tokens::create(
        &s.db,
        (&user, &key),
        (&name, days, &scopes),
        s.token_max_days,
        None,
    )
    .await?;
    Ok(token)
}

#[server(endpoint = "tokens/revoke")]
pub async fn revoke_token(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    crate::domain::tokens::revoke(&s.db, &user, &id).await?;
    super::after_plain_form("/tokens?revoked=1");
    Ok(())
}
