//! The organisation's directory: people and groups its identity provider pushes
//! over SCIM 2.0 (RFC 7643/7644), the directory's bearer tokens, and how a
//! pushed person and the same person signing in become one user.
//!
//! The SCIM wire (HTTP, status codes, `application/scim+json`) is the server's
//! `src/scim/`; the rules are here; the SQL is in `db::directory`.

pub mod log;
pub mod status;
pub mod tokens;

pub use crate::types::{DirectoryMode, ScimMatchKey};

/// The installation's directory settings (`COUNTERSIGN_DIRECTORY`,
/// `COUNTERSIGN_SCIM_MATCH`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectorySettings {
    pub mode: DirectoryMode,
    pub match_key: ScimMatchKey,
}
