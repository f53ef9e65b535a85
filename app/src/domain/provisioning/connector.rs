//! The one interface every target system is reached through (docs/provisioning.md).
//!
//! A connector grants or revokes one person's entitlement and says what the
//! target answered. Both operations must be idempotent: granting what is
//! already granted, or revoking what is not held, succeeds. The outbox may run
//! an operation more than once (a worker that dies after the target acted but
//! before it recorded the answer), never concurrently for the same access.

use serde::{Deserialize, Serialize};

use crate::types::{ItemKind, JobOperation};

/// The person whose access changes, as the target knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    /// The directory's userName, or the provider's `sub` for a person the
    /// directory never pushed.
    #[serde(rename = "userName")]
    pub user_name: String,
    pub email: Option<String>,
    pub name: String,
}

/// What is granted: the access item (a connector's own settings say which group
/// or role in the target it stands for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    pub id: String,
    pub name: String,
    pub kind: ItemKind,
}

/// One change of access, as written in the decision's transaction: the job's
/// payload, and the body a webhook receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The event's id (the outbox job's id): the same on every retry, so a
    /// receiver can tell a retry from a new event.
    pub id: String,
    pub operation: JobOperation,
    /// Why: `approved`, `removal_approved`, `expired`, `revoked`, `left`.
    pub reason: String,
    pub assignment_id: String,
    pub request_id: Option<String>,
    pub item: Entitlement,
    pub person: Person,
    /// When the decision was made (Unix seconds).
    pub decided_at: i64,
}

/// What the target answered, in its own words (never a credential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done (or already so).
    Done(String),
    /// Not done, worth trying again later (unreachable, 5xx, a timeout…).
    Retry(String),
    /// Not done, and retrying will not help until someone changes something.
    Fail(String),
}

impl Outcome {
    pub fn message(&self) -> &str {
        match self {
            Outcome::Done(m) | Outcome::Retry(m) | Outcome::Fail(m) => m,
        }
    }
}

/// A target system. Implementations: [`super::webhook::Webhook`]; manual
/// fulfilment has none (a person is the connector).
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    /// Gives `change.person` the entitlement.
    async fn grant(&self, change: &Change) -> Outcome;
    /// Takes it away.
    async fn revoke(&self, change: &Change) -> Outcome;
    /// Proves the target answers and the credentials are accepted, changing
    /// nothing ("Test connection" before saving).
    async fn test_connection(&self) -> Outcome;
}

/// Runs `change` through `connector` in its direction.
pub async fn apply(connector: &dyn Connector, change: &Change) -> Outcome {
    match change.operation {
        JobOperation::Grant => connector.grant(change).await,
        JobOperation::Revoke => connector.revoke(change).await,
        JobOperation::Send => Outcome::Fail("a notification is not a change of access".into()),
    }
}

/// At most `max` characters of a target's answer, one line, no control
/// characters: what the audit trail and the pages show.
pub fn answer_excerpt(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().count() <= max {
        trimmed.to_owned()
    } else {
        format!("{}…", trimmed.chars().take(max).collect::<String>())
    }
}
