//! The security headers every response carries, whatever produced it (a page,
//! a server function, the JSON API, a static file, an error):
//!
//! - `Content-Security-Policy`: scripts only from this site or inline with this
//!   response's nonce (no `unsafe-inline`), WebAssembly allowed to compile
//!   (`wasm-unsafe-eval`), styles only from this site, no framing at all;
//! - `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`;
//! - `Strict-Transport-Security` when the public URL is https.
//!
//! The nonce is made here, per response, and put in the request's extensions;
//! page renders hand it to Leptos (`src/lib.rs`, `page_context`), whose hydration
//! and streaming scripts then carry it.

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderName, HeaderValue, header, request::Parts},
    middleware::Next,
    response::Response,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::AppState;

/// The nonce of this response's inline scripts (128 random bits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspNonce(pub String);

impl CspNonce {
    fn random() -> CspNonce {
        CspNonce(URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()))
    }
}

/// A handler that renders a page itself (the sign-in problem pages) takes the
/// nonce as an argument. Always there behind [`security_headers`]; a fresh one
/// otherwise, which no header allows, so inline scripts simply do not run.
impl<S: Send + Sync> FromRequestParts<S> for CspNonce {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<CspNonce>()
            .cloned()
            .unwrap_or_else(CspNonce::random))
    }
}

pub async fn security_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = CspNonce::random();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if state.public_url.scheme() == "https" {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    // Old browsers that ignore `frame-ancestors`.
    headers.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    response
}

/// `form-action` is left out on purpose: sign-out is a form whose answer
/// redirects to the provider, which `form-action 'self'` would block.
fn content_security_policy(nonce: &CspNonce) -> String {
    format!(
        "default-src 'self'; \
         script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; \
         style-src 'self'; \
         img-src 'self' data:; \
         connect-src 'self'; \
         object-src 'none'; \
         base-uri 'none'; \
         frame-ancestors 'none'",
        nonce.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_no_inline_script_without_the_nonce() {
        let policy = content_security_policy(&CspNonce("abc".into()));
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("style-src 'self';"));
    }

    #[test]
    fn each_response_gets_its_own_nonce() {
        assert_ne!(CspNonce::random(), CspNonce::random());
    }
}
