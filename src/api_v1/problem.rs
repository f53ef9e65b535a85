//! Every error of the JSON API as an RFC 9457 problem document
//! (`application/problem+json`). The `type` URIs are stable and listed in
//! `docs/api.md`; a client branches on `type`, people read `detail`.
//!
//! Domain errors become problems here and nowhere else ([`From<DomainError>`]);
//! so do the extractors' rejections (body, query, path) and, through
//! [`problems_only`], the answers made before any handler runs (the body
//! limit's 413, the router's 404 and 405).

use app::domain::DomainError;
use axum::{
    Json,
    extract::{Request, rejection::JsonRejection},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// The media type of a problem document (RFC 9457 §3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where the problem types live; each type is this followed by its name.
pub const TYPE_BASE: &str = "https://countersign.dev/problems/";

/// What went wrong, as a client can branch on it: one `type` URI each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    /// No token, an unknown, revoked or expired one, or its owner is disabled.
    InvalidToken,
    /// The action must be e-signed in the browser (RFC 9470).
    InsufficientUserAuthentication,
    /// The token's scopes do not cover this call.
    InsufficientScope,
    /// The token's owner may not do this (their roles, or someone else's resource).
    Forbidden,
    NotFound,
    MethodNotAllowed,
    /// The body is not JSON at all.
    MalformedJson,
    /// The body is not sent as `application/json`.
    UnsupportedMediaType,
    /// JSON that does not fit the operation: a missing or unknown field, a wrong type.
    UnprocessableBody,
    /// A value is not acceptable (the domain's validation); `field` names it.
    InvalidValue,
    /// A query parameter or a path segment that cannot be read.
    BadQuery,
    /// A `cursor` this API did not hand out for this list.
    BadCursor,
    /// Someone else changed or decided it first, or it is already done.
    Conflict,
    /// An `Idempotency-Key` sent before with a different request.
    IdempotencyKeyReused,
    /// `If-Match` names a version that is no longer the current one.
    PreconditionFailed,
    /// An update that must say which version it replaces (`If-Match`) did not.
    PreconditionRequired,
    TooLarge,
    Internal,
}

impl ProblemType {
    pub const ALL: [ProblemType; 18] = [
        ProblemType::InvalidToken,
        ProblemType::InsufficientUserAuthentication,
        ProblemType::InsufficientScope,
        ProblemType::Forbidden,
        ProblemType::NotFound,
        ProblemType::MethodNotAllowed,
        ProblemType::MalformedJson,
        ProblemType::UnsupportedMediaType,
        ProblemType::UnprocessableBody,
        ProblemType::InvalidValue,
        ProblemType::BadQuery,
        ProblemType::BadCursor,
        ProblemType::Conflict,
        ProblemType::IdempotencyKeyReused,
        ProblemType::PreconditionFailed,
        ProblemType::PreconditionRequired,
        ProblemType::TooLarge,
        ProblemType::Internal,
    ];

    /// The last segment of the `type` URI.
    pub fn name(self) -> &'static str {
        match self {
            ProblemType::InvalidToken => "invalid-token",
            ProblemType::InsufficientUserAuthentication => "insufficient-user-authentication",
            ProblemType::InsufficientScope => "insufficient-scope",
            ProblemType::Forbidden => "forbidden",
            ProblemType::NotFound => "not-found",
            ProblemType::MethodNotAllowed => "method-not-allowed",
            ProblemType::MalformedJson => "malformed-json",
            ProblemType::UnsupportedMediaType => "unsupported-media-type",
            ProblemType::UnprocessableBody => "unprocessable-body",
            ProblemType::InvalidValue => "invalid-value",
            ProblemType::BadQuery => "bad-query",
            ProblemType::BadCursor => "bad-cursor",
            ProblemType::Conflict => "conflict",
            ProblemType::IdempotencyKeyReused => "idempotency-key-reused",
            ProblemType::PreconditionFailed => "precondition-failed",
            ProblemType::PreconditionRequired => "precondition-required",
            ProblemType::TooLarge => "too-large",
            ProblemType::Internal => "internal",
        }
    }

    /// The same for every occurrence of the type (RFC 9457 §3.1.3).
    pub fn title(self) -> &'static str {
        match self {
            ProblemType::InvalidToken => "Missing or invalid access token",
            ProblemType::InsufficientUserAuthentication => {
                "This must be e-signed by signing in again"
            }
            ProblemType::InsufficientScope => "The token's scopes do not allow this",
            ProblemType::Forbidden => "Not allowed",
            ProblemType::NotFound => "Not found",
            ProblemType::MethodNotAllowed => "Method not allowed",
            ProblemType::MalformedJson => "The body is not valid JSON",
            ProblemType::UnsupportedMediaType => "The body must be application/json",
            ProblemType::UnprocessableBody => "The body does not fit this operation",
            ProblemType::InvalidValue => "A value is not acceptable",
            ProblemType::BadQuery => "A parameter cannot be read",
            ProblemType::BadCursor => "Unknown cursor",
            ProblemType::Conflict => "Conflict with the current state",
            ProblemType::IdempotencyKeyReused => {
                "This Idempotency-Key was used for another request"
            }
            ProblemType::PreconditionFailed => "It changed since the version named",
            ProblemType::PreconditionRequired => "Say which version this replaces",
            ProblemType::TooLarge => "The body is too large",
            ProblemType::Internal => "Something went wrong on our side",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ProblemType::InvalidToken | ProblemType::InsufficientUserAuthentication => {
                StatusCode::UNAUTHORIZED
            }
            ProblemType::InsufficientScope | ProblemType::Forbidden => StatusCode::FORBIDDEN,
            ProblemType::NotFound => StatusCode::NOT_FOUND,
            ProblemType::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemType::MalformedJson
            | ProblemType::InvalidValue
            | ProblemType::BadQuery
            | ProblemType::BadCursor => StatusCode::BAD_REQUEST,
            ProblemType::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemType::UnprocessableBody | ProblemType::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ProblemType::Conflict => StatusCode::CONFLICT,
            ProblemType::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ProblemType::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ProblemType::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn uri(self) -> String {
        format!("{TYPE_BASE}{}", self.name())
    }
}

