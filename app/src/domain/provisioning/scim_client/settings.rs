//! The SCIM connector's settings as an administrator gives them, checked.

use crate::{
    domain::{DomainError, provisioning::webhook},
    types::{ScimAuth, ScimSettings},
};

const GROUP_MAX_CHARS: usize = 300;
const CLIENT_ID_MAX_CHARS: usize = 300;
const SCOPE_MAX_CHARS: usize = 500;
/// Bearer tokens can be long JWTs.
pub const SECRET_MAX_CHARS: usize = 8_000;

/// The SCIM fields of the Provisioning tab, as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimInput {
    pub base_url: String,
    /// `bearer` or `client_credentials`.
    pub auth: String,
    /// The bearer token, or the OAuth client secret; empty keeps the stored one.
    pub secret: String,
    pub token_url: String,
    pub client_id: String,
    pub scope: String,
    pub group: String,
    /// `id` or `display_name`.
    pub group_by: String,
    /// `user_name` or `email`.
    pub user_name: String,
}

/// An https URL (plain http only to loopback), without credentials in it.
pub fn https_url(field: &'static str, text: &str) -> Result<url::Url, DomainError> {
    webhook::parse_url(text).map_err(|err| match err {
        DomainError::Invalid { message, .. } => DomainError::invalid(field, message),
        other => other,
    })
}

fn choice<T: std::str::FromStr + Default>(
    field: &'static str,
    text: &str,
    words: &str,
) -> Result<T, DomainError> {
    match text.trim() {
        "" => Ok(T::default()),
        text => text
            .parse()
            .map_err(|_| DomainError::invalid(field, format!("choose {words}"))),
    }
}

fn short(field: &'static str, text: &str, max: usize) -> Result<String, DomainError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "contains control characters"));
    }
    Ok(text.to_owned())
}

/// Checks the tab's SCIM fields (not the token or client secret, sealed apart).
pub fn check(input: &ScimInput) -> Result<ScimSettings, DomainError> {
    let base_url = https_url("scim_base_url", &input.base_url)?;
    if base_url.query().is_some() || base_url.fragment().is_some() {
        return Err(DomainError::invalid(
            "scim_base_url",
            "must be the SCIM base URL, without a query",
        ));
    }
    let auth: ScimAuth = choice(
        "scim_auth",
        &input.auth,
        "a bearer token or OAuth client credentials",
    )?;
    let (token_url, client_id, scope) = match auth {
        ScimAuth::Bearer => (String::new(), String::new(), String::new()),
        ScimAuth::ClientCredentials => {
            let token_url = https_url("scim_token_url", &input.token_url)?.to_string();
            let client_id = short("scim_client_id", &input.client_id, CLIENT_ID_MAX_CHARS)?;
            if client_id.is_empty() {
                return Err(DomainError::invalid(
                    "scim_client_id",
                    "enter the OAuth client id",
                ));
            }
            let scope = short("scim_scope", &input.scope, SCOPE_MAX_CHARS)?;
            (token_url, client_id, scope)
        }
    };
    let group = short("scim_group", &input.group, GROUP_MAX_CHARS)?;
    if group.is_empty() {
        return Err(DomainError::invalid(
            "scim_group",
            "enter the group's id or displayName in the application",
        ));
    }
    Ok(ScimSettings {
        base_url: base_url.as_str().trim_end_matches('/').to_owned(),
        auth,
        token_url,
        client_id,
        scope,
        group,
        group_by: choice(
            "scim_group_by",
            &input.group_by,
            "its id or its displayName",
        )?,
        user_name: choice(
            "scim_user_name",
            &input.user_name,
            "the person's userName or e-mail address",
        )?,
    })
}

/// Checks a new bearer token or client secret.
pub fn check_secret(secret: &str) -> Result<(), DomainError> {
    if secret.chars().count() > SECRET_MAX_CHARS {
        return Err(DomainError::invalid(
            "scim_secret",
            format!("must be at most {SECRET_MAX_CHARS} characters"),
        ));
    }
    if secret.chars().any(|c| c.is_control() || c == ' ') {
        return Err(DomainError::invalid(
            "scim_secret",
            "must be the token or secret alone, without spaces",
        ));
    }
    Ok(())
}

/// Where the credential is sent: a stored one is reused only while this stays
/// the same (otherwise an edit of the URL alone would hand it to another host).
pub fn credential_destination(settings: &ScimSettings) -> String {
    match settings.auth {
        ScimAuth::Bearer => format!("bearer {}", settings.base_url),
        ScimAuth::ClientCredentials => {
            format!("client {} {}", settings.client_id, settings.token_url)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ScimGroupBy, ScimUserName};

    fn input() -> ScimInput {
        ScimInput {
            base_url: "https://api.example.com/scim/v2/".into(),
            group: "Payroll".into(),
            group_by: "display_name".into(),
            ..ScimInput::default()
        }
    }

    #[test]
    fn a_bearer_target_needs_an_https_base_url_and_a_group() {
        let settings = check(&input()).unwrap();
        assert_eq!(settings.base_url, "https://api.example.com/scim/v2");
        assert_eq!(settings.auth, ScimAuth::Bearer);
        assert_eq!(settings.group_by, ScimGroupBy::DisplayName);
        assert_eq!(settings.user_name, ScimUserName::UserName);
        let plain = ScimInput {
            base_url: "http://api.example.com/scim/v2".into(),
            ..input()
        };
        assert!(matches!(
            check(&plain),
            Err(DomainError::Invalid {
                field: "scim_base_url",
                ..
            })
        ));
        let no_group = ScimInput {
            group: " ".into(),
            ..input()
        };
        assert!(matches!(
            check(&no_group),
            Err(DomainError::Invalid {
                field: "scim_group",
                ..
            })
        ));
    }

    #[test]
    fn client_credentials_need_a_token_url_and_a_client_id() {
        let oauth = ScimInput {
            auth: "client_credentials".into(),
            token_url: "https://login.example.com/oauth2/token".into(),
            client_id: "countersign".into(),
            ..input()
        };
        assert_eq!(check(&oauth).unwrap().client_id, "countersign");
        let no_id = ScimInput {
            client_id: String::new(),
            ..oauth.clone()
        };
        assert!(matches!(
            check(&no_id),
            Err(DomainError::Invalid {
                field: "scim_client_id",
                ..
            })
        ));
        let bad = ScimInput {
            auth: "basic".into(),
            ..oauth
        };
        assert!(matches!(
            check(&bad),
            Err(DomainError::Invalid {
                field: "scim_auth",
                ..
            })
        ));
    }

    #[test]
    fn a_stored_credential_follows_its_destination() {
        let a = check(&input()).unwrap();
        let b = ScimSettings {
            base_url: "https://elsewhere.example.net/scim/v2".into(),
            ..a.clone()
        };
        assert_ne!(credential_destination(&a), credential_destination(&b));
        let renamed = ScimSettings {
            group: "Ledger".into(),
            ..a.clone()
        };
        assert_eq!(credential_destination(&a), credential_destination(&renamed));
    }
}
