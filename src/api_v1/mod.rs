//! The JSON API for scripts (`/api/v1/…`), authenticated by personal access
//! tokens (`Authorization: Bearer cs_…`). Handlers are thin: they find the caller
//! ([`ApiCaller`]), call one domain function and map its error.
//!
//! An approval that must be e-signed cannot be made with a token: the answer is
//! `401` with `WWW-Authenticate: Bearer error="insufficient_user_authentication",
//! max_age=0` (RFC 9470 §3): a person must sign it in the browser.

use app::{
    db::items::ItemFilter,
    domain,
    types::{AccessRequestConfig, Decision, ItemKind},
};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;

mod caller;
mod conditional;
mod document;
mod extract;
mod idempotency;
mod paging;
pub mod problem;

pub use caller::{ApiCaller, scope};
use extract::{Body, Params};
use idempotency::IdempotencyKey;
use problem::{Problem, ProblemType};

pub fn routes() -> Router<AppState> {
    router().split_for_parts().0
}

/// Every API route with its description; `document.rs` serves the description.
fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(document::ApiDocument::openapi())
        .routes(routes!(document::openapi))
        .routes(routes!(get_config, put_config))
        .routes(routes!(list_items))
        .routes(routes!(get_item))
        .routes(routes!(create_request))
        .routes(routes!(get_request))
        .routes(routes!(list_approvals))
        .routes(routes!(decide))
}

