//! The one credential each target has (a webhook's shared secret, an LDAP bind
//! password, a SCIM bearer token or OAuth client secret): which field of the
//! tab gives it, how it is checked, and when a stored one may be kept.
//!
//! A stored credential is kept only while it would go to the same place: an
//! LDAP password or a SCIM token is *sent* to the server, so an edit that
//! points the target at another host (or account, or certificate authority)
//! must come with the credential again — otherwise changing one URL would hand
//! the stored secret to whoever runs the new one. A webhook's secret never
//! leaves Countersign (it only signs), so its URL may change alone.

use sha2::{Digest, Sha256};

use super::{
    ldap, scim_client,
    target::{Settings, TargetInput},
    webhook::SECRET_MIN_CHARS,
};
use crate::{domain::DomainError, types::ConnectorKind};

const WEBHOOK_SECRET_MAX_CHARS: usize = 500;

/// The form field that carries `connector`'s credential.
pub fn field(connector: ConnectorKind) -> &'static str {
    match connector {
        ConnectorKind::Manual | ConnectorKind::Webhook => "secret",
        ConnectorKind::Ldap => "ldap_password",
        ConnectorKind::Scim => "scim_secret",
    }
}

/// The new credential the tab gives for `connector` (empty: keep the stored one).
pub fn given(connector: ConnectorKind, input: &TargetInput) -> &str {
    match connector {
        ConnectorKind::Manual => "",
        ConnectorKind::Webhook => input.secret.trim(),
        // A password may begin or end with a space.
        ConnectorKind::Ldap => &input.ldap.password,
        ConnectorKind::Scim => input.scim.secret.trim(),
    }
}

/// Checks a new credential for `connector`.
pub fn check(connector: ConnectorKind, secret: &str) -> Result<(), DomainError> {
    match connector {
        ConnectorKind::Manual => Ok(()),
        ConnectorKind::Webhook => check_webhook_secret(secret),
        ConnectorKind::Ldap => ldap::settings::check_password(secret),
        ConnectorKind::Scim => scim_client::settings::check_secret(secret),
    }
}

fn check_webhook_secret(secret: &str) -> Result<(), DomainError> {
    let n = secret.chars().count();
    if !(SECRET_MIN_CHARS..=WEBHOOK_SECRET_MAX_CHARS).contains(&n) {
        return Err(DomainError::invalid(
            "secret",
            format!(
                "must be {SECRET_MIN_CHARS} to {WEBHOOK_SECRET_MAX_CHARS} characters (a random \
                 value, e.g. `openssl rand -hex 32`)"
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

/// Where `connector`'s credential goes with `settings`; `None`: it has none.
pub fn destination(connector: ConnectorKind, settings: &Settings) -> Option<String> {
    match connector {
        ConnectorKind::Manual => None,
        ConnectorKind::Webhook => Some("webhook".into()),
        ConnectorKind::Ldap => {
            let ldap = settings.ldap.clone().unwrap_or_default();
            let ca = hex::encode(Sha256::digest(ldap.ca_pem.as_bytes()));
            Some(format!("ldap {} {} {ca}", ldap.url, ldap.bind_dn))
        }
        ConnectorKind::Scim => Some(scim_client::settings::credential_destination(
            &settings.scim.clone().unwrap_or_default(),
        )),
    }
}

/// The refusal when a credential is needed and none may be kept.
pub fn required(connector: ConnectorKind) -> DomainError {
    let why = match connector {
        ConnectorKind::Manual => "is not needed",
        ConnectorKind::Webhook => "is required: the receiver checks each delivery with it",
        ConnectorKind::Ldap => {
            "is required: enter the bind password (again when the URL, the bind DN or the \
             certificate authority changes)"
        }
        ConnectorKind::Scim => {
            "is required: enter the token or client secret (again when the URL, the client or \
             the kind of authentication changes)"
        }
    };
    DomainError::invalid(field(connector), why)
}
