//! The organisation's directory: people and groups its identity provider pushes
//! over SCIM 2.0 (RFC 7643/7644), the directory's bearer tokens, and how a
//! pushed person and the same person signing in become one user.
//!
//! The SCIM wire (HTTP, status codes, `application/scim+json`) is the server's
//! `src/scim/`; the rules are here; the SQL is in `db::directory`.

pub mod error;
pub mod group;
pub mod groups;
pub mod log;
pub mod membership;
pub mod patch;
pub mod people;
pub mod person;
pub mod projection;
pub mod resource;
pub mod schema;
pub mod sign_in;
pub mod status;
pub mod tokens;
pub mod value_filter;

pub use crate::types::{DirectoryMode, ScimMatchKey};

/// The installation's directory settings (`COUNTERSIGN_DIRECTORY`,
/// `COUNTERSIGN_SCIM_MATCH`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectorySettings {
    pub mode: DirectoryMode,
    pub match_key: ScimMatchKey,
}

/// The directory acting through one of its tokens: the actor of every SCIM
/// change, and where its resources live.
#[derive(Debug, Clone, Copy)]
pub struct ScimCaller<'a> {
    pub db: &'a crate::db::Db,
    pub token_id: &'a str,
    /// The SCIM base URL (`…/scim/v2`) for `meta.location` and `$ref`s.
    pub base_url: &'a str,
    pub settings: DirectorySettings,
    /// Where the work of people who leave, or whose manager changes, goes.
    pub fallback: &'a crate::domain::routing::Fallback,
}

impl ScimCaller<'_> {
    pub fn actor(&self) -> crate::domain::audit::AuditActor<'_> {
        crate::domain::audit::AuditActor::Directory(self.token_id)
    }
}