#[utoipa::path(
    get,
    path = "/api/v1/access-request-config",
    security(("token" = ["read"])),
    tag = "organisation",
    summary = "The organisation's access-request configuration (admins)",
    responses(
        (status = 200, description = "config, version, reauthTestPassedAt", body = serde_json::Value,
            headers(("ETag" = String, description = "The version, quoted: send it back as If-Match to change it"))),
        (status = 401, description = "No valid token", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for the token's owner", body = document::ProblemDocument, content_type = "application/problem+json")
    )
)]
async fn get_config(
    State(state): State<AppState>,
    caller: ApiCaller<scope::Read>,
) -> Result<Response, Problem> {
    let settings =
        domain::org::settings(&state.db, &caller.user, state.services.provider_configured).await?;
    let mut response = Json(json!({
        "config": settings.config,
        "version": settings.version,
        "reauthTestPassedAt": settings.reauth_test_passed_at,
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::ETAG, conditional::etag(settings.version));
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PutConfig {
    /// As `GET` answers it.
    #[schema(value_type = Object)]
    config: AccessRequestConfig,
    /// Deprecated: send the version read as `If-Match` instead. Without
    /// `If-Match`, a stale one here is refused with 409.
    version: Option<i64>,
}

#[utoipa::path(
    put,
    path = "/api/v1/access-request-config",
    security(("token" = ["admin"])),
    tag = "organisation",
    summary = "Replace the configuration (admins); weakening a control answers RFC 9470",
    params(("If-Match" = String, Header, description = "The ETag of the version this replaces (GET's); a stale one changes nothing: 412")),
    request_body = PutConfig,
    responses(
        (status = 200, description = "config and its new version", body = serde_json::Value,
            headers(("ETag" = String, description = "The new version, quoted"))),
        (status = 400, description = "A bad value, parameter or cursor", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for the token's owner", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "Changed by someone else (the deprecated body `version`)", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 415, description = "Body not application/json", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "Body does not fit: a missing, unknown or mistyped field", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match (nor body version), or one naming no single version", body = document::ProblemDocument, content_type = "application/problem+json")
    )
)]
async fn put_config(
    State(state): State<AppState>,
    caller: ApiCaller<scope::Admin>,
    headers: HeaderMap,
    Body(body): Body<PutConfig>,
) -> Result<Response, Problem> {
    // The version replaced: `If-Match` (412 when stale), else the body's
    // deprecated `version` (409 when stale), else 428.
    let (version, conditional) = match (conditional::if_match(&headers)?, body.version) {
        (Some(sent), _) => (sent, true),
        (None, Some(sent)) => (sent, false),
        (None, None) => {
            return Err(Problem::new(
                ProblemType::PreconditionRequired,
                "Send the version you read as If-Match (the ETag of GET /api/v1/access-request-config).",
            ));
        }
    };
    let provider = state.services.provider_configured;
    if conditional {
        let current = domain::org::settings(&state.db, &caller.user, provider).await?;
        if current.version != version {
            return Err(conditional::stale(version, current.version));
        }
    }
    let saved = domain::org::save(
        &state.db,
        &caller.user,
        &caller.session_key,
        &body.config,
        version,
        provider,
        None,
        &state.services.fallback,
    )
    .await;
    let settings = match saved {
        // Changed by someone else between the check above and the write.
        Err(domain::DomainError::Conflict(_)) if conditional => {
            let current = domain::org::settings(&state.db, &caller.user, provider).await?;
            return Err(conditional::stale(version, current.version));
        }
        other => other?,
    };
    let mut response =
        Json(json!({ "config": settings.config, "version": settings.version })).into_response();
    response
        .headers_mut()
        .insert(header::ETAG, conditional::etag(settings.version));
    Ok(response)
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ItemsQuery {
    /// Words of the name or description (at most 200 characters).
    search: Option<String>,
    /// `application`, `role`, `entitlement` or `access_profile`.
    kind: Option<String>,
    /// Opaque: follow the previous page's `next` link.
    cursor: Option<String>,
    /// Rows per page, 1 to 100 (default 100).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

const ITEMS: paging::List = paging::List {
    name: "access-items",
    valid: |raw| raw.contains('\u{1f}'),
};

#[utoipa::path(
    get,
    path = "/api/v1/access-items",
    security(("token" = ["read"])),
    tag = "items",
    summary = "Access items by name (the catalog for non-admins)",
    params(ItemsQuery),
    responses(
        (status = 200, description = "items and next", body = serde_json::Value),
        (status = 400, description = "A bad value, parameter or cursor", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = document::ProblemDocument, content_type = "application/problem+json")
    )
)]
async fn list_items(
    State(state): State<AppState>,
    caller: ApiCaller<scope::Read>,
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
#[utoipa::path(
    get,
    path = "/api/v1/access-items/{id}",
    security(("token" = ["read"])),
    tag = "items",
    summary = "One item with its approval steps (admins)",
    params(("id" = String, Path, description = "The item's id")),
    responses(
        (status = 200, description = "item and approval_steps", body = serde_json::Value),
        (status = 401, description = "No valid token", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for the token's owner", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = document::ProblemDocument, content_type = "application/problem+json")
    )
)]
async fn get_item(
    State(state): State<AppState>,
    caller: ApiCaller<scope::Read>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, Problem> {
    let (item, steps) = domain::items::with_steps(&state.db, &caller.user, &id).await?;
    Ok(Json(json!({ "item": item, "approval_steps": steps })))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewRequest {
    item_id: String,
    justification: String,
    #[serde(default)]
    end_date: Option<String>,
    #[serde(default)]
    for_user_id: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/access-requests",
    security(("token" = ["request"])),
    tag = "requests",
    summary = "Request access, for yourself or on behalf of someone",
    request_body = NewRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique text (a UUID): a retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`; the same key with another body answers 422")),
    responses(
        (status = 201, description = "The request as created", body = serde_json::Value,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the first answer to the same Idempotency-Key, replayed"))),
        (status = 400, description = "A bad value, parameter or cursor", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for the token's owner", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "Already decided or changed by someone else, or the first call with this Idempotency-Key is still under way", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 415, description = "Body not application/json", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "Body does not fit: a missing, unknown or mistyped field; or the Idempotency-Key was used for another request", body = document::ProblemDocument, content_type = "application/problem+json")
    )
)]
async fn create_request(
    State(state): State<AppState>,
    caller: ApiCaller<scope::Request>,
    key: IdempotencyKey,
    Body(body): Body<NewRequest>,
) -> Result<Response, Problem> {
    let request = json!(body);
    idempotency::once(
        &state,
        (&caller.session_key, key),
        ("create_request", request),
        || async {
            let input = domain::requests::AccessRequestInput {
                item_id: body.item_id,
                justification: body.justification,
                end_date: body.end_date.unwrap_or_default(),
                for_user_id: body.for_user_id.unwrap_or_default(),
            };
            let id = domain::requests::request_access(
                &state.db,
                &caller.user,
                &input,
                &state.services.fallback,
            )
            .await?;
            let view = domain::requests::view(&state.db, &caller.user, &id).await?;
            Ok((StatusCode::CREATED, json!(view)))
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/access-requests/{id}",
    security(("token" = ["read"])),
    tag = "requests",
    summary = "One request with its steps",
    params(("id" = String, Path, description = "The request's id")),
    responses(
        (status = 200, description = "The request", body = serde_json::Value),
        (status = 401, description = "No valid token", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for the token's owner", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = document::ProblemDocument, content_type = "application/problem+json")
    )
)]
async fn get_request(
    State(state): State<AppState>,
    caller: ApiCaller<scope::Read>,
    Path(id): Path<String>,
) -> Result<Json<app::types::RequestView>, Problem> {
    Ok(Json(
        domain::requests::view(&state.db, &caller.user, &id).await?,
    ))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ApprovalsQuery {
    /// Opaque: follow the previous page's `next` link.
    cursor: Option<String>,
    /// Rows per page, 1 to 100 (default 100).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

const TASKS: paging::List = paging::List {
    name: "approvals",
    valid: |raw| app::types::parse_time_cursor(raw).is_some(),
};

#[utoipa::path(
    get,
    path = "/api/v1/approvals",
    security(("token" = ["read"])),
    tag = "approvals",
    summary = "The caller's pending approval tasks, newest first",
    params(ApprovalsQuery),
    responses(
        (status = 200, description = "tasks and next", body = serde_json::Value),
        (status = 400, description = "A bad value, parameter or cursor", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = document::ProblemDocument, content_type = "application/problem+json")
    )
)]
async fn list_approvals(
    State(state): State<AppState>,
    caller: ApiCaller<scope::Read>,
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

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    #[schema(value_type = DecisionName)]
    decision: Decision,
    #[serde(default)]
    comment: String,
}

/// `approve` or `deny` (a denial needs a comment).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // described only; `Decision` is read
enum DecisionName {
    Approve,
    Deny,
}

#[utoipa::path(
    post,
    path = "/api/v1/approvals/{task_id}/decision",
    security(("token" = ["approve"])),
    tag = "approvals",
    summary = "Approve or deny a task; one that must be e-signed answers 401 (RFC 9470)",
    request_body = DecisionBody,
    params(
        ("task_id" = String, Path, description = "The task's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Any unique text (a UUID): a retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`; the same key with another body answers 422"),
    ),
    responses(
        (status = 200, description = "decided: how many tasks", body = serde_json::Value,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the first answer to the same Idempotency-Key, replayed"))),
        (status = 400, description = "A bad value, parameter or cursor", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for the token's owner", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such resource", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "Already decided or changed by someone else, or the first call with this Idempotency-Key is still under way", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 415, description = "Body not application/json", body = document::ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "Body does not fit: a missing, unknown or mistyped field; or the Idempotency-Key was used for another request", body = document::ProblemDocument, content_type = "application/problem+json")
    )
)]
async fn decide(
    State(state): State<AppState>,
    api_caller: ApiCaller<scope::Approve>,
    Path(task_id): Path<String>,
    key: IdempotencyKey,
    Body(body): Body<DecisionBody>,
) -> Result<Response, Problem> {
    let request = json!({ "task_id": task_id, "body": body });
    idempotency::once(
        &state,
        (&api_caller.session_key, key),
        ("decide", request),
        || async {
            let caller = domain::approvals::Caller {
                user: &api_caller.user,
                session_key: &api_caller.session_key,
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
                domain::approvals::decide(&state.db, &caller, &command, &state.services.fallback)
                    .await?;
            Ok((StatusCode::OK, json!({ "decided": done.len() })))
        },
    )
    .await
}
