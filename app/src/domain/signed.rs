//! What an e-signature covers ([`SignedAction`]), what it means ([`Purpose`]),
//! and why a re-authentication can be refused ([`ReauthRefusal`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{audit::canonical_json, items::ItemInput, provisioning::target::TargetChange};
use crate::types::{AccessRequestConfig, Approver, Decision, Scope};

/// Why a challenge exists: what the signature will mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Approving a grant request for an item that requires it.
    Approval,
    /// An admin weakening a control, or creating a personal access token or a
    /// directory token.
    StepUp,
    /// The admin's live test that the provider honours `max_age=0`.
    ProviderTest,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Approval => "approval",
            Purpose::StepUp => "step_up",
            Purpose::ProviderTest => "provider_test",
        }
    }
}

/// Exactly what a signature covers. Stored with its challenge (canonical JSON),
/// hashed into its digest, and run again — with the challenge as proof — when
/// the person comes back from the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignedAction {
    /// Approve (or, in a batch, decide) these tasks with this comment.
    Approval {
        tasks: Vec<String>,
        decision: Decision,
        comment: String,
        /// The requests' versions: a request changed meanwhile voids the signature.
        versions: Vec<i64>,
    },
    /// Save the organisation's configuration (weakening a control).
    OrgConfig {
        config: AccessRequestConfig,
        version: i64,
    },
    /// The Reauthentication tab of an item (weakening its rule).
    ItemReauth {
        item_id: String,
        version: i64,
        require: bool,
        window_minutes: Option<i64>,
    },
    /// The Details tab of an item that requires re-authentication (its owner).
    ItemDetails {
        item_id: String,
        version: i64,
        input: ItemInput,
    },
    /// The Approvals tab of an item that requires re-authentication.
    ItemSteps {
        item_id: String,
        version: i64,
        steps: Vec<Approver>,
    },
    /// The Provisioning tab of an item that requires re-authentication: its
    /// grants go elsewhere (a new secret only sealed).
    ItemProvisioning {
        item_id: String,
        version: i64,
        target: TargetChange,
    },
    /// A new personal access token and what it may do.
    TokenCreate {
        name: String,
        days: i64,
        scopes: Vec<Scope>,
    },
    /// A new bearer token for the directory (the SCIM client).
    DirectoryTokenCreate { name: String, days: i64 },
    /// The live test of the provider.
    ProviderTest { at: i64 },
}

impl SignedAction {
    pub fn purpose(&self) -> Purpose {
        match self {
            SignedAction::Approval { .. } => Purpose::Approval,
            SignedAction::ProviderTest { .. } => Purpose::ProviderTest,
            _ => Purpose::StepUp,
        }
    }

    /// The page the person returns to after re-authenticating for it.
    pub fn return_path(&self) -> String {
        match self {
            SignedAction::Approval { .. } => "/inbox".to_owned(),
            SignedAction::OrgConfig { .. } | SignedAction::ProviderTest { .. } => {
                "/admin/settings".to_owned()
            }
            SignedAction::ItemReauth { item_id, .. } => {
                format!("/admin/items/{item_id}?tab=reauthentication")
            }
            SignedAction::ItemDetails { item_id, .. } => {
                format!("/admin/items/{item_id}?tab=details")
            }
            SignedAction::ItemSteps { item_id, .. } => {
                format!("/admin/items/{item_id}?tab=approvals")
            }
            SignedAction::ItemProvisioning { item_id, .. } => {
                format!("/admin/items/{item_id}?tab=provisioning")
            }
            SignedAction::TokenCreate { .. } => "/tokens".to_owned(),
            SignedAction::DirectoryTokenCreate { .. } => "/admin/directory".to_owned(),
        }
    }

    pub(crate) fn canonical(&self) -> String {
        canonical_json(&serde_json::to_value(self).unwrap_or(Value::Null))
    }

    /// SHA-256 of the canonical encoding: what a challenge is bound to.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.canonical().as_bytes()))
    }
}

/// Why a re-authentication does not prove what it must. Each says what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReauthRefusal {
    #[error("unknown re-authentication; start the action again")]
    Unknown,
    #[error("this re-authentication belongs to another person or sign-in")]
    NotYours,
    #[error("this re-authentication was made for something else")]
    OtherPurpose,
    #[error("the re-authentication has not been completed at the provider")]
    NotVerified,
    #[error("this re-authentication was already used; start the action again")]
    Used,
    #[error("this re-authentication expired; start the action again")]
    Expired,
    #[error("this re-authentication was made for a different decision")]
    OtherAction,
    #[error("a different person signed in at the provider; sign in as yourself")]
    WrongPerson,
    #[error("the provider did not say when you authenticated (no auth_time claim)")]
    NoAuthTime,
    #[error(
        "the provider did not make you sign in again: it reported an authentication no newer \
         than your last one (it ignored max_age=0 / prompt=login)"
    )]
    NotFresh,
    #[error("the provider reported an authentication time in the future")]
    FutureAuthTime,
}

impl ReauthRefusal {
    /// The `reauth=` outcome the page after the round trip explains.
    pub fn outcome(self) -> &'static str {
        match self {
            ReauthRefusal::NotFresh => "not-fresh",
            ReauthRefusal::WrongPerson => "wrong-person",
            ReauthRefusal::NoAuthTime => "no-auth-time",
            ReauthRefusal::Expired | ReauthRefusal::Used | ReauthRefusal::Unknown => "expired",
            _ => "refused",
        }
    }
}
