//! The rules of Countersign (server only): plain async Rust over a [`Db`]
//! handle, no web types. Every state change is a function here that takes the
//! actor and checks permission itself; server functions and HTTP handlers only
//! map [`DomainError`] to what their callers understand.

pub mod approvals;
pub mod assignments;
pub mod audit;
pub mod catalog;
pub mod directory;
pub mod escalation;
pub(crate) mod handover;
pub mod idempotency;
pub mod identity;
pub mod inbox;
pub mod items;
pub mod notify;
pub(crate) mod on_behalf;
pub mod org;
pub mod outbox;
pub mod people;
pub mod provisioning;
pub mod reauth;
pub mod request_plan;
pub mod requests;
pub mod routing;
pub mod search;
pub mod signed;
pub mod team;
pub mod tokens;

use crate::{db::DbError, types::AppError};

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    /// A value a person gave is not acceptable; `field` names the form field.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Someone else changed or decided it first.
    #[error("{0}")]
    Conflict(String),
    /// The action must be e-signed: re-authenticate for this challenge first.
    #[error("re-authentication required (challenge {challenge_id})")]
    ReauthRequired { challenge_id: String },
    /// A re-authentication proof was offered but does not prove what it must.
    #[error("re-authentication refused: {0}")]
    ReauthRefused(reauth::ReauthRefusal),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> DomainError {
        DomainError::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for DomainError {
    fn from(err: sqlx::Error) -> Self {
        DomainError::Db(DbError::from(err))
    }
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        // A server function answers with the status its error deserves (not 500
        // for a form mistake), so logs and clients can tell them apart.
        let status = match &err {
            DomainError::NotFound(_) => 404,
            DomainError::Forbidden(_) => 403,
            DomainError::Invalid { .. } => 400,
            DomainError::Conflict(_) => 409,
            DomainError::ReauthRequired { .. } | DomainError::ReauthRefused(_) => 401,
            DomainError::Db(_) => 500,
        };
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = axum::http::StatusCode::from_u16(status)
        {
            response.set_status(status);
        }
        match err {
            DomainError::NotFound(_) => AppError::NotFound,
            DomainError::Forbidden(_) => AppError::Forbidden,
            DomainError::Invalid { field, message } => AppError::Field {
                field: field.to_owned(),
                message,
            },
            DomainError::Conflict(message) => AppError::Conflict(message),
            DomainError::ReauthRequired { challenge_id } => {
                AppError::ReauthRequired { challenge_id }
            }
            DomainError::ReauthRefused(why) => AppError::Invalid(why.to_string()),
            DomainError::Db(err) => {
                tracing::error!(error = %err, "database error");
                AppError::Internal
            }
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    crate::db::now_epoch()
}

/// A new id (UUIDv7: time-ordered, so indexes stay compact).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Text a person typed: trimmed, required or not, bounded in characters.
pub fn text(
    field: &'static str,
    value: &str,
    required: bool,
    max_chars: usize,
) -> Result<String, DomainError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(DomainError::invalid(field, "is required"));
    }
    if value.chars().count() > max_chars {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(DomainError::invalid(field, "contains control characters"));
    }
    Ok(value.to_owned())
}
#[cfg(test)]
mod tests;
