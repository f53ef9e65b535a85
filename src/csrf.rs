//! Cross-site request forgery defence for every state-changing request.
//!
//! Session cookies are `SameSite=Lax`, so browsers do not send them on cross-site
//! POSTs; on top of that, a POST/PUT/PATCH/DELETE is accepted only when the
//! browser says it comes from our own origin (`Origin`, else `Sec-Fetch-Site`).
//! A request with neither header is not from a browser page and carries no
//! ambient authority worth forging, so it passes (scripts, the JSON API).

use axum::{
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::AppState;

pub async fn same_origin_only(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if is_safe_method(request.method()) || comes_from(&state.public_origin, request.headers()) {
        next.run(request).await
    } else {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site state-changing request");
        (
            StatusCode::FORBIDDEN,
            "This request came from another site and was refused (cross-site request forgery protection).",
        )
            .into_response()
    }
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn comes_from(origin: &str, headers: &HeaderMap) -> bool {
    if let Some(sent) = headers.get(header::ORIGIN) {
        return sent.as_bytes() == origin.as_bytes();
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        Some(b"same-origin") | Some(b"none") => true,
        Some(_) => false,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const OURS: &str = "http://127.0.0.1:3000";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn own_origin_passes() {
        assert!(comes_from(OURS, &headers(&[("origin", OURS)])));
    }

    #[test]
    fn foreign_origin_is_refused() {
        assert!(!comes_from(
            OURS,
            &headers(&[("origin", "https://evil.example")])
        ));
        assert!(!comes_from(OURS, &headers(&[("origin", "null")])));
    }

    #[test]
    fn cross_site_fetch_metadata_is_refused() {
        assert!(!comes_from(
            OURS,
            &headers(&[("sec-fetch-site", "cross-site")])
        ));
        assert!(!comes_from(
            OURS,
            &headers(&[("sec-fetch-site", "same-site")])
        ));
    }
}
