//! Provisioning as the pages show it: the outbox's jobs, their states, and an
//! item's provisioning target.

use serde::{Deserialize, Serialize};

use super::format_utc;

string_enum! {
    /// Where an outbox job stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum JobState {
        /// Waiting for the worker (first attempt, or a retry at `next_attempt_at`).
        Queued = "queued",
        /// A worker holds its lease and is running an attempt.
        Running = "running",
        Done = "done",
        /// Every attempt failed; an administrator retries it or marks it done.
        Failed = "failed",
        /// Waiting for a person to do it by hand and mark it done.
        Manual = "manual",
        /// A newer change of the same access superseded it before it ran.
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// What an outbox job does.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum JobKind {
        /// Grant or revoke access in a target system.
        Provision = "provision",
        /// Send one e-mail to one person (issue 18).
        Email = "email",
        /// Post one message to a chat's incoming webhook (issue 18).
        Chat = "chat",
    }
}

string_enum! {
    /// A provisioning job's direction; `send` for a notification.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum JobOperation {
        Grant = "grant",
        Revoke = "revoke",
        Send = "send",
    }
}

string_enum! {
    /// How an item's grants reach the system that enforces them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ConnectorKind {
        /// A person does it and marks it done (the item owner, or a group).
        Manual = "manual",
        /// A signed HTTP POST to a receiver the organisation runs.
        Webhook = "webhook",
        /// Membership of an LDAP / Active Directory group.
        Ldap = "ldap",
        /// Membership of a group in a SCIM 2.0 application.
        Scim = "scim",
    }
}

impl ConnectorKind {
    pub fn label(self) -> &'static str {
        match self {
            ConnectorKind::Manual => "Manual fulfilment",
            ConnectorKind::Webhook => "Signed webhook",
            ConnectorKind::Ldap => "LDAP / Active Directory group",
            ConnectorKind::Scim => "SCIM 2.0 application group",
        }
    }
}

impl JobOperation {
    pub fn label(self) -> &'static str {
        match self {
            JobOperation::Grant => "Grant",
            JobOperation::Revoke => "Revoke",
            JobOperation::Send => "Send",
        }
    }
}

/// One outbox job where it is shown: a request page, the admin page, an inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct JobView {
    pub id: String,
    pub kind: JobKind,
    pub operation: JobOperation,
    pub state: JobState,
    pub attempts: i64,
    pub max_attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub done_at: Option<i64>,
    pub done_by_name: Option<String>,
    pub note: Option<String>,
    pub item_id: Option<String>,
    pub item_name: Option<String>,
    pub person_name: Option<String>,
    pub request_id: Option<String>,
}

impl JobView {
    /// The job's state in words: "Done at …", "Retrying (attempt 3, next at …,
    /// last error: …)", "Failed after 8 attempts: …", "Waiting for manual
    /// fulfilment".
    pub fn describe(&self) -> String {
        let error = self.last_error.as_deref().unwrap_or("no answer");
        match self.state {
            JobState::Queued if self.attempts == 0 => "Queued".into(),
            JobState::Queued => format!(
                "Retrying (attempt {} of {}, next at {}; last error: {error})",
                self.attempts + 1,
                self.max_attempts,
                format_utc(self.next_attempt_at)
            ),
            JobState::Running => format!("Running (attempt {})", self.attempts),
            JobState::Done => match (&self.done_by_name, self.done_at) {
                (Some(by), Some(at)) => format!("Done by hand by {by} at {}", format_utc(at)),
                (None, Some(at)) => format!("Done at {}", format_utc(at)),
                _ => "Done".into(),
            },
            JobState::Failed => format!("Failed after {} attempts: {error}", self.attempts),
            JobState::Manual => "Waiting for manual fulfilment".into(),
            JobState::Cancelled => "Cancelled: a newer change of this access replaced it".into(),
        }
    }
}

/// An item's Provisioning tab as stored (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningView {
    pub item_id: String,
    pub connector: ConnectorKind,
    /// The webhook's URL (empty for manual fulfilment).
    pub url: String,
    /// Who fulfils by hand: a group (empty: the item owner).
    pub fulfillers_group: String,
    /// The LDAP connector's settings (empty unless it was chosen).
    pub ldap: super::LdapSettings,
    /// The SCIM connector's settings (empty unless it was chosen).
    pub scim: super::ScimSettings,
    /// A secret is stored (it is never shown again).
    pub secret_set: bool,
    /// `COUNTERSIGN_SECRET_KEY` is set, so a secret can be saved.
    pub key_configured: bool,
    /// 0: nothing saved yet.
    pub version: i64,
    /// Changing it needs a fresh sign-in (the item requires re-authentication).
    pub signed: bool,
}
