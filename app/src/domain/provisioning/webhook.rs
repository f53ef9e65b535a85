//! The signed webhook: each change is POSTed as JSON to a receiver the
//! organisation runs, signed with a secret the two share.
//!
//! `X-Countersign-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! A receiver recomputes the HMAC over the exact bytes it received, compares in
//! constant time, and refuses a `t` outside its replay window ([`verify`] is the
//! reference). A 2xx answer marks the job done; anything else is retried.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::connector::{Change, Connector, Outcome, answer_excerpt};
use crate::{domain::DomainError, types::JobOperation};

pub const SIGNATURE_HEADER: &str = "X-Countersign-Signature";
pub const EVENT_HEADER: &str = "X-Countersign-Event";
/// How long a receiver should accept a signature (seconds either side).
pub const REPLAY_WINDOW_SECS: i64 = 300;
/// A shared secret shorter than this is refused.
pub const SECRET_MIN_CHARS: usize = 24;
/// Each POST gives up after this long (well inside the worker's lease).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The event type of a change.
pub fn event_type(operation: JobOperation) -> &'static str {
    match operation {
        JobOperation::Grant => "access.granted",
        JobOperation::Revoke => "access.revoked",
        // Never posted to a provisioning target (`connector::apply` refuses it).
        JobOperation::Send => "countersign.notification",
    }
}

/// The HTTP client every webhook uses: a timeout, and no redirects (a receiver
/// cannot bounce the signed body elsewhere).
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Countersign-Webhook/1")
        .build()
}

/// A receiver's URL, checked: absolute http(s), https unless it is this very
/// machine (loopback), and no credentials in it (they belong in the secret,
/// which is sealed; a URL is shown and audited).
pub fn parse_url(text: &str) -> Result<url::Url, DomainError> {
    let url = url::Url::parse(text.trim())
        .map_err(|_| DomainError::invalid("url", "must be an absolute URL"))?;
    let host = url
        .host_str()
        .ok_or_else(|| DomainError::invalid("url", "must name a host"))?;
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(DomainError::invalid(
                "url",
                "must use https (plain http only to this machine's loopback address)",
            ));
        }
        _ => return Err(DomainError::invalid("url", "must be an http(s) URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(DomainError::invalid(
            "url",
            "must not carry a user name or password; the shared secret authenticates",
        ));
    }
    if text.trim().chars().count() > 2000 {
        return Err(DomainError::invalid(
            "url",
            "must be at most 2000 characters",
        ));
    }
    Ok(url)
}

/// The signature header's value for `body` at `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!(
        "t={t},v1={}",
        hex::encode(mac(secret, t, body).finalize().into_bytes())
    )
}

fn mac(secret: &[u8], t: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Why a receiver refuses a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no valid X-Countersign-Signature header")]
    Malformed,
    #[error("the signature's time is outside the replay window")]
    Stale,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// What a receiver does: checks `header` against the exact `body` received,
/// with its own clock `now` and a replay window of `window_secs`.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    window_secs: i64,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err(SignatureError::Malformed);
    };
    if (now - t).abs() > window_secs {
        return Err(SignatureError::Stale);
    }
    mac(secret, t, body)
        .verify_slice(&v1)
        .map_err(|_| SignatureError::Mismatch)
}

/// A receiver and the secret shared with it.
pub struct Webhook {
    url: url::Url,
    secret: String,
    http: reqwest::Client,
}

impl Webhook {
    pub fn new(url: url::Url, secret: String, http: reqwest::Client) -> Webhook {
        Webhook { url, secret, http }
    }

    /// POSTs `body` signed now; 2xx is done, anything else is retried.
    async fn deliver(&self, event: &str, body: Vec<u8>) -> Outcome {
        let t = crate::domain::now();
        let signature = sign(self.secret.as_bytes(), t, &body);
        let sent = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_HEADER, event)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            // Without the URL: it may carry a query string the admin considers private.
            Err(err) => {
                let why = if err.is_timeout() {
                    "timed out".to_owned()
                } else if err.is_connect() {
                    "connection refused or unreachable".to_owned()
                } else {
                    err.without_url().to_string()
                };
                return Outcome::Retry(format!("could not deliver: {why}"));
            }
        };
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let answer = format!("HTTP {}: {}", status.as_u16(), answer_excerpt(&text, 200));
        let answer = answer.trim_end_matches(": ").to_owned();
        if status.is_success() {
            Outcome::Done(answer)
        } else {
            Outcome::Retry(answer)
        }
    }

    async fn send_change(&self, change: &Change) -> Outcome {
        let event = event_type(change.operation);
        let body = json!({
            "id": change.id,
            "type": event,
            "time": change.decided_at,
            "reason": change.reason,
            "assignment_id": change.assignment_id,
            "request_id": change.request_id,
            "item": change.item,
            "person": change.person,
        });
        self.deliver(event, body.to_string().into_bytes()).await
    }
}

#[async_trait::async_trait]
impl Connector for Webhook {
    async fn grant(&self, change: &Change) -> Outcome {
        self.send_change(change).await
    }

    async fn revoke(&self, change: &Change) -> Outcome {
        self.send_change(change).await
    }

    async fn test_connection(&self) -> Outcome {
        let body = json!({
            "id": crate::domain::new_id(),
            "type": "countersign.ping",
            "time": crate::domain::now(),
        });
        self.deliver("countersign.ping", body.to_string().into_bytes())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_over_the_exact_body_within_the_window() {
        let header = sign(b"shared-secret", 1_000, b"{\"a\":1}");
        assert_eq!(
            verify(b"shared-secret", &header, b"{\"a\":1}", 1_100, 300),
            Ok(())
        );
        assert_eq!(
            verify(b"shared-secret", &header, b"{\"a\":2}", 1_100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other-secret", &header, b"{\"a\":1}", 1_100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"shared-secret", &header, b"{\"a\":1}", 1_301, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(b"shared-secret", "v1=00", b"", 0, 300),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn receivers_must_be_https_unless_on_loopback() {
        assert!(parse_url("https://hooks.example.com/countersign").is_ok());
        assert!(parse_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(parse_url("http://[::1]:9000/hook").is_ok());
        assert!(parse_url("http://hooks.example.com/hook").is_err());
        assert!(parse_url("ftp://hooks.example.com/").is_err());
        assert!(parse_url("https://user:pw@hooks.example.com/").is_err());
        assert!(parse_url("/relative").is_err());
    }
}
