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
        SignedAction::TokenCreate { name, days } => {
            let (_, token) =
                tokens::create(&s.db, admin, (&name, days), s.token_max_days, proof).await?;
            Ok(SignedOutcome {
                message: "Signed and created. Copy your token now: it is shown only once.".into(),
                secret: Some(token),
            })
        }
        SignedAction::DirectoryTokenCreate { name, days } => {
            let (_, token) = directory::tokens::create(&s.db, admin, (&name, days), proof).await?;
            Ok(SignedOutcome {
                message: "Signed and created. Copy the directory token now: it is shown only \
                          once."
                    .into(),
                secret: Some(token),
            })
        }
        SignedAction::ProviderTest { .. } => Err(AppError::Invalid(
            "The provider test completes at the provider; nothing to do here.".into(),
        )),
    }
}
