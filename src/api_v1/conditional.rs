//! Optimistic concurrency over HTTP (RFC 9110 §13.1.1): a resource's `ETag` is
//! its version, strong and quoted (`"7"`); an update names the version it was
//! made from in `If-Match`, and a stale one changes nothing (412).

use axum::http::{HeaderMap, HeaderValue, header};

use super::problem::{Problem, ProblemType};

/// The `ETag` of `version`.
pub fn etag(version: i64) -> HeaderValue {
    // Digits and quotes only: always a valid header value.
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The version `If-Match` names, if the request sent one: one entity tag as
/// [`etag`] writes it (`W/` accepted, as a weak copy of the same tag). `*` and
/// lists name no single version and are refused, so that nothing is replaced
/// without saying what it replaces.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let refused = || {
        Problem::new(
            ProblemType::PreconditionRequired,
            "If-Match must name one version, as the ETag of the last GET: If-Match: \"7\".",
        )
    };
    let text = value.to_str().map_err(|_| refused())?.trim();
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let digits = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(refused)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused());
    }
    digits.parse().map(Some).map_err(|_| refused())
}

/// The answer to an update made from `sent` while the resource is at `current`.
pub fn stale(sent: i64, current: i64) -> Problem {
    Problem::new(
        ProblemType::PreconditionFailed,
        format!(
            "If-Match names version {sent}, but it is at version {current} now: GET it again, \
             make your change to what it holds, and send that version."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_quoted_version_is_read_weak_or_strong() {
        assert_eq!(if_match(&with("\"7\"")).unwrap(), Some(7));
        assert_eq!(if_match(&with("W/\"12\"")).unwrap(), Some(12));
        assert_eq!(if_match(&HeaderMap::new()).unwrap(), None);
        assert_eq!(etag(7), "\"7\"");
    }

    #[test]
    fn anything_that_names_no_single_version_is_refused_with_428() {
        for value in [
            "*",
            "7",
            "\"7\", \"8\"",
            "\"\"",
            "\"-1\"",
            "\"seven\"",
            "\"99999999999999999999\"",
        ] {
            let problem = if_match(&with(value)).expect_err(value);
            assert_eq!(problem.kind, ProblemType::PreconditionRequired, "{value}");
        }
    }
}
