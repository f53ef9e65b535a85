//! The signed-in session (server only): what sign-in stores in it, how a request
//! finds out who is calling, and the helpers server functions use to insist.
//!
//! The router's guard (`src/auth/guard.rs`) resolves the session once per request
//! and puts the [`CurrentUser`] in the request's extensions; server functions read
//! it from there through [`require_user`] / [`require_role`], so none can forget.

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::{
    db::{Db, DbError, now_epoch, users},
    domain::identity::RoleMap,
    types::{AppError, CurrentUser, Role},
};

/// Session key of [`SessionUser`].
pub const SESSION_USER: &str = "signed_in";

/// What a signed-in session holds: who, and since when (for the absolute limit).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionUser {
    pub user_id: String,
    pub signed_in_at: i64,
    /// A random value of this sign-in: re-authentication challenges are bound to
    /// it, so a proof obtained in one session is worthless in another.
    pub session_key: String,
    /// When the provider says this sign-in authenticated (`auth_time`, or the
    /// moment it completed here when the provider gave none): every
    /// re-authentication of this sign-in must be strictly later.
    #[serde(default)]
    pub auth_time: i64,
}

/// The [`SessionUser::session_key`] of the caller, in the request's extensions.
#[derive(Debug, Clone)]
pub struct SessionKey(pub String);

/// How long a sign-in lasts at most, whatever the activity, and how long it
/// lasts without any.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub absolute_secs: i64,
    pub idle_secs: i64,
}

impl SessionLimits {
    /// How often a session in use has its idle window pushed back: a write every
    /// few minutes of activity, not one per request, and always well inside the
    /// window so that somebody at work is never signed out for being idle.
    pub fn touch_every_secs(&self) -> i64 {
        (self.idle_secs / 4).clamp(1, 300)
    }
}

/// Session key of the moment the session's idle window was last pushed back.
const TOUCHED_AT: &str = "touched_at";

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("session store: {0}")]
    Store(#[from] tower_sessions::session::Error),
}

/// The person signed in on this session, or `None`. A session past its absolute
/// limit, or whose user no longer exists, is ended here.
pub async fn signed_in_user(
    session: &Session,
    db: &Db,
    roles: &RoleMap,
    limits: SessionLimits,
) -> Result<Option<(CurrentUser, SessionKey)>, SessionError> {
    let Some(signed_in) = session.get::<SessionUser>(SESSION_USER).await? else {
        return Ok(None);
    };
    if now_epoch() - signed_in.signed_in_at > limits.absolute_secs {
        session.flush().await?;
        return Ok(None);
    }
    let Some(user) = users::find(db, &signed_in.user_id)
        .await?
        .filter(|u| u.disabled_at.is_none())
    else {
        session.flush().await?;
        return Ok(None);
    };
    keep_alive(session, limits).await?;
    Ok(Some((
        CurrentUser {
            roles: roles.roles_for(&user.groups),
            id: user.id,
            name: user.name,
            email: user.email,
            groups: Some(user.groups),
        },
        SessionKey(signed_in.session_key),
    )))
}

/// Pushes the idle window of a session in use back: changing the session makes
/// the session layer store it with a new expiry and send the cookie again.
async fn keep_alive(session: &Session, limits: SessionLimits) -> Result<(), SessionError> {
    let now = now_epoch();
    let touched = session.get::<i64>(TOUCHED_AT).await?.unwrap_or(0);
    if now - touched >= limits.touch_every_secs() {
        session.insert(TOUCHED_AT, now).await?;
    }
    Ok(())
}

/// Audits the sign-out of the person signed in on `session`; call it before the
/// session is ended. Failing to record it is logged and never keeps anybody
/// signed in.
pub async fn record_sign_out(session: &Session, db: &Db) {
    match session.get::<SessionUser>(SESSION_USER).await {
        Ok(Some(signed_in)) => {
            if let Err(err) = crate::domain::identity::record_sign_out(db, &signed_in.user_id).await
            {
                tracing::error!(error = %err, "cannot record the sign-out");
            }
        }
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %err, "sign-out: cannot read the session"),
    }
}

/// The caller of this server function, as the router's guard found them.
pub fn require_user() -> Result<CurrentUser, AppError> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CurrentUser>().cloned())
        .ok_or(AppError::Unauthenticated)
}

/// The caller and the key of their sign-in (for re-authentication).
pub fn require_session() -> Result<(CurrentUser, String), AppError> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()
        .ok_or(AppError::Unauthenticated)?;
    let user = parts.extensions.get::<CurrentUser>().cloned();
    let key = parts.extensions.get::<SessionKey>().cloned();
    match (user, key) {
        (Some(user), Some(key)) => Ok((user, key.0)),
        _ => Err(AppError::Unauthenticated),
    }
}

/// The caller, who must hold one of `roles` (by their groups as stored now);
/// otherwise the answer is 403.
pub fn require_role(roles: &[Role]) -> Result<CurrentUser, AppError> {
    let user = require_user()?;
    if roles.iter().any(|r| user.has(*r)) {
        Ok(user)
    } else {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(axum::http::StatusCode::FORBIDDEN);
        }
        Err(AppError::Forbidden)
    }
}
