//! The JSON API for scripts (`/api/v1/…`), authenticated by personal access
//! tokens (`Authorization: Bearer cs_…`). Handlers are thin: they find the caller
//! ([`ApiCaller`]), call one domain function and map its error.
//!
//! An approval that must be e-signed cannot be made with a token: the answer is
//! `401` with `WWW-Authenticate: Bearer error="insufficient_user_authentication",
//! max_age=0` (RFC 9470 §3): a person must sign it in the browser.

use app::{
    db::items::ItemFilter,
    domain::{self, DomainError},
    types::{AccessRequestConfig, CurrentUser, Decision, ItemKind},
};
use axum::{
    Json, Router,
    extract::{FromRequestParts, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route(
            "/api/v1/access-request-config",
            get(get_config).put(put_config),
        )
        .route("/api/v1/access-items", get(list_items))
        .route("/api/v1/access-items/{id}", get(get_item))
        .route("/api/v1/access-requests", post(create_request))
        .route("/api/v1/access-requests/{id}", get(get_request))
        .route("/api/v1/approvals", get(list_approvals))
        .route("/api/v1/approvals/{task_id}/decision", post(decide))
}

/// An API error as JSON, with the status and headers it deserves.
pub struct ApiError(StatusCode, &'static str, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError(status, code, message) = self;
        let mut response =
            (status, Json(json!({ "error": code, "message": message }))).into_response();
        let challenge = match code {
            // RFC 9470 §3: the token is fine, the authentication is not fresh enough.
            "insufficient_user_authentication" => Some(
                "Bearer error=\"insufficient_user_authentication\", error_description=\"This approval must be e-signed by signing in again in the browser\", max_age=0",
            ),
            "invalid_token" => Some("Bearer error=\"invalid_token\""),
            _ => None,
        };
        if let Some(value) = challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        response
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::NotFound(what) => {
                ApiError(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            DomainError::Forbidden(why) => ApiError(StatusCode::FORBIDDEN, "forbidden", why.into()),
            DomainError::Invalid { field, message } => {
                ApiError(StatusCode::BAD_REQUEST, "invalid", format!("{field}: {message}"))
            }
            DomainError::Conflict(message) => ApiError(StatusCode::CONFLICT, "conflict", message),
            DomainError::ReauthRequired { .. } => ApiError(
                StatusCode::UNAUTHORIZED,
                "insufficient_user_authentication",
                "This must be e-signed by signing in again at the identity provider, which an API token cannot do: make it in the Countersign web app.".into(),
            ),
            DomainError::ReauthRefused(why) => ApiError(
                StatusCode::UNAUTHORIZED,
                "insufficient_user_authentication",
                why.to_string(),
            ),
            DomainError::Db(err) => {
                tracing::error!(error = %err, "database error in the API");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong on our side.".into())
            }
        }
    }
}

/// The owner of the bearer token. Its "session" for re-authentication purposes is
/// the token itself, which can never hold a verified re-authentication.
pub struct ApiCaller {
    pub user: CurrentUser,
    pub session_key: String,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthenticated = || {
            ApiError(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Send a personal access token: Authorization: Bearer cs_… (create one at /tokens)."
                    .into(),
            )
        };
        let token = bearer(&parts.headers).ok_or_else(unauthenticated)?;
        let row = domain::tokens::authenticate(&state.db, token)
            .await?
            .ok_or_else(unauthenticated)?;
        let user = app::db::users::find(&state.db, &row.user_id)
            .await
            .map_err(DomainError::from)?
            .filter(|u| u.disabled_at.is_none())
            .ok_or_else(unauthenticated)?;
        Ok(ApiCaller {
            user: CurrentUser {
                roles: state.roles.roles_for(&user.groups),
                id: user.id,
                name: user.name,
                email: user.email,
                groups: Some(user.groups),
            },
            session_key: format!("token:{}", row.id),
        })
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}

async fn get_config(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let settings =
        domain::org::settings(&state.db, &caller.user, state.services.provider_configured).await?;
    Ok(Json(json!({
        "config": settings.config,
        "version": settings.version,
        "reauthTestPassedAt": settings.reauth_test_passed_at,
    })))
}

#[derive(Deserialize)]
struct PutConfig {
    config: AccessRequestConfig,
    version: i64,
}

async fn put_config(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<PutConfig>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let settings = domain::org::save(
        &state.db,
        &caller.user,
        &caller.session_key,
        &body.config,
        body.version,
        state.services.provider_configured,
        None,
        &state.services.fallback,
    )
    .await?;
    Ok(Json(
        json!({ "config": settings.config, "version": settings.version }),
    ))
}

#[derive(Deserialize, Default)]
struct ItemsQuery {
    search: Option<String>,
    kind: Option<String>,
    after: Option<String>,
}

async fn list_items(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<ItemsQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let filter = ItemFilter {
        search: q.search,
        kind: q.kind.as_deref().and_then(ItemKind::parse),
        catalog_only: false,
        recent_first: false,
    };
    let page =
        domain::items::list(&state.db, &caller.user, filter, q.after.as_deref(), 100).await?;
    Ok(Json(json!({ "items": page.rows, "next": page.next })))
}

/// One item with its approval steps (administrators).
async fn get_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (item, steps) = domain::items::with_steps(&state.db, &caller.user, &id).await?;
    Ok(Json(json!({ "item": item, "approval_steps": steps })))
}

#[derive(Deserialize)]
struct NewRequest {
    item_id: String,
    justification: String,
    #[serde(default)]
    end_date: Option<String>,
    #[serde(default)]
    for_user_id: Option<String>,
}

async fn create_request(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<NewRequest>,
) -> Result<Response, ApiError> {
    let input = domain::requests::AccessRequestInput {
        item_id: body.item_id,
        justification: body.justification,
        end_date: body.end_date.unwrap_or_default(),
        for_user_id: body.for_user_id.unwrap_or_default(),
    };
    let id =
        domain::requests::request_access(&state.db, &caller.user, &input, &state.services.fallback)
            .await?;
    let view = domain::requests::view(&state.db, &caller.user, &id).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn get_request(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<app::types::RequestView>, ApiError> {
    Ok(Json(
        domain::requests::view(&state.db, &caller.user, &id).await?,
    ))
}

#[derive(Deserialize, Default)]
struct ApprovalsQuery {
    after: Option<String>,
}

async fn list_approvals(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<ApprovalsQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let page = domain::inbox::inbox(&state.db, &caller.user, q.after.as_deref(), 100).await?;
    Ok(Json(json!({ "tasks": page.rows, "next": page.next })))
}

#[derive(Deserialize)]
struct DecisionBody {
    decision: Decision,
    #[serde(default)]
    comment: String,
}

async fn decide(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(task_id): Path<String>,
    Json(body): Json<DecisionBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let caller = domain::approvals::Caller {
        user: &caller.user,
        session_key: &caller.session_key,
        channel: domain::approvals::Channel::Api,
    };
    let tasks = [task_id];
    let command = domain::approvals::DecideCommand {
        tasks: &tasks,
        decision: body.decision,
        comment: &body.comment,
        proof: None,
    };
    let done =
        domain::approvals::decide(&state.db, &caller, &command, &state.services.fallback).await?;
    Ok(Json(json!({ "decided": done.len() })))
}
