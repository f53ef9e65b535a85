//! What the Directory admin page reads and sends: the directory's bearer tokens,
//! the connection's status and the log of SCIM operations.

use serde::{Deserialize, Serialize};

string_enum! {
    /// Who is the truth for people and groups (`COUNTERSIGN_DIRECTORY`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
    pub enum DirectoryMode {
        /// Groups come from each sign-in's ID token (no directory).
        #[default]
        Oidc = "oidc",
        /// SCIM pushes people and groups; sign-in never changes groups, and a
        /// person the directory does not know cannot sign in.
        Scim = "scim",
    }
}

string_enum! {
    /// How a person pushed by SCIM is recognised when they sign in
    /// (`COUNTERSIGN_SCIM_MATCH`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
    pub enum ScimMatchKey {
        /// SCIM `externalId` = the ID token's `sub` (Okta).
        #[default]
        ExternalId = "external_id",
        /// SCIM `userName` = the ID token's `preferred_username`, else `email`
        /// (Microsoft Entra ID with the UPN, Keycloak).
        UserName = "user_name",
    }
}

/// A directory token as an administrator sees it (never its secret, except
/// once at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryTokenView {
    pub id: String,
    pub name: String,
    /// The administrator who created it.
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// Written at most once a minute.
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// One SCIM request as the operation log keeps it (no bodies, no tokens, no
/// query strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimOperationView {
    pub id: String,
    pub at: i64,
    pub method: String,
    /// The request path without its query string.
    pub path: String,
    pub status: i64,
    /// `ok`, or the SCIM error's `scimType` (`error` when it has none).
    pub outcome: String,
    /// The SCIM id of the user or group it concerned, when there was one.
    pub resource_id: Option<String>,
}

/// The Directory page's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryStatusView {
    /// The SCIM base URL to give the identity provider (`…/scim/v2`).
    pub endpoint_url: String,
    pub mode: DirectoryMode,
    pub match_key: ScimMatchKey,
    /// The last SCIM request that succeeded.
    pub last_success_at: Option<i64>,
    /// People known here (not deleted), of whom `active_users` are not
    /// deactivated, and `directory_users` are managed by the directory.
    pub users: i64,
    pub active_users: i64,
    pub directory_users: i64,
    pub groups: i64,
    /// The last 100 SCIM operations, newest first.
    pub operations: Vec<ScimOperationView>,
}
