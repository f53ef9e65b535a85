//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! annotations: the router is built from the same annotations
//! (`utoipa_axum::routes!`), so a route cannot be served without being
//! described, nor described without being served (`tests/integration/api_document.rs`).

use std::sync::LazyLock;

use axum::{http::header, response::IntoResponse};
use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Countersign API",
        version = "1",
        description = "Access requests and approvals for scripts. Authenticate with a personal access token (create one at /tokens): `Authorization: Bearer cs_…`. A token has scopes (`read`, `request`, `approve`, `admin`, `audit`), chosen at its creation; each operation names the one it needs under `security`, and a call is allowed only when the token has it and its owner's current roles allow it (otherwise 403 `insufficient-scope` or `forbidden`). Every error is an RFC 9457 problem document (`application/problem+json`; the types are listed in docs/api.md). Approvals that must be e-signed answer 401 with `WWW-Authenticate: Bearer error=\"insufficient_user_authentication\", max_age=0` (RFC 9470): a person signs them in the browser. Lists are paged: follow `next` (also the `Link` header) until it is null."
    ),
    modifiers(&BearerToken),
    components(schemas(ProblemDocument)),
    security(("token" = [])),
    tags(
        (name = "items", description = "Access items and their approval steps"),
        (name = "requests", description = "Access requests"),
        (name = "approvals", description = "Approval tasks and decisions"),
        (name = "organisation", description = "The organisation's access-request configuration"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDocument;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("cs_… personal access token")
                    .description(Some(
                        "A personal access token. Its scopes (read, request, approve, admin, \
                         audit) are chosen at creation; each operation lists the one it needs.",
                    ))
                    .build(),
            ),
        );
    }
}

/// An RFC 9457 problem document, the body of every error.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // only described, never built: `problem::Problem` writes the body
pub struct ProblemDocument {
    /// `https://countersign.dev/problems/<name>`; the names are listed in docs/api.md.
    r#type: String,
    title: String,
    status: u16,
    /// What happened this time and what to do about it.
    detail: String,
    /// The body field the problem is about, when there is one.
    field: Option<String>,
}

/// The document as served, made once from the router's annotations.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    let (_, document) = super::router().split_for_parts();
    document
        .to_pretty_json()
        .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"))
});

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}
