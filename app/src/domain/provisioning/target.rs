//! The item's Provisioning tab: where its grants go. Administrators only.
//!
//! The credential is write-only: sealed as soon as it arrives, never shown or
//! audited (only whether it changed). Pointing the grants of an item whose
//! approvals are e-signed somewhere else is a weakening (the signed decision
//! would take effect elsewhere), so it needs the admin's own fresh sign-in.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    Provisioning,
    connector::{Connector, Outcome},
    handler::open_secret,
    sealing::SealError,
    webhook::{self, SECRET_MIN_CHARS, Webhook},
};
use crate::{
    db::{
        Db,
        provisioning::{self as store, TargetFields, TargetRow},
    },
    domain::{
        DomainError,
        audit::{self, AuditActor, Entry},
        items::{require_admin, stale},
        now, reauth, text,
    },
    types::{ConnectorKind, CurrentUser, ProvisioningView},
};

const SECRET_MAX_CHARS: usize = 500;
const GROUP_MAX_CHARS: usize = 200;

/// What is stored beside the connector (nothing secret).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub fulfillers_group: String,
}

impl Settings {
    /// Stored settings; an unreadable value reads as empty (and is caught at the
    /// next attempt as a missing URL).
    pub fn read(json: &str) -> Settings {
        serde_json::from_str(json).unwrap_or_default()
    }
}

/// The tab as an administrator submits it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetInput {
    /// `manual` or `webhook`.
    pub connector: String,
    pub url: String,
    /// A new shared secret, or empty to keep the stored one.
    pub secret: String,
    /// Who fulfils by hand (a group), or empty for the item owner.
    pub fulfillers_group: String,
}

/// A checked change of target, as a signature covers it: the new secret only
/// sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetChange {
    pub connector: ConnectorKind,
    pub settings: Settings,
    /// The new credential, sealed to this item; `None` keeps the stored one.
    pub secret_sealed: Option<String>,
}

fn no_key(err: SealError) -> DomainError {
    DomainError::invalid("secret", err.to_string())
}

fn connector_of(text: &str) -> Result<ConnectorKind, DomainError> {
    ConnectorKind::parse(text.trim())
        .ok_or_else(|| DomainError::invalid("connector", "choose manual fulfilment or a webhook"))
}

/// Checks the tab's input and seals a new secret.
pub fn check(
    runtime: &Provisioning,
    item_id: &str,
    input: &TargetInput,
) -> Result<TargetChange, DomainError> {
    let connector = connector_of(&input.connector)?;
    let fulfillers_group = text(
        "fulfillers_group",
        &input.fulfillers_group,
        false,
        GROUP_MAX_CHARS,
    )?;
    let (url, secret_sealed) = match connector {
        ConnectorKind::Manual => (String::new(), None),
        ConnectorKind::Webhook => {
            let url = webhook::parse_url(&input.url)?.to_string();
            let secret = input.secret.trim();
            let sealed = if secret.is_empty() {
                None
            } else {
                check_secret(secret)?;
                let key = runtime
                    .key
                    .as_ref()
                    .ok_or(SealError::NoKey)
                    .map_err(no_key)?;
                Some(key.seal(item_id, secret).map_err(no_key)?)
            };
            (url, sealed)
        }
    };
    Ok(TargetChange {
        connector,
        settings: Settings {
            url,
            fulfillers_group,
        },
        secret_sealed,
    })
}

fn check_secret(secret: &str) -> Result<(), DomainError> {
    let n = secret.chars().count();
    if !(SECRET_MIN_CHARS..=SECRET_MAX_CHARS).contains(&n) {
        return Err(DomainError::invalid(
            "secret",
            format!(
                "must be {SECRET_MIN_CHARS} to {SECRET_MAX_CHARS} characters (a random value, \
                 e.g. `openssl rand -hex 32`)"
            ),
        ));
    }
    if secret.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "secret",
            "contains control characters",
        ));
    }
    Ok(())
}

fn view_of(
    item_id: &str,
    row: Option<&TargetRow>,
    runtime: &Provisioning,
    signed: bool,
) -> ProvisioningView {
    let settings = row
        .map(|r| Settings::read(&r.settings_json))
        .unwrap_or_default();
    ProvisioningView {
        item_id: item_id.to_owned(),
        connector: row.map(|r| r.connector).unwrap_or(ConnectorKind::Manual),
        url: settings.url,
        fulfillers_group: settings.fulfillers_group,
        secret_set: row.is_some_and(|r| r.secret_sealed.is_some()),
        key_configured: runtime.key.is_some(),
        version: row.map(|r| r.version).unwrap_or(0),
        signed,
    }
}

