//! The organisation's access-request settings.

use leptos::prelude::*;

use crate::types::{AppError, OrgSettings};

#[server(endpoint = "settings/get")]
pub async fn get_settings() -> Result<OrgSettings, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::org::settings(&s.db, &user, s.provider_configured).await?)
}

/// The settings form as the browser posts it (`settings[version]`, …); a
/// switch is sent only when on.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SettingsForm {
    pub version: i64,
    #[serde(default)]
    pub reauthorization_enabled: Option<String>,
    #[serde(default)]
    pub approvals_must_be_external: Option<String>,
    #[serde(default)]
    pub auto_approval_enabled: Option<String>,
    #[serde(default)]
    pub allow_anyone_by_anyone: Option<String>,
    #[serde(default)]
    pub allow_employee_by_manager: Option<String>,
    #[serde(default)]
    pub default_reauth_window_minutes: String,
}

#[server(endpoint = "settings/save")]
pub async fn save_settings(settings: SettingsForm) -> Result<OrgSettings, AppError> {
    use crate::types::{AccessRequestConfig, RequestOnBehalfOfConfig};
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let window = settings
        .default_reauth_window_minutes
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::Field {
            field: "defaultReauthWindowMinutes".into(),
            message: "must be a whole number of minutes".into(),
        })?;
    // This form leaves reminders, escalation and the digest as they are (their
    // own form saves them); a stale version is refused by the save.
    let stored = crate::domain::org::config(&s.db).await?;
    let config = AccessRequestConfig {
        reauthorization_enabled: settings.reauthorization_enabled.is_some(),
        approvals_must_be_external: settings.approvals_must_be_external.is_some(),
        auto_approval_enabled: settings.auto_approval_enabled.is_some(),
        request_on_behalf_of_config: RequestOnBehalfOfConfig {
            allow_request_on_behalf_of_anyone_by_anyone: settings.allow_anyone_by_anyone.is_some(),
            allow_request_on_behalf_of_employee_by_manager: settings
                .allow_employee_by_manager
                .is_some(),
        },
        default_reauth_window_minutes: window,
        approval_reminder_and_escalation_config: stored.approval_reminder_and_escalation_config,
        digest_threshold: stored.digest_threshold,
    };
    let version = settings.version;
    Ok(crate::domain::org::save(
        &s.db,
        &user,
        &key,
        &config,
        version,
        s.provider_configured,
        None,
        &s.fallback,
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
