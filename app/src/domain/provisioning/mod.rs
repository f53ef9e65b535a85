//! Provisioning: an approval grants the access for real, and its end takes it
//! away, through the outbox (docs/provisioning.md).
//!
//! The decision that creates or ends an assignment writes its job in the same
//! transaction ([`grant_assignment`], [`revoke_assignment`]), so a crash never
//! leaves an approval without its job, nor a job without its approval. Where a
//! job goes is the item's target: a connector (a signed webhook, an LDAP group,
//! a SCIM application's group, behind one [`connector::Connector`]), or manual
//! fulfilment by a person, who marks it done. Nothing counts as provisioned
//! until the target (or that person) says so.

pub mod connector;
pub mod credential;
mod handler;
pub mod ldap;
pub mod scim_client;
pub mod sealing;
pub mod status;
pub mod target;
pub mod webhook;

use serde_json::json;

pub use handler::ProvisioningHandler;

use self::connector::{Change, Entitlement, Person};
use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    new_id, now,
};
use crate::{
    db::{
        Tx,
        assignments::{self, AssignmentRow},
        items,
        outbox::NewJob,
        provisioning as store,
    },
    types::{ConnectorKind, JobKind, JobOperation, JobState},
};

/// How many attempts a provisioning job gets before it fails (about an hour
/// and a half with the default backoff).
pub const MAX_ATTEMPTS: i64 = 8;

/// What connectors and the Provisioning tab need at run time: the key that
/// opens stored credentials, and the HTTP client.
#[derive(Clone, Debug)]
pub struct Provisioning {
    pub key: Option<sealing::SecretKey>,
    pub http: reqwest::Client,
}

impl Provisioning {
    pub fn new(key: Option<sealing::SecretKey>) -> Result<Provisioning, reqwest::Error> {
        Ok(Provisioning {
            key,
            http: webhook::http_client()?,
        })
    }
}

/// Why an assignment ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason<'a> {
    /// Its end date passed.
    Expired,
    /// A removal request was approved.
    RemovalApproved { request_id: &'a str },
    /// An administrator took it away.
    Revoked,
    /// The person left the organisation (the directory).
    Left,
}

impl<'a> RevokeReason<'a> {
    fn as_str(self) -> &'static str {
        match self {
            RevokeReason::Expired => "expired",
            RevokeReason::RemovalApproved { .. } => "removal_approved",
            RevokeReason::Revoked => "revoked",
            RevokeReason::Left => "left",
        }
    }

    fn audit_action(self) -> &'static str {
        match self {
            RevokeReason::Expired => "assignment.expired",
            RevokeReason::RemovalApproved { .. } => "assignment.removed",
            RevokeReason::Revoked | RevokeReason::Left => "assignment.revoked",
        }
    }

    /// The removal request that ended it, if one did.
    fn request_id(self) -> Option<&'a str> {
        match self {
            RevokeReason::RemovalApproved { request_id } => Some(request_id),
            _ => None,
        }
    }
}

/// The key that keeps one person's jobs for one item in order.
fn serial_key(user_id: &str, item_id: &str) -> String {
    format!("provision:{item_id}:{user_id}")
}

/// Writes the job that grants `assignment` (just created in `tx`). Returns the
/// job's id.
pub async fn grant_assignment(
    tx: &mut Tx,
    assignment: &AssignmentRow,
) -> Result<String, DomainError> {
    let key = format!("provision:grant:{}", assignment.request_id);
    let request = Some(assignment.request_id.as_str());
    write_job(
        tx,
        assignment,
        JobOperation::Grant,
        ("approved", request),
        &key,
    )
    .await
}