/// The tab as stored (never the secret).
pub async fn view(
    db: &Db,
    runtime: &Provisioning,
    actor: &CurrentUser,
    item_id: &str,
) -> Result<ProvisioningView, DomainError> {
    require_admin(actor)?;
    let item = crate::db::items::find(db.pool(), item_id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    let row = store::target(db.pool(), item_id).await?;
    Ok(view_of(item_id, row.as_ref(), runtime, item.require_reauth))
}

/// What the audit trail keeps of a target: never the secret, only whether one is set.
fn snapshot(connector: ConnectorKind, settings: &Settings, secret_set: bool) -> serde_json::Value {
    json!({
        "connector": connector,
        "url": settings.url,
        "fulfillers_group": settings.fulfillers_group,
        "secret_set": secret_set,
    })
}

/// Saves the tab (`version`: the target's, 0 when none was saved). `proof`: the
/// admin's re-authentication, when the item's approvals are e-signed.
pub async fn save(
    db: &Db,
    runtime: &Provisioning,
    (actor, session_key): (&CurrentUser, &str),
    (item_id, version): (&str, i64),
    change: &TargetChange,
    proof: Option<&str>,
) -> Result<ProvisioningView, DomainError> {
    require_admin(actor)?;
    if change.connector == ConnectorKind::Webhook {
        webhook::parse_url(&change.settings.url)?;
    }
    let mut tx = db.write_tx().await?;
    let item = crate::db::items::find(&mut *tx, item_id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    let before = store::target(&mut *tx, item_id).await?;
    if before.as_ref().map(|t| t.version).unwrap_or(0) != version {
        return Err(stale());
    }
    let before_settings = before
        .as_ref()
        .map(|t| Settings::read(&t.settings_json))
        .unwrap_or_default();
    let before_connector = before
        .as_ref()
        .map(|t| t.connector)
        .unwrap_or(ConnectorKind::Manual);
    let before_secret = before.as_ref().and_then(|t| t.secret_sealed.clone());
    let secret = match change.connector {
        ConnectorKind::Manual => None,
        ConnectorKind::Webhook => match (&change.secret_sealed, &before_secret) {
            (Some(new), _) => {
                // Opens with this key and for this item, or it is not ours.
                let key = runtime
                    .key
                    .as_ref()
                    .ok_or(SealError::NoKey)
                    .map_err(no_key)?;
                key.open(item_id, new).map_err(no_key)?;
                Some(new.clone())
            }
            (None, Some(old)) if before_connector == ConnectorKind::Webhook => Some(old.clone()),
            _ => {
                return Err(DomainError::invalid(
                    "secret",
                    "is required: the receiver checks each delivery with it",
                ));
            }
        },
    };
    let secret_changed = secret != before_secret;
    let changed = change.connector != before_connector
        || change.settings != before_settings
        || secret_changed;
    if !changed {
        return Ok(view_of(
            item_id,
            before.as_ref(),
            runtime,
            item.require_reauth,
        ));
    }
    let action = reauth::SignedAction::ItemProvisioning {
        item_id: item_id.to_owned(),
        version,
        target: change.clone(),
    };
    let (mut tx, step_up) = reauth::step_up(
        db,
        tx,
        (actor, session_key),
        &action,
        proof,
        item.require_reauth,
    )
    .await?;
    let settings_json = serde_json::to_string(&change.settings)
        .map_err(|e| DomainError::Conflict(e.to_string()))?;
    let fields = TargetFields {
        connector: change.connector,
        settings_json: &settings_json,
        secret_sealed: secret.as_deref(),
    };
    if !store::save_target(&mut tx, item_id, version, &fields, (&actor.id, now())).await? {
        return Err(stale());
    }
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry::about_item(
            "item.provisioning_changed",
            item_id,
            json!({
                "before": snapshot(before_connector, &before_settings, before_secret.is_some()),
                "after": snapshot(change.connector, &change.settings, secret.is_some()),
                "secret_changed": secret_changed,
                "step_up": step_up,
            }),
        ),
    )
    .await?;
    let after = store::target(&mut *tx, item_id).await?;
    tx.commit().await?;
    Ok(view_of(
        item_id,
        after.as_ref(),
        runtime,
        item.require_reauth,
    ))
}

/// "Test connection": proves the receiver answers and accepts a signed
/// delivery, before anything is saved. With no new secret, the stored one.
pub async fn test_connection(
    db: &Db,
    runtime: &Provisioning,
    actor: &CurrentUser,
    item_id: &str,
    input: &TargetInput,
) -> Result<String, DomainError> {
    require_admin(actor)?;
    if connector_of(&input.connector)? == ConnectorKind::Manual {
        return Ok(
            "Manual fulfilment needs no connection: the fulfillers see each grant in their inbox."
                .into(),
        );
    }
    let url = webhook::parse_url(&input.url)?;
    let secret = match input.secret.trim() {
        "" => {
            let stored = store::target(db.pool(), item_id)
                .await?
                .filter(|t| t.connector == ConnectorKind::Webhook && t.secret_sealed.is_some())
                .ok_or_else(|| DomainError::invalid("secret", "enter the shared secret to test"))?;
            open_secret(runtime, &stored).map_err(no_key)?
        }
        secret => {
            check_secret(secret)?;
            secret.to_owned()
        }
    };
    let hook = Webhook::new(url, secret, runtime.http.clone());
    tracing::info!(item = %item_id, "webhook connection test");
    match hook.test_connection().await {
        Outcome::Done(answer) => Ok(format!(
            "Connection works: the receiver accepted a signed test event ({answer})."
        )),
        Outcome::Retry(answer) | Outcome::Fail(answer) => Err(DomainError::invalid(
            "url",
            format!("The receiver did not accept the test event: {answer}"),
        )),
    }
}
