//! Signing out: `/auth/logout` ends this session, `/auth/logout-everywhere`
//! every session and token of the person; both then end the sign-in at the
//! provider when it offers RP-initiated logout.

use app::{
    auth::{SESSION_USER, SessionUser},
    domain::identity,
};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use openidconnect::core::CoreIdToken;
use tower_sessions::Session;

use super::{ID_TOKEN_HINT, provider::Provider};
use crate::AppState;

/// Ends the session here (server-side: the old cookie is worthless), then at the
/// provider when it offers RP-initiated logout.
pub(super) async fn logout(State(state): State<AppState>, session: Session) -> Response {
    app::auth::record_sign_out(&session, &state.db).await;
    end_session(&state, &session).await
}

/// Signs the person out of every session they have (every browser, every
/// replica) and revokes all their personal access tokens, then ends this one.
pub(super) async fn logout_everywhere(State(state): State<AppState>, session: Session) -> Response {
    match session.get::<SessionUser>(SESSION_USER).await {
        Ok(Some(signed_in)) => {
            match identity::sign_out_everywhere(&state.db, &signed_in.user_id).await {
                Ok(ended) => tracing::info!(
                    user_id = %signed_in.user_id,
                    sessions = ended.sessions,
                    tokens = ended.tokens,
                    "signed out everywhere"
                ),
                Err(err) => {
                    tracing::error!(error = %err, "cannot sign out everywhere");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            }
        }
        Ok(None) => return Redirect::to("/").into_response(),
        Err(err) => {
            tracing::error!(error = %err, "sign-out everywhere: cannot read the session");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    end_session(&state, &session).await
}

/// Ends this session here, then sends the browser to end it at the provider.
async fn end_session(state: &AppState, session: &Session) -> Response {
    let id_token: Option<String> = session.get(ID_TOKEN_HINT).await.ok().flatten();
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
        Some(provider) => end_session_url(provider, &signed_out, id_token.as_deref()).await,
        None => None,
    };
    Redirect::to(end_session.as_deref().unwrap_or("/auth/signed-out")).into_response()
}

async fn end_session_url(
    provider: &Provider,
    signed_out: &str,
    id_token: Option<&str>,
) -> Option<String> {
    let metadata = provider.cached_metadata().await?;
    let endpoint = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()?;
    let redirect = openidconnect::PostLogoutRedirectUrl::new(signed_out.to_owned()).ok()?;
    let mut request = openidconnect::LogoutRequest::from(endpoint)
        .set_client_id(openidconnect::ClientId::new(
            provider.config().client_id.clone(),
        ))
        .set_post_logout_redirect_uri(redirect);
    // The provider then knows whose session to end, without asking.
    if let Some(token) = id_token.and_then(|t| t.parse::<CoreIdToken>().ok()) {
        request = request.set_id_token_hint(&token);
    }
    let url = request.http_get_url();
    Some(url.to_string())
}
