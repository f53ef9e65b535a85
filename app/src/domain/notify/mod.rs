//! Notifications: people hear by mail of work that waits for them and of what
//! happened to their requests and access.
//!
//! - **Written with the change.** A mail is an outbox job (kind `email`, one
//!   per recipient) written in the transaction of the change it tells of: a
//!   task opened, a request decided or cancelled, access ended, a provisioning
//!   job failed. The worker sends it ([`MailHandler`]) with the outbox's
//!   retries; an unreachable mail server never slows or fails a decision, and
//!   each mail goes out once however many replicas run.
//! - **Facts, not secrets.** A job carries names and ids fixed at the moment of
//!   the change, rendered at send time ([`templates`]) into plain text and
//!   HTML with a link to the exact page; never a token, an ID token or a
//!   signature.
//! - **Opt-out** of the non-essential topics ([`NotificationTopic`]) is read
//!   when the job is written and again when it is sent. Such mail carries
//!   `List-Unsubscribe` (one click, RFC 8058).
//! - **Off** while the installation has no mail server: nothing is written.
//! - **Chat**: new tasks are also posted to the organisation's and the item's
//!   chat channels through incoming webhooks ([`chat`]), mail or no mail.

pub mod chat;
pub mod digest;
pub mod mailer;
pub mod preferences;
pub mod scan;
pub mod templates;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use mailer::{MailHandler, Mailer, SmtpSettings, SmtpTls};

use super::{DomainError, new_id, outbox};
use crate::{
    db::{
        Tx,
        notifications::{self as store, Recipient},
        outbox::NewJob,
    },
    types::{JobKind, JobOperation, JobState, NotificationTopic, RequestKind, RequestStatus},
};

/// How many attempts a mail gets (about four hours with the outbox's backoff).
pub const MAX_ATTEMPTS: i64 = 12;
/// The most members of one group told of one task.
const GROUP_MAX: i64 = 200;

/// What a mail tells, as fixed when the change was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Notice {
    /// A task waits for the recipient (named, or as a member of its group).
    TaskAssigned {
        task_id: String,
        request_id: String,
        item_name: String,
        request_kind: RequestKind,
        requester_name: String,
        beneficiary_name: String,
        step: i64,
    },
    /// A request of the recipient's (or for them) was closed.
    RequestClosed {
        request_id: String,
        item_name: String,
        request_kind: RequestKind,
        outcome: RequestStatus,
        by_name: Option<String>,
        comment: Option<String>,
    },
    /// Access the recipient holds ends soon.
    AccessEnding {
        item_name: String,
        end_date: i64,
        days_left: i64,
    },
    /// Access the recipient held reached its end date.
    AccessExpired { item_name: String },
    /// A task of the recipient's still waits (reminder `reminder` of `of`).
    TaskReminder {
        task_id: String,
        request_id: String,
        item_name: String,
        beneficiary_name: String,
        step: i64,
        waiting_days: i64,
        reminder: i64,
        of: i64,
    },
    /// A task of the recipient's waited too long and went to the fallback.
    TaskEscalated {
        request_id: String,
        item_name: String,
        beneficiary_name: String,
        step: i64,
        waiting_days: i64,
        to_name: String,
    },
    /// A task waited too long but the fallback could not take it (to
    /// administrators).
    EscalationRefused {
        task_id: String,
        request_id: String,
        item_name: String,
        beneficiary_name: String,
        step: i64,
        reason: String,
    },
    /// The day's digest of an approver with many pending tasks (the newest
    /// first, at most [`DIGEST_MAX`]; `total` of them).
    TaskDigest {
        day: i64,
        total: i64,
        tasks: Vec<DigestLine>,
    },
    /// A provisioning job failed after its last attempt (to administrators).
    ProvisioningFailed {
        job_id: String,
        item_name: String,
        person_name: String,
        operation: JobOperation,
        error: String,
    },
}

impl Notice {
    /// The topic a person may turn off; `None`: essential.
    pub fn topic(&self) -> Option<NotificationTopic> {
        match self {
            Notice::RequestClosed { .. } => Some(NotificationTopic::RequestUpdates),
            Notice::AccessEnding { .. } | Notice::AccessExpired { .. } => {
                Some(NotificationTopic::AccessEnding)
            }
            // Work waits for the recipient (or a control's bound was reached).
            Notice::TaskAssigned { .. }
            | Notice::TaskReminder { .. }
            | Notice::TaskEscalated { .. }
            | Notice::EscalationRefused { .. }
            | Notice::TaskDigest { .. }
            | Notice::ProvisioningFailed { .. } => None,
        }
    }

    fn template(&self) -> &'static str {
        match self {
            Notice::TaskAssigned { .. } => "task",
            Notice::RequestClosed { .. } => "closed",
            Notice::AccessEnding { .. } => "ending",
            Notice::AccessExpired { .. } => "expired",
            Notice::ProvisioningFailed { .. } => "job_failed",
            Notice::TaskReminder { .. } => "reminder",
            Notice::TaskEscalated { .. } => "escalated",
            Notice::EscalationRefused { .. } => "escalation_refused",
            Notice::TaskDigest { .. } => "digest",
        }
    }
}

