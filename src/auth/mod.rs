//! The OIDC edges: `/auth/login`, `/auth/callback`, `/auth/logout`, and the guard
//! that resolves who is calling on every request.

pub mod guard;
pub mod provider;
pub mod reauth;
mod sign_out;

use std::{future::Future, pin::Pin, sync::Arc};

use app::{
    auth::{SESSION_USER, SessionUser},
    db::{now_epoch, users},
    domain::{directory::sign_in::SignInRefused, identity},
    pages::auth::SignInProblem,
};
use axum::{
    Router,
    body::Body,
    extract::{Query, State},
    http::{Request, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::{AppState, security_headers::CspNonce};
use provider::{AuthorizationOptions, PendingAuthorization, ProviderError};

/// Session key of the sign-in under way.
const PENDING_LOGIN: &str = "pending_login";
/// A sign-in must come back from the provider within this many seconds.
const LOGIN_TTL_SECS: i64 = 600;
/// Session key of the sign-in's raw ID token, sent back to the provider as
/// `id_token_hint` at sign-out (OIDC RP-Initiated Logout §2). It lives in the
/// server-side session only, never in a cookie or a log line.
const ID_TOKEN_HINT: &str = "id_token_hint";

/// Renders a sign-in problem page through the Leptos app (same shell, right
/// status), its scripts carrying the response's CSP nonce.
pub type ProblemPage = Arc<
    dyn Fn(SignInProblem, CspNonce) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync,
>;

#[derive(Debug, Clone, serde::Serialize, Deserialize)]
struct PendingLogin {
    authorization: PendingAuthorization,
    next: String,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(sign_out::logout))
        .route("/auth/logout-everywhere", post(sign_out::logout_everywhere))
        .route("/auth/reauth/{challenge_id}", get(reauth::start))
}

#[derive(Deserialize)]
struct LoginParams {
    next: Option<String>,
}

/// Only a path on this site, or `/`. Browsers read a redirect target leniently:
/// they drop tabs and newlines, take `\` for `/`, and decode escapes in places,
/// so `/\t/evil.example`, `/\evil.example` or `/%2F/evil.example` can lead to
/// another site (an open redirect). Both the value as given and its
/// percent-decoded form must be a plain path that stays on this origin.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path) if is_local_path(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

fn is_local_path(raw: &str) -> bool {
    let decoded = percent_decode(raw);
    [raw, decoded.as_str()].iter().all(|path| {
        path.starts_with('/')
            && !path.starts_with("//")
            && !path.starts_with("/auth/")
            && !path.contains('\\')
            && !path.chars().any(char::is_control)
            && stays_on_this_origin(path)
    })
}

/// Resolved against an origin, the path must neither change scheme nor host.
fn stays_on_this_origin(path: &str) -> bool {
    let Ok(base) = url::Url::parse("http://countersign.invalid/") else {
        return false;
    };
    base.join(path).is_ok_and(|url| {
        url.scheme() == "http"
            && url.host_str() == Some("countersign.invalid")
            && url.port().is_none()
            && url.username().is_empty()
    })
}

/// `%XX` escapes decoded, anything that is not valid UTF-8 afterwards replaced.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn login(
    State(state): State<AppState>,
    nonce: CspNonce,
    session: Session,
    Query(params): Query<LoginParams>,
) -> Response {
    let Some(provider) = state.oidc.clone() else {
        tracing::warn!("sign-in attempted but OIDC_ISSUER_URL is not configured");
        return (state.problem_page)(SignInProblem::ProviderUnavailable, nonce).await;
    };
    let (url, authorization) = match provider
        .authorization_request(&AuthorizationOptions::default())
        .await
    {
        Ok(request) => request,
        Err(err) => return provider_failed(&state, err, nonce).await,
    };
    let pending = PendingLogin {
        authorization,
        next: local_path(params.next.as_deref()),
    };
    if let Err(err) = session.insert(PENDING_LOGIN, pending).await {
        tracing::error!(error = %err, "cannot store the pending sign-in");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Redirect::to(url.as_str()).into_response()
}

#[derive(Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    nonce: CspNonce,
    session: Session,
    Query(params): Query<CallbackParams>,
) -> Response {
    // A re-authentication under way whose state matches takes this answer.
    let pending_reauth: Option<reauth::PendingReauth> =
        session.get(reauth::PENDING_REAUTH).await.ok().flatten();
    if let Some(pending) = pending_reauth {
        let sent = params.state.as_deref().unwrap_or_default();
        let matches: bool = sent
            .as_bytes()
            .ct_eq(pending.authorization.state.as_bytes())
            .into();
        if matches {
            // Single use, whatever happens next.
            let _ = session
                .remove::<reauth::PendingReauth>(reauth::PENDING_REAUTH)
                .await;
            return reauth::finish(&state, &session, pending, params.code, params.error).await;
        }
    }
    // Single use: whatever happens next, this pending sign-in is spent.
    let pending: Option<PendingLogin> = session.remove(PENDING_LOGIN).await.ok().flatten();
    let problem = |p| (state.problem_page)(p, nonce.clone());
    if let Some(error) = params.error.as_deref() {
        tracing::info!(error, "the provider ended the sign-in");
        let _ = session.flush().await;
        return problem(match error {
            "access_denied" => SignInProblem::Cancelled,
            _ => SignInProblem::Rejected,
        })
        .await;
    }
    let (Some(provider), Some(pending)) = (state.oidc.clone(), pending) else {
        return problem(SignInProblem::Expired).await;
    };
    let sent_state = params.state.unwrap_or_default();
    let state_matches: bool = sent_state
        .as_bytes()
        .ct_eq(pending.authorization.state.as_bytes())
        .into();
    if !state_matches {
        tracing::warn!("sign-in refused: state does not match the pending sign-in");
        return problem(SignInProblem::Rejected).await;
    }
    if now_epoch() - pending.authorization.started_at > LOGIN_TTL_SECS {
        return problem(SignInProblem::Expired).await;
    }
    let Some(code) = params.code else {
        return problem(SignInProblem::Rejected).await;
    };
    let token = match provider.redeem(code, &pending.authorization).await {
        Ok(token) => token,
        Err(err) => return provider_failed(&state, err, nonce).await,
    };
    let name = token
        .name
        .clone()
        .or_else(|| token.email.clone())
        .unwrap_or_else(|| token.subject.clone());
    let profile = users::SignInProfile {
        issuer: &token.issuer,
        subject: &token.subject,
        name: &name,
        email: token.email.as_deref(),
        login_name: token.preferred_username.as_deref(),
        groups: &token.groups,
    };
    let directory = &state.services.directory;
    let user =
        match identity::record_sign_in_with(&state.db, &profile, &state.roles, directory).await {
            Ok(user) => user,
            Err(SignInRefused::Failed(err)) => {
                tracing::error!(error = %err, "cannot record the signed-in user");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            Err(refused) => {
                tracing::warn!(reason = %refused, "sign-in refused");
                let _ = session.flush().await;
                return problem(match refused {
                    SignInRefused::NotInDirectory => SignInProblem::NotInDirectory,
                    SignInRefused::LinkConflict => SignInProblem::LinkConflict,
                    _ => SignInProblem::Disabled,
                })
                .await;
            }
        };
    // A new session id at sign-in: an id planted before it (session fixation) is worthless.
    let signed_in_at = now_epoch();
    let signed_in = SessionUser {
        user_id: user.id.clone(),
        signed_in_at,
        session_key: uuid::Uuid::new_v4().simple().to_string(),
        auth_time: token.auth_time.unwrap_or(signed_in_at),
    };
    if let Err(err) = async {
        session.cycle_id().await?;
        session.insert(SESSION_USER, signed_in).await?;
        session.insert(ID_TOKEN_HINT, &token.raw).await
    }
    .await
    {
        tracing::error!(error = %err, "cannot start the session");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    tracing::info!(user_id = %user.id, "signed in");
    Redirect::to(&pending.next).into_response()
}

async fn provider_failed(state: &AppState, err: ProviderError, nonce: CspNonce) -> Response {
    tracing::warn!(error = %err, "sign-in failed");
    let problem = match err {
        ProviderError::Unavailable(_) => SignInProblem::ProviderUnavailable,
        ProviderError::Rejected(_) => SignInProblem::Rejected,
    };
    (state.problem_page)(problem, nonce).await
}

/// How long the app's render of a sign-in problem page may take before the
/// plain page answers instead.
const PROBLEM_PAGE_RENDER_BOUND: std::time::Duration = std::time::Duration::from_secs(8);

/// The sign-in problem page without the app around it: its title, its
/// explanation (fixed texts, no input) and the way back to sign-in.
fn plain_problem_page(problem: SignInProblem) -> Response {
    let status = StatusCode::from_u16(problem.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Countersign</title></head><body><main id=\"main\">\
         <h1>{title}</h1><p role=\"alert\">{explanation}</p>\
         <p><a href=\"/auth/login\">Sign in</a></p></main></body></html>",
        title = problem.title(),
        explanation = problem.explanation(),
    );
    (status, axum::response::Html(html)).into_response()
}

/// Builds the renderer of sign-in problem pages from the Leptos app.
pub fn problem_page_renderer(
    context: impl Fn() + Clone + Send + Sync + 'static,
    options: leptos::prelude::LeptosOptions,
) -> ProblemPage {
    let render = leptos_axum::render_app_to_stream_with_context(context, move || {
        app::shell(options.clone())
    });
    Arc::new(move |problem: SignInProblem, nonce: CspNonce| {
        let render = render.clone();
        Box::pin(async move {
            let mut request = Request::get(format!("/auth/problem/{}", problem.slug()))
                .body(Body::empty())
                .unwrap_or_default();
            request.extensions_mut().insert(nonce);
            // The problem page must always answer: a render that has not
            // produced its response in time gives way to the same words in a
            // plain page (seen rarely under load in the hostile-token tests,
            // where the callback then never answered).
            match tokio::time::timeout(PROBLEM_PAGE_RENDER_BOUND, render(request)).await {
                Ok(response) => response,
                Err(_) => {
                    tracing::warn!(
                        problem = problem.slug(),
                        "the sign-in problem page did not render in time; answering the plain page"
                    );
                    plain_problem_page(problem)
                }
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::{SignInProblem, local_path, plain_problem_page};

    #[tokio::test]
    async fn the_plain_problem_page_says_what_the_apps_page_says() {
        let response = plain_problem_page(SignInProblem::Rejected);
        assert_eq!(response.status(), axum::http::StatusCode::BAD_REQUEST);
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("the page's body");
        let page = String::from_utf8_lossy(&body);
        assert!(page.contains("<h1>Sign-in refused</h1>"), "{page}");
        assert!(
            page.contains(SignInProblem::Rejected.explanation()),
            "{page}"
        );
        assert!(page.contains("href=\"/auth/login\""), "{page}");
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path(Some("/inbox?page=2")), "/inbox?page=2");
        assert_eq!(
            local_path(Some("/catalog?search=a%20b")),
            "/catalog?search=a%20b"
        );
        assert_eq!(local_path(Some("/auth/logout")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn next_that_a_browser_would_take_to_another_site_goes_home() {
        // As the query parameter arrives after one round of decoding, and
        // still percent-encoded once more.
        let bypasses = [
            "//evil.example/",
            "/\\evil.example",
            "\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "\t//evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0D/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "%2F%2Fevil.example",
            "/%5C/evil.example",
            "/%5cevil.example",
            "https://evil.example/",
            "https:evil.example",
            "javascript:alert(1)",
            "javascript%3Aalert(1)",
            "/%00/evil.example",
            "/auth%2Flogout",
            "evil.example",
            "",
        ];
        for next in bypasses {
            assert_eq!(local_path(Some(next)), "/", "{next:?} must not be followed");
        }
    }
}
