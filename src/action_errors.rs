//! The no-JavaScript error round trip of server functions: when a plain form
//! post fails, leptos_axum redirects back with `?__err=<base64 JSON of the
//! error>&__path=<server function>`, and the page shows that error. Anybody can
//! craft such a link, so the error is only ever one of a closed set: errors
//! without text pass, errors with text become one fixed message, and an error
//! that would take the browser somewhere (`ReauthRequired`) is dropped. A link
//! carrying anything else is redirected to its sanitised form first, so the
//! server's render and the browser's hydration read the same, harmless value.
//!
//! The post itself is answered `303 See Other` (its error's own status would
//! show the browser raw JSON). A form post whose action must be e-signed is
//! the one error that does take the browser somewhere: the server function's
//! own answer (never a link) goes straight on to the re-authentication at the
//! provider, as the page does with JavaScript (`ReauthHandOff`).

use app::types::AppError;
use axum::{
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header::LOCATION},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE};
use leptos::server_fn::error::FromServerFnError;

const ERROR_PARAM: &str = "__err";
const PATH_PARAM: &str = "__path";

/// What a form shows for any error that carried text of its own.
pub const GENERIC_FORM_ERROR: &str = "That did not work. Check what you entered and try again; with JavaScript on, the page says more.";

pub async fn only_known_form_errors(request: Request, next: Next) -> Response {
    if request.method() == Method::POST {
        let response = next.run(request).await;
        return plain_form_answer(response);
    }
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let Some(query) = request.uri().query() else {
        return next.run(request).await;
    };
    match sanitised_query(query) {
        None => next.run(request).await,
        Some(query) => {
            let path = request.uri().path();
            let target = if query.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{query}")
            };
            Redirect::to(&target).into_response()
        }
    }
}

/// A plain form's post that failed: server_fn points `Location` back to the
/// form with `__err`, but the domain's status (400, 401, 409…) would make the
/// browser show the error's JSON instead of following it; answer `303 See
/// Other`. "Sign in again first" (`ReauthRequired`) goes on to the
/// re-authentication of that challenge instead.
fn plain_form_answer(mut response: Response) -> Response {
    let Some(location) = response
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned)
    else {
        return response;
    };
    if !location_carries_error(&location) {
        return response;
    }
    if let Some(challenge) = challenge_in_location(&location)
        && let Ok(target) = HeaderValue::from_str(&format!("/auth/reauth/{challenge}"))
    {
        response.headers_mut().insert(LOCATION, target);
    }
    *response.status_mut() = StatusCode::SEE_OTHER;
    response
}

fn location_carries_error(location: &str) -> bool {
    location.split_once('?').is_some_and(|(_, query)| {
        url::form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == ERROR_PARAM)
    })
}

/// The challenge of a `ReauthRequired` carried by a redirect's `Location`
/// (percent-encoded: it becomes one path segment and nothing else).
fn challenge_in_location(location: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    let sent = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == ERROR_PARAM)?
        .1
        .into_owned();
    match decode(&sent)? {
        AppError::ReauthRequired { challenge_id } => {
            Some(url::form_urlencoded::byte_serialize(challenge_id.as_bytes()).collect())
        }
        _ => None,
    }
}

/// `None` when the query is fine as it is; otherwise the query to redirect to.
fn sanitised_query(query: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let sent = pairs.iter().find(|(k, _)| k == ERROR_PARAM)?.1.clone();
    let allowed = decode(&sent).and_then(closed_set).map(|e| encode(&e));
    if allowed.as_deref() == Some(sent.as_str()) {
        return None;
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in &pairs {
        match (key.as_str(), &allowed) {
            (ERROR_PARAM, Some(allowed)) => out.append_pair(key, allowed),
            (ERROR_PARAM | PATH_PARAM, None) => &mut out,
            _ => out.append_pair(key, value),
        };
    }
    Some(out.finish())
}

fn decode(value: &str) -> Option<AppError> {
    let bytes = URL_SAFE.decode(value).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// As leptos_axum encodes it (`ServerFnUrlError::to_url`).
fn encode(error: &AppError) -> String {
    URL_SAFE.encode(error.ser())
}

fn closed_set(error: AppError) -> Option<AppError> {
    match error {
        AppError::Unauthenticated
        | AppError::Forbidden
        | AppError::NotFound
        | AppError::Internal => Some(error),
        AppError::Invalid(_)
        | AppError::Field { .. }
        | AppError::Conflict(_)
        | AppError::Transport(_) => Some(AppError::Invalid(GENERIC_FORM_ERROR.to_owned())),
        AppError::ReauthRequired { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query_with(error: &AppError) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("tab", "x")
            .append_pair(PATH_PARAM, "/api/inbox/decide")
            .append_pair(ERROR_PARAM, &encode(error));
        q.finish()
    }

    #[test]
    fn attacker_text_becomes_the_generic_message() {
        let crafted = query_with(&AppError::Invalid("Call +1 555 0100 now".into()));
        let sanitised = sanitised_query(&crafted).expect("redirected");
        assert_eq!(
            sanitised,
            query_with(&AppError::Invalid(GENERIC_FORM_ERROR.into()))
        );
        assert_eq!(sanitised_query(&sanitised), None, "stable once sanitised");
    }

    #[test]
    fn errors_without_text_pass_and_navigation_is_dropped() {
        assert_eq!(sanitised_query(&query_with(&AppError::Forbidden)), None);
        let reauth = query_with(&AppError::ReauthRequired {
            challenge_id: "c".into(),
        });
        assert_eq!(sanitised_query(&reauth).as_deref(), Some("tab=x"));
        assert_eq!(sanitised_query("__err=%%%").as_deref(), Some(""));
        assert_eq!(sanitised_query("page=2"), None);
    }

    #[test]
    fn a_form_post_needing_a_signature_goes_to_its_reauthentication() {
        let location = format!(
            "http://localhost/inbox?{}",
            query_with(&AppError::ReauthRequired {
                challenge_id: "0190-ab/../x".into(),
            })
        );
        assert_eq!(
            challenge_in_location(&location).as_deref(),
            Some("0190-ab%2F..%2Fx"),
            "one path segment, whatever the id holds"
        );
        let other = format!("/inbox?{}", query_with(&AppError::Forbidden));
        assert_eq!(challenge_in_location(&other), None);
        assert_eq!(challenge_in_location("/inbox"), None);
        assert!(location_carries_error(&other));
        assert!(!location_carries_error("/inbox?done=approve"));
    }
}
