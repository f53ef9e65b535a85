//! What server functions reach besides the caller: the database and the
//! installation's settings the rules need (server only). The server builds one
//! [`Services`] at start-up and puts it in every request's Leptos context.

use crate::{db::Db, types::AppError};

/// The database and the settings the rules need.
#[derive(Clone, Debug)]
pub struct Services {
    pub db: Db,
    pub fallback: crate::domain::routing::Fallback,
    /// The longest lifetime of a personal access token (`COUNTERSIGN_TOKEN_MAX_DAYS`).
    pub token_max_days: i64,
    /// An OIDC provider is configured (re-authentication is possible at all).
    pub provider_configured: bool,
    /// Who is the truth for people and groups, and how sign-ins match them.
    pub directory: crate::domain::directory::DirectorySettings,
    /// The address people use to reach the app (`COUNTERSIGN_PUBLIC_URL`).
    pub public_url: String,
    /// The key for target credentials and the connectors' HTTP client.
    pub provisioning: crate::domain::provisioning::Provisioning,
}

/// The services of this request.
pub fn current() -> Result<Services, AppError> {
    leptos::prelude::use_context::<Services>().ok_or_else(|| {
        tracing::error!("Services missing from the server function's context");
        AppError::Internal
    })
}
