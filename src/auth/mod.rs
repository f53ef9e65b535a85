//! The OIDC edges: `/auth/login`, `/auth/callback`, `/auth/logout`, and the guard
//! that resolves who is calling on every request.

pub mod guard;
pub mod provider;
pub mod reauth;

use std::{future::Future, pin::Pin, sync::Arc};

use app::{
    auth::{SESSION_USER, SessionUser},
    db::{now_epoch, users},
    domain::identity,
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

use crate::AppState;
use provider::{AuthorizationOptions, PendingAuthorization, Provider, ProviderError};

/// Session key of the sign-in under way.
const PENDING_LOGIN: &str = "pending_login";
/// A sign-in must come back from the provider within this many seconds.
const LOGIN_TTL_SECS: i64 = 600;

/// Renders a sign-in problem page through the Leptos app (same shell, right status).
pub type ProblemPage =
    Arc<dyn Fn(SignInProblem) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync>;

#[derive(Debug, Clone, serde::Serialize, Deserialize)]
struct PendingLogin {
    authorization: PendingAuthorization,
    next: String,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
        .route("/auth/reauth/{challenge_id}", get(reauth::start))
}

#[derive(Deserialize)]
struct LoginParams {
    next: Option<String>,
}

/// Only a path on this site: never `//host` or `/\host`, which browsers take as
/// another site (an open redirect).
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.starts_with("/auth/") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

async fn login(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<LoginParams>,
) -> Response {
    let Some(provider) = state.oidc.clone() else {
        tracing::warn!("sign-in attempted but OIDC_ISSUER_URL is not configured");
        return (state.problem_page)(SignInProblem::ProviderUnavailable).await;
    };
    let (url, authorization) = match provider
        .authorization_request(&AuthorizationOptions::default())
        .await
    {
        Ok(request) => request,
        Err(err) => return provider_failed(&state, err).await,
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
    let problem = |p| (state.problem_page)(p);
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
        Err(err) => return provider_failed(&state, err).await,
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
        groups: &token.groups,
    };
    let user = match identity::record_sign_in(&state.db, &profile, &state.roles).await {
        Ok(user) => user,
        Err(app::domain::DomainError::Forbidden(why)) => {
            tracing::warn!(reason = why, "sign-in refused");
            let _ = session.flush().await;
            return (state.problem_page)(SignInProblem::Disabled).await;
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot record the signed-in user");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
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
        session.insert(SESSION_USER, signed_in).await
    }
    .await
    {
        tracing::error!(error = %err, "cannot start the session");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    tracing::info!(user_id = %user.id, "signed in");
    Redirect::to(&pending.next).into_response()
}

async fn provider_failed(state: &AppState, err: ProviderError) -> Response {
    tracing::warn!(error = %err, "sign-in failed");
    let problem = match err {
        ProviderError::Unavailable(_) => SignInProblem::ProviderUnavailable,
        ProviderError::Rejected(_) => SignInProblem::Rejected,
    };
    (state.problem_page)(problem).await
}

/// Ends the session here (server-side: the old cookie is worthless), then at the
/// provider when it offers RP-initiated logout.
async fn logout(State(state): State<AppState>, session: Session) -> Response {
    app::auth::record_sign_out(&session, &state.db).await;
    if let Err(err) = session.flush().await {
        tracing::error!(error = %err, "cannot end the session");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let signed_out = state
        .public_url
        .join("/auth/signed-out")
        .map(|u| u.to_string())
        .unwrap_or_else(|_| "/auth/signed-out".into());
    let end_session = match &state.oidc {
        Some(provider) => end_session_url(provider, &signed_out).await,
        None => None,
    };
    Redirect::to(end_session.as_deref().unwrap_or("/auth/signed-out")).into_response()
}

async fn end_session_url(provider: &Provider, signed_out: &str) -> Option<String> {
    let metadata = provider.cached_metadata().await?;
    let endpoint = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()?;
    let redirect = openidconnect::PostLogoutRedirectUrl::new(signed_out.to_owned()).ok()?;
    let url = openidconnect::LogoutRequest::from(endpoint)
        .set_client_id(openidconnect::ClientId::new(
            provider.config().client_id.clone(),
        ))
        .set_post_logout_redirect_uri(redirect)
        .http_get_url();
    Some(url.to_string())
}

/// Builds the renderer of sign-in problem pages from the Leptos app.
pub fn problem_page_renderer(
    context: impl Fn() + Clone + Send + Sync + 'static,
    options: leptos::prelude::LeptosOptions,
) -> ProblemPage {
    let render = leptos_axum::render_app_to_stream_with_context(context, move || {
        app::shell(options.clone())
    });
    Arc::new(move |problem: SignInProblem| {
        let render = render.clone();
        Box::pin(async move {
            let request = Request::get(format!("/auth/problem/{}", problem.slug()))
                .body(Body::empty())
                .unwrap_or_default();
            render(request).await
        })
    })
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path(Some("/inbox?page=2")), "/inbox?page=2");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/auth/logout")), "/");
        assert_eq!(local_path(None), "/");
    }
}