/// One problem: its type, what happened this time, and the field it is about.
#[derive(Debug)]
pub struct Problem {
    pub kind: ProblemType,
    pub detail: String,
    pub field: Option<&'static str>,
}

impl Problem {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Problem {
        Problem {
            kind,
            detail: detail.into(),
            field: None,
        }
    }

    pub fn invalid_token() -> Problem {
        Problem::new(
            ProblemType::InvalidToken,
            "Send a personal access token: Authorization: Bearer cs_… (create one at /tokens).",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        let mut body = json!({
            "type": self.kind.uri(),
            "title": self.kind.title(),
            "status": status.as_u16(),
            "detail": self.detail,
        });
        if let Some(field) = self.field {
            body["field"] = json!(field);
        }
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        let challenge = match self.kind {
            // RFC 9470 §3: the token is fine, the authentication is not fresh enough.
            ProblemType::InsufficientUserAuthentication => Some(
                "Bearer error=\"insufficient_user_authentication\", error_description=\"This must be e-signed by signing in again in the browser\", max_age=0",
            ),
            ProblemType::InvalidToken => Some("Bearer error=\"invalid_token\""),
            // RFC 6750 §3.1
            ProblemType::InsufficientScope => Some("Bearer error=\"insufficient_scope\""),
            _ => None,
        };
        if let Some(value) = challenge {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        response
    }
}

impl From<DomainError> for Problem {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::NotFound(what) => {
                Problem::new(ProblemType::NotFound, format!("{what} not found"))
            }
            DomainError::Forbidden(why) => Problem::new(ProblemType::Forbidden, why),
            DomainError::Invalid { field, message } => Problem {
                kind: ProblemType::InvalidValue,
                detail: format!("{field}: {message}"),
                field: Some(field),
            },
            DomainError::Conflict(message) => Problem::new(ProblemType::Conflict, message),
            DomainError::ReauthRequired { .. } => Problem::new(
                ProblemType::InsufficientUserAuthentication,
                "This must be e-signed by signing in again at the identity provider, which an API token cannot do: make it in the Countersign web app.",
            ),
            DomainError::ReauthRefused(why) => {
                Problem::new(ProblemType::InsufficientUserAuthentication, why.to_string())
            }
            DomainError::Db(err) => {
                tracing::error!(error = %err, "database error in the API");
                Problem::new(ProblemType::Internal, "Please try again later.")
            }
        }
    }
}

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Self {
        let kind = match &rejection {
            JsonRejection::JsonDataError(_) => ProblemType::UnprocessableBody,
            JsonRejection::JsonSyntaxError(_) => ProblemType::MalformedJson,
            JsonRejection::MissingJsonContentType(_) => ProblemType::UnsupportedMediaType,
            _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => ProblemType::TooLarge,
            _ => ProblemType::MalformedJson,
        };
        // serde's words name the field and the position, never a secret:
        // the body is the caller's own.
        Problem::new(kind, rejection.body_text())
    }
}

/// Answers made outside the API's handlers (the body limit's 413, the
/// router's 404 and 405 for `/api/v1/…`) become problem documents too.
pub async fn problems_only(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let kind = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ProblemType::TooLarge,
        StatusCode::METHOD_NOT_ALLOWED => ProblemType::MethodNotAllowed,
        StatusCode::NOT_FOUND => ProblemType::NotFound,
        StatusCode::UNAUTHORIZED => ProblemType::InvalidToken,
        StatusCode::FORBIDDEN => ProblemType::Forbidden,
        s if s.is_server_error() => ProblemType::Internal,
        _ => ProblemType::BadQuery,
    };
    let detail = match kind {
        ProblemType::TooLarge => format!(
            "A request body may be at most {} KiB.",
            crate::MAX_REQUEST_BODY / 1024
        ),
        ProblemType::NotFound => "No such API resource: see /api/v1/openapi.json.".to_owned(),
        ProblemType::MethodNotAllowed => {
            "This resource does not take that method: see /api/v1/openapi.json.".to_owned()
        }
        _ => kind.title().to_owned(),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut problem = Problem::new(kind, detail).into_response();
    if let Some(allow) = allow {
        problem.headers_mut().insert(header::ALLOW, allow);
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_type_has_its_own_name() {
        let mut names: Vec<_> = ProblemType::ALL.iter().map(|t| t.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ProblemType::ALL.len());
    }

    #[test]
    fn docs_api_md_lists_every_problem_type_with_its_status() {
        let docs = include_str!("../../docs/api.md");
        for kind in ProblemType::ALL {
            let row = format!("| `{}` | {} |", kind.name(), kind.status().as_u16());
            assert!(docs.contains(&row), "docs/api.md has no row {row}");
        }
    }
}
