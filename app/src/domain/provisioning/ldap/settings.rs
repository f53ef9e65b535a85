//! The LDAP connector's settings as an administrator gives them, checked.
//!
//! The bind password travels only over TLS: `ldaps://`, or `ldap://` with
//! StartTLS. Plain LDAP is allowed only when the administrator says so *and*
//! the server is this machine's loopback (tests); to any other host it is
//! refused, at saving and again at every connection.

use super::filter;
use crate::{
    domain::DomainError,
    types::{LdapSettings, MemberAttribute},
};

const DN_MAX_CHARS: usize = 500;
const URL_MAX_CHARS: usize = 500;
const CA_MAX_CHARS: usize = 20_000;
pub const PASSWORD_MAX_CHARS: usize = 500;

/// The LDAP fields of the Provisioning tab, as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LdapInput {
    pub url: String,
    pub bind_dn: String,
    /// A new bind password, or empty to keep the stored one.
    pub password: String,
    pub group_dn: String,
    pub member_attribute: String,
    pub user_base: String,
    pub user_filter: String,
    pub read_member_of: bool,
    pub allow_plain_loopback: bool,
    pub ca_pem: String,
}

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// TLS from the first byte (`ldaps://`, port 636 by default).
    Ldaps,
    /// `ldap://`, then the StartTLS extended operation before the bind.
    StartTls,
    /// No TLS: loopback only, when explicitly allowed.
    PlainLoopback,
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        // An IPv4 address in a URL of a non-special scheme (ldap:) is a domain
        // to the URL parser.
        url::Host::Domain(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// The server's URL and how to protect it; the message says what is wrong.
pub fn transport(settings: &LdapSettings) -> Result<(url::Url, Transport), String> {
    let text = settings.url.trim();
    if text.chars().count() > URL_MAX_CHARS {
        return Err(format!("must be at most {URL_MAX_CHARS} characters"));
    }
    let url = url::Url::parse(text)
        .map_err(|_| "must be an LDAP URL such as ldaps://dc1.example.com:636".to_owned())?;
    let host = url
        .host()
        .ok_or_else(|| "must name the server's host".to_owned())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password (use the bind DN and password)".into());
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() {
        return Err("must be only the server (ldaps://host:port), without a DN or query".into());
    }
    let transport = match url.scheme() {
        "ldaps" => Transport::Ldaps,
        "ldap" if !settings.allow_plain_loopback => Transport::StartTls,
        "ldap" if is_loopback(&host) => Transport::PlainLoopback,
        "ldap" => {
            return Err(
                "plain LDAP is allowed only to this machine's loopback address; use ldaps:// or \
                 ldap:// with StartTLS"
                    .into(),
            );
        }
        _ => return Err("must start with ldaps:// or ldap://".into()),
    };
    if settings.allow_plain_loopback && transport == Transport::Ldaps {
        return Err("plain LDAP on loopback applies only to ldap:// URLs".into());
    }
    Ok((url, transport))
}

fn dn(field: &'static str, value: &str, what: &str) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::invalid(field, format!("enter the {what}")));
    }
    if value.chars().count() > DN_MAX_CHARS {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {DN_MAX_CHARS} characters"),
        ));
    }
    if value.chars().any(char::is_control) || !value.contains('=') {
        return Err(DomainError::invalid(
            field,
            "must be a distinguished name such as cn=Payroll,ou=Groups,dc=example,dc=org",
        ));
    }
    Ok(value.to_owned())
}

/// Checks the tab's LDAP fields (not the password, which is sealed apart).
pub fn check(input: &LdapInput) -> Result<LdapSettings, DomainError> {
    let member_attribute = match input.member_attribute.trim() {
        "" => MemberAttribute::Member,
        text => MemberAttribute::parse(text).ok_or_else(|| {
            DomainError::invalid("ldap_member_attribute", "choose member or uniqueMember")
        })?,
    };
    let user_filter = input.user_filter.trim().to_owned();
    filter::check_template(&user_filter)
        .map_err(|e| DomainError::invalid("ldap_user_filter", e.to_string()))?;
    let ca_pem = input.ca_pem.trim().to_owned();
    if ca_pem.chars().count() > CA_MAX_CHARS {
        return Err(DomainError::invalid(
            "ldap_ca_pem",
            format!("must be at most {CA_MAX_CHARS} characters"),
        ));
    }
    if !ca_pem.is_empty() {
        super::tls::roots(&ca_pem).map_err(|e| DomainError::invalid("ldap_ca_pem", e))?;
    }
    let settings = LdapSettings {
        url: input.url.trim().to_owned(),
        bind_dn: dn("ldap_bind_dn", &input.bind_dn, "DN the connector binds as")?,
        group_dn: dn("ldap_group_dn", &input.group_dn, "group's DN")?,
        member_attribute,
        user_base: dn(
            "ldap_user_base",
            &input.user_base,
            "base DN people are searched under",
        )?,
        user_filter,
        read_member_of: input.read_member_of,
        allow_plain_loopback: input.allow_plain_loopback,
        ca_pem,
    };
    transport(&settings).map_err(|e| DomainError::invalid("ldap_url", e))?;
    Ok(settings)
}

/// Checks a new bind password (never stored as given: sealed).
pub fn check_password(password: &str) -> Result<(), DomainError> {
    if password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(DomainError::invalid(
            "ldap_password",
            format!("must be at most {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    if password.chars().any(|c| c.is_control()) {
        return Err(DomainError::invalid(
            "ldap_password",
            "contains control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(url: &str, plain: bool) -> Result<Transport, String> {
        let settings = LdapSettings {
            url: url.into(),
            allow_plain_loopback: plain,
            ..LdapSettings::default()
        };
        transport(&settings).map(|(_, t)| t)
    }

    #[test]
    fn the_password_only_travels_over_tls_except_to_loopback_when_allowed() {
        assert_eq!(
            at("ldaps://dc1.example.com:636", false),
            Ok(Transport::Ldaps)
        );
        assert_eq!(at("ldap://dc1.example.com", false), Ok(Transport::StartTls));
        assert_eq!(at("ldap://127.0.0.1:3890", false), Ok(Transport::StartTls));
        assert_eq!(
            at("ldap://127.0.0.1:3890", true),
            Ok(Transport::PlainLoopback)
        );
        assert_eq!(at("ldap://[::1]:3890", true), Ok(Transport::PlainLoopback));
        assert_eq!(at("ldap://localhost", true), Ok(Transport::PlainLoopback));
        assert!(
            at("ldap://dc1.example.com", true).is_err(),
            "never plain to another host"
        );
        assert!(at("ldap://10.0.0.5", true).is_err());
        assert!(at("ldaps://127.0.0.1", true).is_err());
        assert!(at("http://dc1.example.com", false).is_err());
        assert!(at("ldaps://u:p@dc1.example.com", false).is_err());
        assert!(at("ldaps://dc1.example.com/dc=example,dc=org", false).is_err());
        assert!(at("dc1.example.com", false).is_err());
    }
}