/// Ends `user_id`'s assignment of `item_id` for `reason`, in `tx`: removes it,
/// records it in the audit trail as done by `by`, and writes the job that
/// revokes it in the target. The one way access ends (expiry, an approved
/// removal request, an administrator, a leaver). Returns `false` when the
/// person did not hold it (nothing changed).
pub async fn revoke_assignment(
    tx: &mut Tx,
    (user_id, item_id): (&str, &str),
    reason: RevokeReason<'_>,
    by: AuditActor<'_>,
) -> Result<bool, DomainError> {
    let Some(assignment) = assignments::find(&mut **tx, user_id, item_id).await? else {
        return Ok(false);
    };
    if !assignments::remove(tx, user_id, item_id).await? {
        return Ok(false);
    }
    let request = reason.request_id();
    // One revoke per grant: the assignment's id and the request that granted it.
    let key = format!(
        "provision:revoke:{}:{}",
        assignment.id, assignment.request_id
    );
    let job = write_job(
        tx,
        &assignment,
        JobOperation::Revoke,
        (reason.as_str(), request),
        &key,
    )
    .await?;
    let at = now();
    let mut details = match reason {
        RevokeReason::Expired => json!({ "user_id": user_id, "expired_at": at }),
        RevokeReason::RemovalApproved { .. } => json!({ "user_id": user_id, "held": true }),
        _ => json!({ "user_id": user_id, "reason": reason.as_str() }),
    };
    details["provisioning_job"] = json!(job);
    if reason == RevokeReason::Expired {
        let holding = (user_id, item_id);
        super::notify::access_expired(tx, holding, assignment.end_date, at).await?;
    }
    audit::append(
        tx,
        by,
        Entry {
            action: reason.audit_action(),
            target_kind: "assignment",
            target_id: &format!("{user_id}:{item_id}"),
            item_id: Some(item_id),
            request_id: request,
            details,
        },
    )
    .await?;
    Ok(true)
}

/// Who does a manual job: the item's fulfillers' group, else its owner (else
/// nobody by name: administrators see it on the Provisioning page).
async fn fulfillers(
    tx: &mut Tx,
    item_id: &str,
) -> Result<(Option<String>, Option<String>), DomainError> {
    let group = match store::target(&mut **tx, item_id).await? {
        Some(t) => target::Settings::read(&t.settings_json).fulfillers_group,
        None => String::new(),
    };
    if !group.is_empty() {
        return Ok((None, Some(group)));
    }
    let owner = items::find(&mut **tx, item_id)
        .await?
        .and_then(|item| item.owner_id);
    Ok((owner, None))
}

async fn write_job(
    tx: &mut Tx,
    assignment: &AssignmentRow,
    operation: JobOperation,
    (reason, request_id): (&str, Option<&str>),
    idempotency_key: &str,
) -> Result<String, DomainError> {
    let item = items::find(&mut **tx, &assignment.item_id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    let person = store::person(&mut **tx, &assignment.user_id)
        .await?
        .ok_or(DomainError::NotFound("person"))?;
    let id = new_id();
    let at = now();
    let change = Change {
        id: id.clone(),
        operation,
        reason: reason.to_owned(),
        assignment_id: assignment.id.clone(),
        request_id: request_id.map(str::to_owned),
        item: Entitlement {
            id: item.id.clone(),
            name: item.name.clone(),
            kind: item.kind,
        },
        person: Person {
            id: person.id.clone(),
            user_name: person.user_name.clone().unwrap_or(person.subject.clone()),
            email: person.email.clone(),
            name: person.name.clone(),
        },
        decided_at: at,
    };
    let payload =
        serde_json::to_string(&change).map_err(|e| DomainError::Conflict(e.to_string()))?;
    let connector = store::target(&mut **tx, &item.id)
        .await?
        .map(|t| t.connector)
        .unwrap_or(ConnectorKind::Manual);
    let (state, assignee) = match connector {
        ConnectorKind::Manual => (JobState::Manual, fulfillers(tx, &item.id).await?),
        ConnectorKind::Webhook | ConnectorKind::Ldap | ConnectorKind::Scim => {
            (JobState::Queued, (None, None))
        }
    };
    let serial = serial_key(&assignment.user_id, &item.id);
    let job = NewJob {
        id: &id,
        kind: JobKind::Provision,
        operation,
        serial_key: Some(&serial),
        idempotency_key,
        target: &item.id,
        user_id: Some(&assignment.user_id),
        item_id: Some(&item.id),
        request_id,
        payload_json: &payload,
        state,
        max_attempts: MAX_ATTEMPTS,
        assignee_user_id: assignee.0.as_deref(),
        assignee_group: assignee.1.as_deref(),
        now: at,
    };
    if !super::outbox::enqueue(tx, &job).await? {
        return Err(DomainError::Conflict(
            "This change of access was already recorded.".into(),
        ));
    }
    Ok(id)
}
