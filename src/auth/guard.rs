//! Resolves who is calling, once per request: the signed-in user goes into the
//! request's extensions (where pages and server functions read it through
//! `app::auth::require_user`), and an anonymous person asking for a page is sent
//! to sign in and brought back afterwards.

use app::{
    access::{PageAccess, page_access},
    auth::signed_in_user,
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
        None if wants_page && page_access(request.uri().path()) != PageAccess::Public => {
            let next = request
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/");
            let login = format!("/auth/login?next={}", urlencode(next));
            return Redirect::to(&login).into_response();
        }
        None => {}
    }
    next.run(request).await
}

/// A page a person navigates to, as opposed to assets, server functions (which
/// check for themselves), the health check and the OIDC edges.
fn is_page(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && !["/pkg/", "/api/", "/auth/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
        && path != "/healthz"
        && path != "/favicon.svg"
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
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
        assert!(!is_page(&Method::GET, "/auth/callback"));
    }
}
