//! Resolves who is calling, once per request: the signed-in user goes into the
//! request's extensions (where pages and server functions read it through
//! `app::auth::require_user`), an anonymous person asking for a page is sent
//! to sign in and brought back afterwards, and an anonymous call of a server
//! function is refused before its body is read.

use app::{
    access::{PageAccess, page_access},
    auth::signed_in_user,
    types::AppError,
};
use axum::{
    extract::{Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

use crate::AppState;

pub async fn resolve_user(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        tracing::error!("no session layer in front of the guard");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let user = match signed_in_user(&session, &state.db, &state.roles, state.limits).await {
        Ok(user) => user,
        Err(err) => {
            tracing::error!(error = %err, "cannot read the session");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let wants_page = is_page(request.method(), request.uri().path());
    match user {
        Some((user, key)) => {
            request.extensions_mut().insert(user);
            request.extensions_mut().insert(key);
        }
        None if is_server_fn(request.uri().path())
            && !ANONYMOUS_SERVER_FNS.contains(&request.uri().path()) =>
        {
            return unauthenticated();
        }
        None if wants_page && page_access(request.uri().path()) != PageAccess::Public => {
            let next = request
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/");
            let login = format!("/auth/login?next={}", app::query::urlencode(next));
            return Redirect::to(&login).into_response();
        }
        None => {}
    }
    next.run(request).await
}

/// Server functions anybody may call: the header asks who is signed in on
/// public pages too. Every other one needs a signed-in caller, so a stranger
/// cannot make the server read (and parse) a body on their behalf.
const ANONYMOUS_SERVER_FNS: [&str; 1] = ["/api/session/who_am_i"];

/// A Leptos server function, as opposed to the JSON API (`/api/v1/`, which
/// authenticates with tokens).
fn is_server_fn(path: &str) -> bool {
    path.starts_with("/api/") && !path.starts_with("/api/v1/")
}

/// What a server function answers an anonymous caller: its own error type
/// (`AppError::Unauthenticated`), so pages show "Please sign in to continue."
fn unauthenticated() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&AppError::Unauthenticated).unwrap_or_default(),
    )
        .into_response()
}

/// A page a person navigates to, as opposed to assets, server functions (which
/// check for themselves), the health check and the OIDC edges.
fn is_page(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && !["/pkg/", "/api/", "/auth/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
        && !["/healthz", "/readyz", "/metrics"].contains(&path)
        && path != "/favicon.svg"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_guarded_assets_are_not() {
        assert!(is_page(&Method::GET, "/"));
        assert!(is_page(&Method::GET, "/inbox"));
        assert!(!is_page(&Method::GET, "/pkg/countersign.js"));
        assert!(!is_page(&Method::POST, "/api/session/current_user"));
        assert!(!is_page(&Method::GET, "/healthz"));
        assert!(!is_page(&Method::GET, "/readyz"));
        assert!(!is_page(&Method::GET, "/metrics"));
        assert!(!is_page(&Method::GET, "/auth/callback"));
    }

    #[test]
    fn server_functions_are_told_apart_from_the_json_api() {
        assert!(is_server_fn("/api/inbox/decide"));
        assert!(!is_server_fn("/api/v1/approvals"));
        assert!(!is_server_fn("/inbox"));
    }
}
