//! The organisation's access-request settings.

use leptos::prelude::*;

use crate::types::{AppError, OrgSettings};

#[server(endpoint = "settings/get")]
pub async fn get_settings() -> Result<OrgSettings, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::org::settings(&s.db, &user, s.provider_configured).await?)
}

#[server(endpoint = "settings/save")]
#[allow(clippy::too_many_arguments)]
pub async fn save_settings(
    version: i64,
    reauthorization_enabled: Option<String>,
    approvals_must_be_external: Option<String>,
    auto_approval_enabled: Option<String>,
    allow_anyone_by_anyone: Option<String>,
    allow_employee_by_manager: Option<String>,
    default_reauth_window_minutes: String,
) -> Result<OrgSettings, AppError> {
    use crate::types::{AccessRequestConfig, RequestOnBehalfOfConfig};
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let window = default_reauth_window_minutes
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::Field {
            field: "defaultReauthWindowMinutes".into(),
            message: "must be a whole number of minutes".into(),
        })?;
    let config = AccessRequestConfig {
        reauthorization_enabled: reauthorization_enabled.is_some(),
        approvals_must_be_external: approvals_must_be_external.is_some(),
        auto_approval_enabled: auto_approval_enabled.is_some(),
        request_on_behalf_of_config: RequestOnBehalfOfConfig {
            allow_request_on_behalf_of_anyone_by_anyone: allow_anyone_by_anyone.is_some(),
            allow_request_on_behalf_of_employee_by_manager: allow_employee_by_manager.is_some(),
        },
        default_reauth_window_minutes: window,
    };
    Ok(crate::domain::org::save(
        &s.db,
        &user,
        &key,
        &config,
        version,
        s.provider_configured,
        None,
    )
    .await?)
}

/// Starts the live re-authentication test; answers `ReauthRequired` with the
/// challenge the browser takes to the provider.
#[server(endpoint = "settings/test_reauth")]
pub async fn test_reauth() -> Result<(), AppError> {
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    if !s.provider_configured {
        return Err(AppError::Invalid(
            "No OpenID Connect provider is configured (OIDC_ISSUER_URL).".into(),
        ));
    }
    let required = crate::domain::org::start_reauth_test(&s.db, &user, &key).await?;
    Err(required.into())
}
