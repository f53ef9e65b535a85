//! A tampering proxy in front of the real OIDC provider: it relays every request
//! and response verbatim (method, path and query, headers with cookies and
//! `Authorization`, body; status, `Set-Cookie`, `Location`), except that it hands
//! the `id_token` of each token endpoint answer to the test, which may swap it for
//! one of its own, and the discovery document, which the test may edit.
//!
//! The provider is started with `IDP_ISSUER` set to the proxy's URL, so discovery,
//! keys and every endpoint the app and the browser use lead through the proxy.

use std::sync::Arc;

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use tokio::net::TcpListener;

/// Given the ID token the provider issued, returns the one the app receives.
pub type IdTokenRewrite = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Edits the provider's discovery document before the app reads it.
pub type DiscoveryRewrite = Arc<dyn Fn(&mut serde_json::Value) + Send + Sync>;

/// Bodies larger than this are not relayed (the provider's are a few kilobytes).
const MAX_BODY: usize = 1 << 20;

/// Hop-by-hop headers (RFC 9110 §7.6.1) and the length, which the relaying
/// client and server set again for the body they send.
const NOT_RELAYED: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "content-length",
];

/// A loopback port bound for the proxy, not serving yet.
pub struct Tamper {
    /// `http://127.0.0.1:port`: the issuer the provider must announce.
    pub url: String,
    listener: TcpListener,
}

struct Relay {
    upstream: String,
    client: reqwest::Client,
    rewrite: IdTokenRewrite,
    discovery: DiscoveryRewrite,
}

impl Tamper {
    pub async fn bind() -> Tamper {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port for the proxy");
        let addr = listener.local_addr().expect("proxy address");
        Tamper {
            url: format!("http://{addr}"),
            listener,
        }
    }

    /// Serves in the background, relaying to `upstream` (`http://host:port`).
    pub fn serve(self, upstream: String, rewrite: IdTokenRewrite, discovery: DiscoveryRewrite) {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("proxy http client");
        let relay = Arc::new(Relay {
            upstream,
            client,
            rewrite,
            discovery,
        });
        let router = Router::new().fallback(forward).with_state(relay);
        tokio::spawn(async move { axum::serve(self.listener, router).await });
    }
}

async fn forward(State(relay): State<Arc<Relay>>, request: Request) -> Response {
    match relay.pass(request).await {
        Ok(response) => response,
        Err(err) => (StatusCode::BAD_GATEWAY, format!("tampering proxy: {err}")).into_response(),
    }
}

impl Relay {
    async fn pass(&self, request: Request) -> Result<Response, String> {
        let (parts, body) = request.into_parts();
        let target = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let is_token_request =
            parts.method == axum::http::Method::POST && parts.uri.path().ends_with("/token");
        let is_discovery = parts
            .uri
            .path()
            .ends_with("/.well-known/openid-configuration");
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|e| format!("request body: {e}"))?;
        // `Host` goes along as the browser or app sent it: the provider builds the
        // URLs it hands out from it, and they must lead back through here.
        let upstream = self
            .client
            .request(parts.method, format!("{}{target}", self.upstream))
            .headers(relayed(&parts.headers))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("provider: {e}"))?;
        let status = upstream.status();
        let headers = relayed(upstream.headers());
        let mut body = upstream
            .bytes()
            .await
            .map_err(|e| format!("provider body: {e}"))?;
        if is_token_request && status.is_success() {
            body = self.swap_id_token(&body).await?;
        }
        if is_discovery && status.is_success() {
            let mut json: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| format!("discovery: {e}"))?;
            (self.discovery)(&mut json);
            body = serde_json::to_vec(&json)
                .map(Bytes::from)
                .map_err(|e| format!("discovery: {e}"))?;
        }
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }

    async fn swap_id_token(&self, body: &Bytes) -> Result<Bytes, String> {
        let mut json: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| format!("token response: {e}"))?;
        let Some(real) = json
            .get("id_token")
            .and_then(|t| t.as_str())
            .map(str::to_owned)
        else {
            return Ok(body.clone());
        };
        // Signing is slow in debug builds: off the test's (single-threaded) runtime.
        let rewrite = self.rewrite.clone();
        let forged = tokio::task::spawn_blocking(move || rewrite(&real))
            .await
            .map_err(|e| format!("forging the ID token: {e}"))?;
        json["id_token"] = serde_json::Value::String(forged);
        serde_json::to_vec(&json)
            .map(Bytes::from)
            .map_err(|e| format!("token response: {e}"))
    }
}

fn relayed(headers: &HeaderMap) -> HeaderMap {
    let mut out = headers.clone();
    for name in NOT_RELAYED {
        out.remove(name);
    }
    out
}
