//! The SCIM answer to a refused request (RFC 7644 §3.12): an HTTP status and,
//! for a 400, the `scimType` that says what was wrong. Every refusal changes
//! nothing: the transaction it happened in is dropped.

use scim_v2::models::errors::ScimType;

use crate::domain::DomainError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status} {}: {detail}", scim_type.as_ref().map_or("", |t| t.as_str()))]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    /// For the client; never a secret, never a body.
    pub detail: String,
}

impl ScimError {
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> ScimError {
        ScimError {
            status: 400,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> ScimError {
        ScimError::bad(ScimType::InvalidValue, detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> ScimError {
        ScimError::bad(ScimType::InvalidSyntax, detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> ScimError {
        ScimError::bad(ScimType::InvalidPath, detail)
    }

    pub fn invalid_filter(detail: impl Into<String>) -> ScimError {
        ScimError::bad(ScimType::InvalidFilter, detail)
    }

    pub fn mutability(detail: impl Into<String>) -> ScimError {
        ScimError::bad(ScimType::Mutability, detail)
    }

    pub fn no_target(detail: impl Into<String>) -> ScimError {
        ScimError::bad(ScimType::NoTarget, detail)
    }

    /// 409: another resource holds this unique value.
    pub fn uniqueness(detail: impl Into<String>) -> ScimError {
        ScimError {
            status: 409,
            scim_type: Some(ScimType::Uniqueness),
            detail: detail.into(),
        }
    }

    pub fn not_found(what: &str, id: &str) -> ScimError {
        ScimError {
            status: 404,
            scim_type: None,
            detail: format!("{what} {id} not found"),
        }
    }

    /// 412: `If-Match` names another version (RFC 7644 §3.14).
    pub fn precondition_failed(current: i64) -> ScimError {
        ScimError {
            status: 412,
            scim_type: None,
            detail: format!(
                "If-Match does not name the current version (W/\"{current}\"); read the \
                 resource again"
            ),
        }
    }

    /// 409 without a type: a concurrent change won; the client retries.
    pub fn conflict(detail: impl Into<String>) -> ScimError {
        ScimError {
            status: 409,
            scim_type: None,
            detail: detail.into(),
        }
    }

    pub fn internal() -> ScimError {
        ScimError {
            status: 500,
            scim_type: None,
            detail: "Something went wrong on our side.".into(),
        }
    }

    /// What the operation log calls this outcome.
    pub fn outcome(&self) -> &str {
        self.scim_type.as_ref().map_or("error", |t| t.as_str())
    }
}

impl From<DomainError> for ScimError {
    fn from(err: DomainError) -> ScimError {
        match err {
            DomainError::NotFound(what) => ScimError {
                status: 404,
                scim_type: None,
                detail: format!("{what} not found"),
            },
            DomainError::Invalid { field, message } => {
                ScimError::invalid_value(format!("{field}: {message}"))
            }
            DomainError::Conflict(message) => ScimError::conflict(message),
            DomainError::Forbidden(why) => ScimError {
                status: 403,
                scim_type: None,
                detail: why.into(),
            },
            DomainError::ReauthRequired { .. } | DomainError::ReauthRefused(_) => ScimError {
                status: 403,
                scim_type: None,
                detail: "this cannot be done by the directory".into(),
            },
            DomainError::Db(err) => {
                tracing::error!(error = %err, "database error in SCIM");
                ScimError::internal()
            }
        }
    }
}

impl From<crate::db::DbError> for ScimError {
    fn from(err: crate::db::DbError) -> ScimError {
        ScimError::from(DomainError::from(err))
    }
}

impl From<sqlx::Error> for ScimError {
    fn from(err: sqlx::Error) -> ScimError {
        ScimError::from(DomainError::from(err))
    }
}

impl From<scim_v2::ValidationError> for ScimError {
    fn from(err: scim_v2::ValidationError) -> ScimError {
        ScimError::bad(err.scim_type(), err.to_string())
    }
}
