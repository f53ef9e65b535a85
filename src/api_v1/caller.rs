//! Who is calling: the owner of the bearer token, allowed to make this call.
//! Each handler names the scope it needs in its signature (`ApiCaller<scope::Admin>`),
//! so a route cannot forget to check it; `domain::tokens::authorize` decides.

use std::marker::PhantomData;

use app::{
    domain::{self, DomainError, tokens::ScopeRefusal},
    types::CurrentUser,
};
use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};

use super::problem::{Problem, ProblemType};
use crate::AppState;

/// The scopes as types, one per [`app::types::Scope`]: what a handler needs.
pub mod scope {
    use app::types::Scope;

    /// A scope a handler can require.
    pub trait Needed: Send + Sync + 'static {
        const SCOPE: Scope;
    }

    macro_rules! scopes {
        ($($name:ident),+) => {$(
            pub struct $name;
            impl Needed for $name {
                const SCOPE: Scope = Scope::$name;
            }
        )+};
    }

    scopes!(Read, Request, Approve, Admin, Audit);
}

/// The owner of the bearer token, whose token may make a call that needs `S`.
/// Its "session" for re-authentication purposes is the token itself, which can
/// never hold a verified re-authentication.
pub struct ApiCaller<S> {
    pub user: CurrentUser,
    pub session_key: String,
    needs: PhantomData<S>,
}

impl<S: scope::Needed> FromRequestParts<AppState> for ApiCaller<S> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let unauthenticated = Problem::invalid_token;
        let token = bearer(&parts.headers).ok_or_else(unauthenticated)?;
        let row = domain::tokens::authenticate(&state.db, token)
            .await?
            .ok_or_else(unauthenticated)?;
        let user = app::db::users::find(&state.db, &row.user_id)
            .await
            .map_err(DomainError::from)?
            .filter(|u| u.disabled_at.is_none())
            .ok_or_else(unauthenticated)?;
        let user = CurrentUser {
            roles: state.roles.roles_for(&user.groups),
            id: user.id,
            name: user.name,
            email: user.email,
            groups: Some(user.groups),
        };
        let granted = row.scopes().map_err(DomainError::from)?;
        domain::tokens::authorize(&user, &granted, S::SCOPE).map_err(|refusal| {
            let kind = match refusal {
                ScopeRefusal::NotGranted(_) => ProblemType::InsufficientScope,
                ScopeRefusal::RoleLost(_) => ProblemType::Forbidden,
            };
            Problem::new(kind, refusal.to_string())
        })?;
        Ok(ApiCaller {
            user,
            session_key: format!("token:{}", row.id),
            needs: PhantomData,
        })
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}
