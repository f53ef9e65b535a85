//! What a SCIM application's HTTP answer means for a job. A 5xx, 408, 429 or
//! no answer at all is retried; any other 4xx fails with the application's own
//! words: the SCIM error's `detail` (RFC 7644 §3.12), or an OAuth error's
//! `error_description` (RFC 6749 §5.2).

use serde::Deserialize;

use crate::domain::provisioning::connector::{Outcome, answer_excerpt};

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    detail: Option<String>,
    #[serde(default, rename = "scimType")]
    scim_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

fn error_body(body: &str) -> ErrorBody {
    serde_json::from_str(body).unwrap_or_default()
}

/// `HTTP 404 (noTarget): Group 'x' not found`, in the application's words.
pub fn describe(status: u16, body: &str) -> String {
    let parsed = error_body(body);
    let kind = parsed.scim_type.or(parsed.error);
    let words = parsed
        .detail
        .or(parsed.error_description)
        .unwrap_or_else(|| {
            if serde_json::from_str::<serde_json::Value>(body).is_ok() {
                String::new()
            } else {
                body.to_owned()
            }
        });
    let mut out = format!("HTTP {status}");
    if let Some(kind) = kind.filter(|k| !k.is_empty()) {
        out.push_str(&format!(" ({})", answer_excerpt(&kind, 60)));
    }
    let words = answer_excerpt(&words, 300);
    if !words.is_empty() {
        out.push_str(": ");
        out.push_str(&words);
    }
    out
}

/// Whether a status says "not now" rather than "not like this".
pub fn is_transient(status: u16) -> bool {
    status >= 500 || status == 408 || status == 429
}

/// `doing` got a non-success `status` with `body`.
pub fn refused(doing: &str, status: u16, body: &str) -> Outcome {
    let message = format!("{doing}: {}", describe(status, body));
    if is_transient(status) {
        Outcome::Retry(message)
    } else {
        Outcome::Fail(message)
    }
}

/// `doing` got no answer (refused, timed out, cut off): retried. Without the
/// URL, which may carry a query the administrator considers private.
pub fn unreachable(doing: &str, err: &reqwest::Error) -> Outcome {
    let why = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "connection refused or unreachable".to_owned()
    } else if err.is_decode() || err.is_body() {
        "the answer could not be read".to_owned()
    } else {
        answer_excerpt(&err.to_string(), 200)
    };
    Outcome::Retry(format!("{doing}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOT_FOUND: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status":"404","detail":"Group 'g1' not found"}"#;

    #[test]
    fn a_4xx_fails_with_the_scim_detail() {
        assert_eq!(
            refused("reading group g1", 404, NOT_FOUND),
            Outcome::Fail("reading group g1: HTTP 404: Group 'g1' not found".into())
        );
        let unique = r#"{"status":"409","scimType":"uniqueness","detail":"userName taken"}"#;
        assert_eq!(
            describe(409, unique),
            "HTTP 409 (uniqueness): userName taken"
        );
    }

    #[test]
    fn an_oauth_refusal_says_why() {
        let body =
            r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#;
        assert_eq!(
            refused("asking for a token", 401, body),
            Outcome::Fail(
                "asking for a token: HTTP 401 (invalid_client): Client authentication failed"
                    .into()
            )
        );
    }

    #[test]
    fn server_errors_and_throttling_are_retried() {
        for status in [500, 502, 503, 504, 408, 429] {
            assert!(
                matches!(refused("x", status, ""), Outcome::Retry(_)),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 409, 422] {
            assert!(
                matches!(refused("x", status, ""), Outcome::Fail(_)),
                "{status}"
            );
        }
        assert_eq!(
            describe(502, "<html>Bad gateway</html>"),
            "HTTP 502: <html>Bad gateway</html>"
        );
    }
}
