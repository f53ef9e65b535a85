//! Completing an action the person has just e-signed by re-authenticating: the
//! action stored with the challenge runs again, this time with the challenge as
//! its proof (consumed once, in the action's own transaction).

use leptos::prelude::*;

use crate::types::AppError;

/// What completing a signed action did, for the page to say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedOutcome {
    pub message: String,
}

#[server(endpoint = "signed/complete")]
pub async fn complete_signed_action(challenge_id: String) -> Result<SignedOutcome, AppError> {
    use crate::{
        domain::{approvals, items, org, reauth},
        types::{AccessRequestConfig, Decision},
    };
    let (user, key) = crate::auth::require_session()?;
    let s = crate::auth::services()?;
    let (_, action) = reauth::signed_action(&s.db, &user.id, &key, &challenge_id).await?;
    let proof = Some(challenge_id.as_str());
    let bad = || AppError::Invalid("This signed action cannot be completed.".into());
    match action["kind"].as_str() {
        Some("approval") => {
            let ids: Vec<String> =
                serde_json::from_value(action["tasks"].clone()).map_err(|_| bad())?;
            let decision: Decision =
                serde_json::from_value(action["decision"].clone()).map_err(|_| bad())?;
            let comment = action["comment"].as_str().unwrap_or_default();
            let done = approvals::decide(
                &s.db,
                &user,
                &key,
                &ids,
                decision,
                comment,
                proof,
                &s.fallback,
            )
            .await?;
            Ok(SignedOutcome {
                message: format!(
                    "Signed and approved: {} task{}.",
                    done.len(),
                    if done.len() == 1 { "" } else { "s" }
                ),
            })
        }
        Some("org_config") => {
            let config: AccessRequestConfig =
                serde_json::from_value(action["config"].clone()).map_err(|_| bad())?;
            let version = action["version"].as_i64().ok_or_else(bad)?;
            org::save(
                &s.db,
                &user,
                &key,
                &config,
                version,
                s.provider_configured,
                proof,
            )
            .await?;
            Ok(SignedOutcome {
                message: "Signed and saved: the settings are changed.".into(),
            })
        }
        Some("item_reauth") => {
            let id = action["item_id"].as_str().ok_or_else(bad)?;
            let version = action["version"].as_i64().ok_or_else(bad)?;
            let require = action["require"].as_bool().ok_or_else(bad)?;
            let window = action["window_minutes"].as_i64();
            items::set_reauth(
                &s.db,
                &user,
                &key,
                (id, version),
                crate::domain::items::ReauthRule {
                    require,
                    window_minutes: window,
                },
                proof,
            )
            .await?;
            Ok(SignedOutcome {
                message: "Signed and saved: the item's re-authentication rule is changed.".into(),
            })
        }
        _ => Err(bad()),
    }
}
