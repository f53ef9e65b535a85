//! `/auth/reauth/{challenge}`: sends a signed-in person to the provider to
//! authenticate again (`prompt=login`, `max_age=0`, a fresh nonce, state and PKCE,
//! `login_hint`), and judges what comes back on `/auth/callback`
//! (docs/reauthentication.md).

use app::{
    auth::{SESSION_USER, SessionKey, SessionUser},
    domain::{DomainError, reauth},
    types::CurrentUser,
};
use axum::{
    Extension,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::provider::{AuthorizationOptions, PendingAuthorization, ProviderError, VerifiedIdToken};
use crate::AppState;

/// Session key of the re-authentication under way.
pub const PENDING_REAUTH: &str = "pending_reauth";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingReauth {
    pub challenge_id: String,
    pub authorization: PendingAuthorization,
    pub return_to: String,
}

fn with_query(path: &str, key: &str, value: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{key}={value}")
}

pub async fn start(
    State(state): State<AppState>,
    nonce: crate::security_headers::CspNonce,
    session: Session,
    user: Option<Extension<CurrentUser>>,
    key: Option<Extension<SessionKey>>,
    Path(challenge_id): Path<String>,
) -> Response {
    let (Some(Extension(user)), Some(Extension(key))) = (user, key) else {
        return Redirect::to("/auth/login?next=/inbox").into_response();
    };
    let Some(provider) = state.oidc.clone() else {
        return (state.problem_page)(app::pages::auth::SignInProblem::ProviderUnavailable, nonce)
            .await;
    };
    let action = match reauth::open_challenge(&state.db, &user.id, &key.0, &challenge_id).await {
        Ok((_, action)) => action,
        Err(DomainError::Db(err)) => {
            tracing::error!(error = %err, "cannot read the challenge");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Err(_) => return Redirect::to("/inbox?reauth=expired").into_response(),
    };
    let return_to = action.return_path();
    let hint = app::db::users::find(&state.db, &user.id)
        .await
        .ok()
        .flatten()
        .map(|u| u.subject);
    let options = AuthorizationOptions {
        login_hint: hint,
        force_login: true,
    };
    let (url, authorization) = match provider.authorization_request(&options).await {
        Ok(request) => request,
        Err(err) => {
            tracing::warn!(error = %err, "re-authentication cannot start");
            return Redirect::to(&with_query(&return_to, "reauth", "unavailable")).into_response();
        }
    };
    let pending = PendingReauth {
        challenge_id,
        authorization,
        return_to,
    };
    if let Err(err) = session.insert(PENDING_REAUTH, pending).await {
        tracing::error!(error = %err, "cannot store the pending re-authentication");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Redirect::to(url.as_str()).into_response()
}

/// The provider's answer to a re-authentication (state already matched).
pub async fn finish(
    state: &AppState,
    session: &Session,
    pending: PendingReauth,
    code: Option<String>,
    error: Option<String>,
) -> Response {
    let back = |outcome: &'static str| {
        state.metrics.reauth_outcome(outcome);
        Redirect::to(&with_query(&pending.return_to, "reauth", outcome)).into_response()
    };
    if let Some(error) = error {
        tracing::info!(error, "the provider ended the re-authentication");
        return back(if error == "access_denied" {
            "cancelled"
        } else {
            "refused"
        });
    }
    let signed_in = match session.get::<SessionUser>(SESSION_USER).await {
        Ok(Some(signed_in)) => signed_in,
        _ => return Redirect::to("/auth/login").into_response(),
    };
    let (Some(provider), Some(code)) = (state.oidc.clone(), code) else {
        return back("refused");
    };
    let token: VerifiedIdToken = match provider.redeem(code, &pending.authorization).await {
        Ok(token) => token,
        Err(ProviderError::Unavailable(err)) => {
            tracing::warn!(error = %err, "re-authentication: provider unavailable");
            return back("unavailable");
        }
        Err(ProviderError::Rejected(err)) => {
            tracing::warn!(error = %err, "re-authentication: ID token refused");
            return back("refused");
        }
    };
    let signing_key = match (&token.kid, provider.cached_metadata().await) {
        (Some(kid), Some(metadata)) => metadata
            .jwks()
            .keys()
            .iter()
            .find(|key| {
                openidconnect::JsonWebKey::key_id(*key).map(|id| id.as_str()) == Some(kid.as_str())
            })
            .and_then(|key| serde_json::to_value(key).ok()),
        _ => None,
    };
    let validated = reauth::ValidatedToken {
        signing_key,
        issuer: token.issuer,
        subject: token.subject,
        name: token.name,
        auth_time: token.auth_time,
        acr: token.acr,
        amr: token.amr,
        kid: token.kid,
        raw: token.raw,
    };
    let freshness = reauth::Freshness {
        signed_in_auth_time: signed_in.auth_time,
        skew_secs: state.reauth_skew_secs,
    };
    let person = (signed_in.user_id.as_str(), signed_in.session_key.as_str());
    match reauth::verify(
        &state.db,
        person,
        &pending.challenge_id,
        &validated,
        freshness,
    )
    .await
    {
        Ok((action, _)) => {
            // A fresh authentication: a fresh session id too.
            if let Err(err) = session.cycle_id().await {
                tracing::error!(error = %err, "cannot rotate the session id");
            }
            tracing::info!(challenge = %pending.challenge_id, "re-authentication verified");
            if action.purpose() == reauth::Purpose::ProviderTest {
                back("tested")
            } else {
                state.metrics.reauth_outcome("verified");
                Redirect::to(&with_query(
                    &pending.return_to,
                    "signed",
                    &pending.challenge_id,
                ))
                .into_response()
            }
        }
        Err(DomainError::ReauthRefused(why)) => {
            tracing::warn!(challenge = %pending.challenge_id, reason = %why, "re-authentication refused");
            back(why.outcome())
        }
        Err(err) => {
            tracing::error!(error = %err, "re-authentication failed");
            back("refused")
        }
    }
}
