//! Completing an action the person has just e-signed by re-authenticating: the
//! action stored with the challenge runs again, this time with the challenge as
//! its proof (consumed once, in the action's own transaction).

use leptos::prelude::*;

use crate::types::AppError;

/// What completing a signed action did, for the page to say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedOutcome {
    pub message: String,
    /// A secret to show once (a new personal access token or directory token).
    pub secret: Option<String>,
}

impl SignedOutcome {
    #[cfg(feature = "ssr")]
    fn said(message: impl Into<String>) -> SignedOutcome {
        SignedOutcome {
            message: message.into(),
            secret: None,
        }
    }
}

/// Is the action signed by this challenge still to be completed (`false`: it
/// was)? Read-only: what the page shows before anything is posted, so a plain
/// form's completion comes back to "done", not to the button again.
#[server(endpoint = "signed/pending")]
pub async fn signed_action_pending(challenge_id: String) -> Result<bool, AppError> {
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    Ok(
        crate::domain::reauth::signed_action(&s.db, &user.id, &key, &challenge_id)
            .await?
            .is_some(),
    )
}

/// Session key of a secret a plain form's completion made (a new token): the
/// post is answered with a redirect, so the page it lands on shows the secret
/// from here, once.
#[cfg(feature = "ssr")]
const SHOWN_ONCE: &str = "shown_once";

/// The secret made by completing the signed action `challenge_id` from a
/// plain form (no WebAssembly), taken out of the session: the page that
/// follows the post shows it, and no later page can.
#[server(endpoint = "signed/secret")]
pub async fn take_signed_secret(challenge_id: String) -> Result<Option<String>, AppError> {
    crate::auth::require_session()?;
    let session = session()?;
    let stored = session
        .get::<(String, String)>(SHOWN_ONCE)
        .await
        .map_err(|_| AppError::Internal)?;
    match stored {
        Some((challenge, secret)) if challenge == challenge_id => {
            session
                .remove::<(String, String)>(SHOWN_ONCE)
                .await
                .map_err(|_| AppError::Internal)?;
            Ok(Some(secret))
        }
        _ => Ok(None),
    }
}

/// The caller's session (the session layer puts it in the request).
#[cfg(feature = "ssr")]
fn session() -> Result<tower_sessions::Session, AppError> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<tower_sessions::Session>().cloned())
        .ok_or(AppError::Unauthenticated)
}

/// A secret the completion made: a plain form's post is redirected back to
/// its page (the answer's body is lost), so the secret waits in the session
/// for that page ([`take_signed_secret`]).
#[cfg(feature = "ssr")]
async fn keep_for_plain_form(
    challenge_id: &str,
    outcome: SignedOutcome,
) -> Result<SignedOutcome, AppError> {
    if let Some(secret) = &outcome.secret
        && super::plain_form_post()
    {
        session()?
            .insert(SHOWN_ONCE, (challenge_id, secret))
            .await
            .map_err(|_| AppError::Internal)?;
    }
    Ok(outcome)
}

#[server(endpoint = "signed/complete")]
pub async fn complete_signed_action(challenge_id: String) -> Result<SignedOutcome, AppError> {
    use crate::domain::{
        approvals::{self, Caller, Channel, DecideCommand},
        directory,
        items::{self, ReauthRule},
        org, reauth,
        reauth::SignedAction,
        tokens,
    };
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let Some(action) = reauth::signed_action(&s.db, &user.id, &key, &challenge_id).await? else {
        return Ok(SignedOutcome::said(
            "Already done: this signed action was completed.",
        ));
    };
    let proof = Some(challenge_id.as_str());
    let admin = (&user, key.as_str());
    match action {
        SignedAction::Approval {
            tasks,
            decision,
            comment,
            ..
        } => {
            let caller = Caller {
                user: &user,
                session_key: &key,
                channel: Channel::Web,
            };
            let command = DecideCommand {
                tasks: &tasks,
                decision,
                comment: &comment,
                proof,
            };
            let done = approvals::decide(&s.db, &caller, &command, &s.fallback).await?;
            let n = done.len();
            Ok(SignedOutcome::said(format!(
                "Signed and approved: {n} task{}.",
                if n == 1 { "" } else { "s" }
            )))
        }
        SignedAction::OrgConfig { config, version } => {
            org::save(
                &s.db,
                &user,
                &key,
                &config,
                version,
                s.provider_configured,
                proof,
                &s.fallback,
            )
            .await?;
            Ok(SignedOutcome::said(
                "Signed and saved: the settings are changed.",
            ))
        }
        SignedAction::ItemReauth {
            item_id,
            version,
            require,
            window_minutes,
        } => {
            let rule = ReauthRule {
                require,
                window_minutes,
            };
            items::set_reauth(&s.db, &user, &key, (&item_id, version), rule, proof).await?;
            Ok(SignedOutcome::said(
                "Signed and saved: the item's re-authentication rule is changed.",
            ))
        }
        SignedAction::ItemDetails {
            item_id,
            version,
            input,
        } => {
            items::update(&s.db, admin, (&item_id, version), &input, proof).await?;
            Ok(SignedOutcome::said(
                "Signed and saved: the item's details are changed.",
            ))
        }
        SignedAction::ItemSteps {
            item_id,
            version,
            steps,
        } => {
            let steps = (steps.as_slice(), &s.fallback.roles);
            items::set_steps(&s.db, admin, (&item_id, version), steps, proof).await?;
            Ok(SignedOutcome::said(
                "Signed and saved: the item's approval steps are changed.",
            ))
        }
        SignedAction::ItemProvisioning {
            item_id,
            version,
            target,
        } => {
            crate::domain::provisioning::target::save(
                &s.db,
                &s.provisioning,
                admin,
                (&item_id, version),
                &target,
                proof,
            )
            .await?;
            Ok(SignedOutcome::said(
                "Signed and saved: the item's provisioning target is changed.",
            ))
        }
        SignedAction::TokenCreate { name, days, scopes } => {
            let (_, token) = tokens::create(
                &s.db,
                admin,
                (&name, days, &scopes),
                s.token_max_days,
                proof,
            )
            .await?;
            let outcome = SignedOutcome {
                message: "Signed and created. Copy your token now: it is shown only once.".into(),
                secret: Some(token),
            };
            keep_for_plain_form(&challenge_id, outcome).await
        }
        SignedAction::DirectoryTokenCreate { name, days } => {
            let (_, token) = directory::tokens::create(&s.db, admin, (&name, days), proof).await?;
            let outcome = SignedOutcome {
                message: "Signed and created. Copy the directory token now: it is shown only \
                          once."
                    .into(),
                secret: Some(token),
            };
            keep_for_plain_form(&challenge_id, outcome).await
        }
        SignedAction::ProviderTest { .. } => Err(AppError::Invalid(
            "The provider test completes at the provider; nothing to do here.".into(),
        )),
    }
}