/// The most tasks one digest lists.
pub const DIGEST_MAX: i64 = 50;

/// One task in a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestLine {
    pub task_id: String,
    pub item_name: String,
    pub beneficiary_name: String,
    pub opened_at: i64,
}

/// One mail job's payload: to whom, what, and (for non-essential mail) the
/// token of its one-click unsubscribe link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailJob {
    pub to_user_id: String,
    pub to_name: String,
    pub to_address: String,
    pub notice: Notice,
    #[serde(default)]
    pub unsubscribe_token: Option<String>,
}

/// Records whether this installation sends mail (at start-up, from
/// `COUNTERSIGN_SMTP_*`), so changes write mail jobs only when it does.
pub async fn record_delivery(
    db: &crate::db::Db,
    mail_enabled: bool,
) -> Result<(), crate::db::DbError> {
    let mut tx = db.write_tx().await?;
    store::set_mail_enabled(&mut tx, mail_enabled, super::now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Does this installation send mail (read in the change's transaction)?
pub async fn enabled(tx: &mut Tx) -> Result<bool, DomainError> {
    Ok(store::mail_enabled(&mut **tx).await?)
}

/// What a mail job is about, for the pages and the audit trail.
#[derive(Debug, Clone, Copy, Default)]
pub struct About<'a> {
    pub item_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

/// Writes one mail of `notice` to each of `to` in `tx`, skipping those who
/// turned its topic off; `key` makes each recipient's job unique (a change
/// retried cannot mail twice). Nothing when mail is off.
pub async fn send(
    tx: &mut Tx,
    to: &[Recipient],
    notice: &Notice,
    about: About<'_>,
    key: &str,
    now: i64,
) -> Result<usize, DomainError> {
    if to.is_empty() || !enabled(tx).await? {
        return Ok(0);
    }
    let topic = notice.topic();
    let mut written = 0;
    for recipient in to {
        if store::declined(&mut **tx, &recipient.id, topic.map(|t| t.as_str())).await? {
            continue;
        }
        let unsubscribe_token = match topic {
            Some(topic) => Some(unsubscribe_token(tx, &recipient.id, topic, now).await?),
            None => None,
        };
        let job = MailJob {
            to_user_id: recipient.id.clone(),
            to_name: recipient.name.clone(),
            to_address: recipient.email.clone(),
            notice: notice.clone(),
            unsubscribe_token,
        };
        let idempotency_key = format!("email:{}:{key}:{}", notice.template(), recipient.id);
        let wrote = queue(
            tx,
            (JobKind::Email, &idempotency_key),
            (&recipient.id, Some(&recipient.id)),
            about,
            &job,
            now,
        )
        .await?;
        written += usize::from(wrote);
    }
    Ok(written)
}

/// Writes one notification job (mail or chat) of `kind` for `target` in
/// `tx`; `false` when a job with `idempotency_key` was written before.
pub(crate) async fn queue(
    tx: &mut Tx,
    (kind, idempotency_key): (JobKind, &str),
    (target, user_id): (&str, Option<&str>),
    about: About<'_>,
    payload: &impl Serialize,
    now: i64,
) -> Result<bool, DomainError> {
    // Strings and numbers only: serialising cannot fail.
    let payload = serde_json::to_string(payload).unwrap_or_default();
    let id = new_id();
    outbox::enqueue(
        tx,
        &NewJob {
            id: &id,
            kind,
            operation: JobOperation::Send,
            serial_key: None,
            idempotency_key,
            target,
            user_id,
            item_id: about.item_id,
            request_id: about.request_id,
            payload_json: &payload,
            state: JobState::Queued,
            max_attempts: MAX_ATTEMPTS,
            assignee_user_id: None,
            assignee_group: None,
            now,
        },
    )
    .await
}

/// A fresh random token for a one-click unsubscribe link; only its hash is kept.
async fn unsubscribe_token(
    tx: &mut Tx,
    user_id: &str,
    topic: NotificationTopic,
    now: i64,
) -> Result<String, DomainError> {
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    store::insert_unsubscribe(tx, &token_hash(&token), user_id, topic.as_str(), now).await?;
    Ok(token)
}

/// How an unsubscribe token is stored and looked up.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Who is told of a task given to `user_id` or to the group `group`.
pub async fn approvers(
    tx: &mut Tx,
    user_id: Option<&str>,
    group: Option<&str>,
) -> Result<Vec<Recipient>, DomainError> {
    Ok(match (user_id, group) {
        (Some(user), _) => store::recipient(&mut **tx, user)
            .await?
            .into_iter()
            .collect(),
        (None, Some(group)) => store::members_of(&mut **tx, group, GROUP_MAX).await?,
        (None, None) => Vec::new(),
    })
}

/// The people among `ids` who can get mail, each once.
pub async fn people(tx: &mut Tx, ids: &[&str]) -> Result<Vec<Recipient>, DomainError> {
    let mut out: Vec<Recipient> = Vec::new();
    for id in ids {
        if out.iter().any(|r| r.id == *id) {
            continue;
        }
        if let Some(r) = store::recipient(&mut **tx, id).await? {
            out.push(r);
        }
    }
    Ok(out)
}

mod events;
pub use events::{ProvisioningFailures, access_expired, request_closed, task_opened};
