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
    connector::Outcome,
    credential,
    handler::{build_connector, open_secret},
    ldap::{self, settings::LdapInput},
    scim_client::{self, settings::ScimInput},
    sealing::SealError,
    webhook,
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
    types::{ConnectorKind, CurrentUser, LdapSettings, ProvisioningView, ScimSettings},
};

const GROUP_MAX_CHARS: usize = 200;

/// What is stored beside the connector (nothing secret).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub fulfillers_group: String,
    /// The LDAP connector's (only when it is the target's connector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ldap: Option<Box<LdapSettings>>,
    /// The SCIM connector's (only when it is the target's connector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim: Option<Box<ScimSettings>>,
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
    /// `manual`, `webhook`, `ldap` or `scim`.
    pub connector: String,
    pub url: String,
    /// A new shared secret, or empty to keep the stored one.
    pub secret: String,
    /// Who fulfils by hand (a group), or empty for the item owner.
    pub fulfillers_group: String,
    pub ldap: LdapInput,
    pub scim: ScimInput,
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
    ConnectorKind::parse(text.trim()).ok_or_else(|| {
        DomainError::invalid(
            "connector",
            "choose manual fulfilment, a webhook, an LDAP group or a SCIM application",
        )
    })
}

/// The tab's settings for its connector, checked (nothing secret).
fn settings_of(input: &TargetInput) -> Result<(ConnectorKind, Settings), DomainError> {
    let connector = connector_of(&input.connector)?;
    let fulfillers_group = text(
        "fulfillers_group",
        &input.fulfillers_group,
        false,
        GROUP_MAX_CHARS,
    )?;
    let mut settings = Settings {
        fulfillers_group,
        ..Settings::default()
    };
    match connector {
        ConnectorKind::Manual => {}
        ConnectorKind::Webhook => settings.url = webhook::parse_url(&input.url)?.to_string(),
        ConnectorKind::Ldap => settings.ldap = Some(Box::new(ldap::settings::check(&input.ldap)?)),
        ConnectorKind::Scim => {
            settings.scim = Some(Box::new(scim_client::settings::check(&input.scim)?));
        }
    }
    Ok((connector, settings))
}

/// Checks the tab's input and seals a new credential.
pub fn check(
    runtime: &Provisioning,
    item_id: &str,
    input: &TargetInput,
) -> Result<TargetChange, DomainError> {
    let (connector, settings) = settings_of(input)?;
    let secret = credential::given(connector, input);
    let secret_sealed = if secret.is_empty() {
        None
    } else {
        credential::check(connector, secret)?;
        let key = runtime
            .key
            .as_ref()
            .ok_or(SealError::NoKey)
            .map_err(no_key)?;
        Some(key.seal(item_id, secret).map_err(no_key)?)
    };
    Ok(TargetChange {
        connector,
        settings,
        secret_sealed,
    })
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
        ldap: settings.ldap.map(|l| *l).unwrap_or_default(),
        scim: settings.scim.map(|s| *s).unwrap_or_default(),
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
    let mut out = json!({
        "connector": connector,
        "url": settings.url,
        "fulfillers_group": settings.fulfillers_group,
        "secret_set": secret_set,
    });
    if let Some(ldap) = &settings.ldap {
        let mut ldap = json!(ldap);
        // The CA certificate is public but long: its digest says which it is.
        if let Some(pem) = ldap
            .get("ca_pem")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
        {
            ldap["ca_pem"] = json!(if pem.is_empty() {
                String::new()
            } else {
                format!(
                    "sha256:{}",
                    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(pem))
                )
            });
        }
        out["ldap"] = ldap;
    }
    if let Some(scim) = &settings.scim {
        out["scim"] = json!(scim);
    }
    out
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
    // A signed change is re-run from its stored form: check it again.
    match change.connector {
        ConnectorKind::Webhook => {
            webhook::parse_url(&change.settings.url)?;
        }
        ConnectorKind::Ldap => {
            let ldap = change.settings.ldap.clone().unwrap_or_default();
            ldap::settings::transport(&ldap).map_err(|e| DomainError::invalid("ldap_url", e))?;
        }
        ConnectorKind::Scim | ConnectorKind::Manual => {}
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
    let destination = credential::destination(change.connector, &change.settings);
    let secret = match (&destination, &change.secret_sealed, &before_secret) {
        (None, ..) => None,
        (Some(_), Some(new), _) => {
            // Opens with this key and for this item, or it is not ours.
            let key = runtime
                .key
                .as_ref()
                .ok_or(SealError::NoKey)
                .map_err(no_key)?;
            key.open(item_id, new).map_err(no_key)?;
            Some(new.clone())
        }
        (Some(_), None, Some(old))
            if before_connector == change.connector
                && credential::destination(before_connector, &before_settings) == destination =>
        {
            Some(old.clone())
        }
        _ => return Err(credential::required(change.connector)),
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

/// "Test connection": proves the target answers, accepts the credential and
/// holds the group, before anything is saved. With no new credential, the
/// stored one, if it may go where the tab now points.
pub async fn test_connection(
    db: &Db,
    runtime: &Provisioning,
    actor: &CurrentUser,
    item_id: &str,
    input: &TargetInput,
) -> Result<String, DomainError> {
    require_admin(actor)?;
    let (connector, settings) = settings_of(input)?;
    if connector == ConnectorKind::Manual {
        return Ok(
            "Manual fulfilment needs no connection: the fulfillers see each grant in their inbox."
                .into(),
        );
    }
    let secret = match credential::given(connector, input) {
        "" => {
            let destination = credential::destination(connector, &settings);
            let stored = store::target(db.pool(), item_id)
                .await?
                .filter(|t| {
                    t.connector == connector
                        && t.secret_sealed.is_some()
                        && credential::destination(connector, &Settings::read(&t.settings_json))
                            == destination
                })
                .ok_or_else(|| {
                    DomainError::invalid(credential::field(connector), "enter it to test")
                })?;
            open_secret(runtime, &stored).map_err(no_key)?
        }
        secret => {
            credential::check(connector, secret)?;
            secret.to_owned()
        }
    };
    let target = build_connector(runtime, connector, &settings, secret)
        .map_err(|e| DomainError::invalid("connector", e))?;
    tracing::info!(item = %item_id, connector = connector.as_str(), "connection test");
    let field = match connector {
        ConnectorKind::Ldap => "ldap_url",
        ConnectorKind::Scim => "scim_base_url",
        _ => "url",
    };
    match target.test_connection().await {
        Outcome::Done(answer) => Ok(match connector {
            ConnectorKind::Webhook => {
                format!("Connection works: the receiver accepted a signed test event ({answer}).")
            }
            _ => format!("Connection works: {answer}."),
        }),
        Outcome::Retry(answer) | Outcome::Fail(answer) => Err(DomainError::invalid(
            field,
            match connector {
                ConnectorKind::Webhook => {
                    format!("The receiver did not accept the test event: {answer}")
                }
                _ => format!("The connection test failed: {answer}"),
            },
        )),
    }
}
