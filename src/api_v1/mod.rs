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
    extract::{FromRequestParts, Path, State},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;

mod extract;
mod paging;
pub mod problem;

use extract::{Body, Params};
use problem::Problem;

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

/// The owner of the bearer token. Its "session" for re-authentication purposes is
/// the token itself, which can never hold a verified re-authentication.
pub struct ApiCaller {
    pub user: CurrentUser,
    pub session_key: String,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let unauthenticated = Problem::invalid_token;
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
        include_str!("../openapi.json"),
    )
}

async fn get_config(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<serde_json::Value>, Problem> {
    let settings =
        domain::org::settings(&state.db, &caller.user, state.services.provider_configured).await?;
    Ok(Json(json!({
        "config": settings.config,
        "version": settings.version,
        "reauthTestPassedAt": settings.reauth_test_passed_at,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutConfig {
    config: AccessRequestConfig,
    version: i64,
}

async fn put_config(
    State(state): State<AppState>,
    caller: ApiCaller,
    Body(body): Body<PutConfig>,
) -> Result<Json<serde_json::Value>, Problem> {
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
#[serde(deny_unknown_fields)]
struct ItemsQuery {
    search: Option<String>,
    kind: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

const ITEMS: paging::List = paging::List {
    name: "access-items",
    valid: |raw| raw.contains('\u{1f}'),
};

async fn list_items(
    State(state): State<AppState>,
    caller: ApiCaller,
    Params(q): Params<ItemsQuery>,
) -> Result<Response, Problem> {
    let kind = match q.kind.as_deref() {
        None => None,
        Some(kind) => Some(ItemKind::parse(kind).ok_or_else(|| {
            Problem::new(
                problem::ProblemType::BadQuery,
                format!("kind: unknown kind {kind:?}"),
            )
        })?),
    };
    let cursor = paging::decode(ITEMS, q.cursor.as_deref())?;
    let limit = q.limit.map(|n| n.to_string());
    let filter = ItemFilter {
        search: q.search.clone(),
        kind,
        catalog_only: false,
        recent_first: false,
    };
    let page = domain::items::list(
        &state.db,
        &caller.user,
        filter,
        cursor.as_deref(),
        paging::limit(q.limit)?,
    )
    .await?;
    Ok(paging::page(
        ITEMS,
        "items",
        &page.rows,
        page.next.as_deref(),
        "/api/v1/access-items",
        &[
            ("search", q.search.as_deref()),
            ("kind", q.kind.as_deref()),
            ("limit", limit.as_deref()),
        ],
    ))
}

/// One item with its approval steps (administrators).
async fn get_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, Problem> {
    let (item, steps) = domain::items::with_steps(&state.db, &caller.user, &id).await?;
    Ok(Json(json!({ "item": item, "approval_steps": steps })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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
    Body(body): Body<NewRequest>,
) -> Result<Response, Problem> {
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
) -> Result<Json<app::types::RequestView>, Problem> {
    Ok(Json(
        domain::requests::view(&state.db, &caller.user, &id).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ApprovalsQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

const TASKS: paging::List = paging::List {
    name: "approvals",
    valid: |raw| app::types::parse_time_cursor(raw).is_some(),
};

async fn list_approvals(
    State(state): State<AppState>,
    caller: ApiCaller,
    Params(q): Params<ApprovalsQuery>,
) -> Result<Response, Problem> {
    let cursor = paging::decode(TASKS, q.cursor.as_deref())?;
    let limit = q.limit.map(|n| n.to_string());
    let page = domain::inbox::inbox(
        &state.db,
        &caller.user,
        cursor.as_deref(),
        paging::limit(q.limit)?,
    )
    .await?;
    Ok(paging::page(
        TASKS,
        "tasks",
        &page.rows,
        page.next.as_deref(),
        "/api/v1/approvals",
        &[("limit", limit.as_deref())],
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    decision: Decision,
    #[serde(default)]
    comment: String,
}

async fn decide(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(task_id): Path<String>,
    Body(body): Body<DecisionBody>,
) -> Result<Json<serde_json::Value>, Problem> {
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
