//! The settings of the LDAP and SCIM connectors, as stored beside an item's
//! target and shown on its Provisioning tab. Nothing here is secret: the bind
//! password, the bearer token and the client secret are sealed apart and never
//! leave the server.

use serde::{Deserialize, Serialize};

string_enum! {
    /// The attribute of the LDAP group that lists its members; both hold the
    /// member's DN.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum MemberAttribute {
        /// `groupOfNames` (OpenLDAP) and Active Directory groups.
        #[default]
        #[serde(rename = "member")]
        Member = "member",
        /// `groupOfUniqueNames`.
        #[serde(rename = "uniqueMember")]
        UniqueMember = "uniqueMember",
    }
}

/// Where an item's grants go in an LDAP directory (OpenLDAP, Active Directory).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LdapSettings {
    /// `ldaps://host:636` or `ldap://host:389` (then StartTLS).
    pub url: String,
    /// Who the connector binds as.
    pub bind_dn: String,
    /// The group whose members the item's holders are.
    pub group_dn: String,
    pub member_attribute: MemberAttribute,
    /// Where people are searched (subtree).
    pub user_base: String,
    /// How a person's entry is found: `{userName}` and `{email}` are replaced by
    /// the person's values, escaped (RFC 4515).
    pub user_filter: String,
    /// After a change, read the person's `memberOf` to confirm it.
    pub read_member_of: bool,
    /// Plain LDAP (no TLS) to a loopback address, for tests only.
    pub allow_plain_loopback: bool,
    /// The certificate authority (PEM) the server's certificate must chain to;
    /// empty: the system's trusted roots.
    pub ca_pem: String,
}

string_enum! {
    /// How the SCIM client authenticates to the application.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ScimAuth {
        /// A static bearer token the application issued.
        #[default]
        Bearer = "bearer",
        /// OAuth 2.0 client credentials (RFC 6749 §4.4): a token from the token URL.
        ClientCredentials = "client_credentials",
    }
}

string_enum! {
    /// How the target group is named in the settings.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ScimGroupBy {
        /// The group's SCIM `id`.
        #[default]
        Id = "id",
        /// Its `displayName`, looked up on each change.
        DisplayName = "display_name",
    }
}

string_enum! {
    /// Which of the person's values is their `userName` in the application.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ScimUserName {
        /// The directory's userName (the provider's subject when there is none).
        #[default]
        UserName = "user_name",
        /// The person's e-mail address (Slack and many others).
        Email = "email",
    }
}

/// Where an item's grants go in a SCIM 2.0 application (RFC 7644).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScimSettings {
    /// The SCIM base URL, e.g. `https://api.example.com/scim/v2`.
    pub base_url: String,
    pub auth: ScimAuth,
    /// Client credentials only: where tokens come from, and as whom.
    pub token_url: String,
    pub client_id: String,
    /// Client credentials only: the scope to ask for (may be empty).
    pub scope: String,
    /// The group's id, or its displayName (see `group_by`).
    pub group: String,
    pub group_by: ScimGroupBy,
    /// Matched with `filter=userName eq "…"`.
    pub user_name: ScimUserName,
}
