//! Chat: every new approval task is posted to the organisation's chat channel
//! and to the item's own, through a Slack- or Teams-compatible incoming
//! webhook, with a link to the task.
//!
//! - **The URL is the credential** (whoever holds it can post to the channel):
//!   it is sealed under `COUNTERSIGN_SECRET_KEY`, bound to its scope, and
//!   never shown, logged or audited again; pages and the audit trail see its
//!   host.
//! - **Through the outbox**, like mail: a chat job (kind `chat`) is written in
//!   the transaction that opened the task, one per configured scope, and sent
//!   by the worker with retries; a chat that is down never slows a decision.
//!   The job carries the scope, not the URL: the URL is opened at send time,
//!   so a webhook replaced or removed meanwhile is honoured.
//! - Posted whether or not the installation sends mail.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{About, Notice};
use crate::{
    db::{
        Db, Tx,
        chat_webhooks::{self as store, ChatWebhookFields, ChatWebhookRow},
        outbox::JobRow,
    },
    domain::{
        DomainError,
        audit::{self, AuditActor, Entry},
        now,
        outbox::{Attempt, JobHandler},
        provisioning::{Provisioning, connector::answer_excerpt, sealing::SealError, webhook},
    },
    types::{ChatFormat, ChatWebhookView, CurrentUser, JobKind, Role},
};

/// Whose channel a webhook posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// The organisation's: every item's tasks.
    Org,
    /// One access item's tasks.
    Item(&'a str),
}

impl Scope<'_> {
    /// The stored scope (`org`, `item:<id>`).
    pub fn key(self) -> String {
        match self {
            Scope::Org => "org".to_owned(),
            Scope::Item(id) => format!("item:{id}"),
        }
    }

    fn item_id(self) -> Option<String> {
        match self {
            Scope::Org => None,
            Scope::Item(id) => Some(id.to_owned()),
        }
    }
}

/// What a sealed URL is bound to: a URL sealed for one scope does not open
/// for another (nor as a provisioning credential, which is bound to the bare
/// item id).
fn sealing_context(scope_key: &str) -> String {
    format!("chat_webhook:{scope_key}")
}

/// The form's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatWebhookInput {
    /// Empty: keep the stored URL.
    pub url: String,
    pub format: String,
    /// Remove the webhook: nothing is posted for this scope any more.
    pub remove: bool,
}

fn require_admin(actor: &CurrentUser) -> Result<(), DomainError> {
    if actor.has(Role::Admin) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only administrators manage chat notifications",
        ))
    }
}

async fn require_item<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    ex: E,
    scope: Scope<'_>,
) -> Result<(), DomainError> {
    if let Scope::Item(id) = scope {
        crate::db::items::find(ex, id)
            .await?
            .ok_or(DomainError::NotFound("access item"))?;
    }
    Ok(())
}

fn view_of(
    scope: Scope<'_>,
    row: Option<&ChatWebhookRow>,
    runtime: &Provisioning,
) -> ChatWebhookView {
    ChatWebhookView {
        item_id: scope.item_id(),
        host: row.map(|r| r.host.clone()),
        format: row.map(|r| r.format).unwrap_or(ChatFormat::Slack),
        version: row.map(|r| r.version).unwrap_or(0),
        key_configured: runtime.key.is_some(),
    }
}

/// The scope's webhook as its form shows it (never the URL).
pub async fn view(
    db: &Db,
    runtime: &Provisioning,
    actor: &CurrentUser,
    scope: Scope<'_>,
) -> Result<ChatWebhookView, DomainError> {
    require_admin(actor)?;
    require_item(db.pool(), scope).await?;
    let row = store::find(db.pool(), &scope.key()).await?;
    Ok(view_of(scope, row.as_ref(), runtime))
}

fn format_of(text: &str) -> Result<ChatFormat, DomainError> {
    ChatFormat::parse(text.trim())
        .ok_or_else(|| DomainError::invalid("format", "choose Slack-compatible or Microsoft Teams"))
}

fn stale() -> DomainError {
    DomainError::Conflict(
        "Someone else changed this chat webhook meanwhile; reload the page and try again.".into(),
    )
}

fn no_key(err: SealError) -> DomainError {
    DomainError::invalid("url", err.to_string())
}

/// Saves (or removes) the scope's webhook if it is still at `version` (0: none
/// saved yet). Audited with the host only.
pub async fn save(
    db: &Db,
    runtime: &Provisioning,
    actor: &CurrentUser,
    (scope, version): (Scope<'_>, i64),
    input: &ChatWebhookInput,
) -> Result<ChatWebhookView, DomainError> {
    require_admin(actor)?;
    let key = scope.key();
    let format = format_of(&input.format)?;
    // Checked and sealed before the transaction: nothing slow holds the lock.
    let new_url = match input.url.trim() {
        "" => None,
        text => {
            let url = webhook::parse_url(text)?;
            let host = url.host_str().unwrap_or_default().to_owned();
            let sealer = runtime
                .key
                .as_ref()
                .ok_or(SealError::NoKey)
                .map_err(no_key)?;
            let sealed = sealer
                .seal(&sealing_context(&key), url.as_str())
                .map_err(no_key)?;
            Some((sealed, host))
        }
    };
    let mut tx = db.write_tx().await?;
    require_item(&mut *tx, scope).await?;
    let before = store::find(&mut *tx, &key).await?;
    if before.as_ref().map(|r| r.version).unwrap_or(0) != version {
        return Err(stale());
    }
    let actor_id = actor.id.as_str();
    let details = if input.remove {
        let Some(before) = &before else {
            return Ok(view_of(scope, None, runtime));
        };
        if !store::remove(&mut tx, &key, version).await? {
            return Err(stale());
        }
        json!({ "scope": key, "removed": true, "host_before": before.host })
    } else {
        let (sealed, host) = match (&new_url, &before) {
            (Some((sealed, host)), _) => (sealed.clone(), host.clone()),
            (None, Some(before)) => (before.url_sealed.clone(), before.host.clone()),
            (None, None) => {
                return Err(DomainError::invalid(
                    "url",
                    "enter the incoming-webhook URL your chat gave you",
                ));
            }
        };
        if new_url.is_none() && before.as_ref().is_some_and(|b| b.format == format) {
            return Ok(view_of(scope, before.as_ref(), runtime));
        }
        let fields = ChatWebhookFields {
            format,
            url_sealed: &sealed,
            host: &host,
        };
        if !store::save(&mut tx, &key, version, &fields, (actor_id, now())).await? {
            return Err(stale());
        }
        json!({
            "scope": key,
            "host_before": before.as_ref().map(|b| b.host.clone()),
            "host": host,
            "format": format,
            "url_changed": new_url.is_some(),
        })
    };
    let entry = match scope {
        Scope::Org => Entry {
            action: "notification.chat_webhook_changed",
            target_kind: "organisation",
            target_id: "org",
            item_id: None,
            request_id: None,
            details,
        },
        Scope::Item(id) => Entry::about_item("notification.chat_webhook_changed", id, details),
    };
    audit::append(&mut tx, AuditActor::User(actor_id), entry).await?;
    let after = store::find(&mut *tx, &key).await?;
    tx.commit().await?;
    Ok(view_of(scope, after.as_ref(), runtime))
}

/// A chat job's payload: which scope's webhook, and what to post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatJob {
    pub scope: String,
    pub notice: Notice,
}

/// The scopes with a webhook for a task of `item_id`: the organisation's,
/// then the item's.
pub async fn scopes_for(tx: &mut Tx, item_id: &str) -> Result<Vec<String>, DomainError> {
    let mut out = Vec::new();
    for scope in [Scope::Org, Scope::Item(item_id)] {
        let key = scope.key();
        if store::find(&mut **tx, &key).await?.is_some() {
            out.push(key);
        }
    }
    Ok(out)
}

/// Writes one chat job per scope in `scopes` for `notice` (a new task), in the
/// task's transaction; `key` (the task) makes each unique.
pub async fn post(
    tx: &mut Tx,
    scopes: &[String],
    notice: &Notice,
    about: About<'_>,
    key: &str,
    now: i64,
) -> Result<usize, DomainError> {
    let mut written = 0;
    for scope in scopes {
        let job = ChatJob {
            scope: scope.clone(),
            notice: notice.clone(),
        };
        let idempotency_key = format!("chat:{scope}:{key}");
        let wrote = super::queue(
            tx,
            (JobKind::Chat, &idempotency_key),
            (scope, None),
            about,
            &job,
            now,
        )
        .await?;
        written += usize::from(wrote);
    }
    Ok(written)
}

/// A chat message: one line of facts and a link.
struct Message {
    title: String,
    facts: Vec<(&'static str, String)>,
    link: (&'static str, String),
}

fn message(notice: &Notice, public_url: &str) -> Option<Message> {
    let base = public_url.trim_end_matches('/');
    match notice {
        Notice::TaskAssigned {
            task_id,
            item_name,
            request_kind,
            requester_name,
            beneficiary_name,
            step,
            ..
        } => {
            let what = match request_kind {
                crate::types::RequestKind::Grant => "Access request",
                crate::types::RequestKind::Revoke => "Removal request",
            };
            let mut facts = vec![
                ("Item", item_name.clone()),
                ("Requested by", requester_name.clone()),
            ];
            if beneficiary_name != requester_name {
                facts.push(("For", beneficiary_name.clone()));
            }
            facts.push(("Step", step.to_string()));
            Some(Message {
                title: format!("{what} waiting for approval: {item_name}"),
                facts,
                link: ("Open the task", format!("{base}/inbox#task-{task_id}")),
            })
        }
        _ => None,
    }
}

/// Slack's `mrkdwn` control characters, escaped as Slack documents.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Markdown the Adaptive Card text understands, escaped so a name cannot
/// become a link or emphasis.
fn card_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '[' | ']' | '(' | ')' | '`' | '#' | '~' | '>' | '<'
        ) {
            out.push('\\');
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// The JSON body `format` expects for `message`.
fn body(format: ChatFormat, message: &Message) -> Value {
    match format {
        ChatFormat::Slack => {
            let mut text = format!("*{}*", slack_escape(&message.title));
            for (name, value) in &message.facts {
                text.push_str(&format!("\n{name}: {}", slack_escape(value)));
            }
            text.push_str(&format!(
                "\n<{}|{}>",
                slack_escape(&message.link.1),
                message.link.0
            ));
            json!({ "text": text })
        }
        ChatFormat::Teams => json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": card_escape(&message.title),
                            "weight": "Bolder",
                            "wrap": true
                        },
                        {
                            "type": "FactSet",
                            "facts": message.facts.iter().map(|(name, value)| json!({
                                "title": name,
                                "value": card_escape(value),
                            })).collect::<Vec<_>>()
                        }
                    ],
                    "actions": [{
                        "type": "Action.OpenUrl",
                        "title": message.link.0,
                        "url": message.link.1,
                    }]
                }
            }]
        }),
    }
}

/// What one POST came to.
async fn deliver(runtime: &Provisioning, url: &str, body: &Value) -> Attempt {
    let answer = match runtime.http.post(url).json(body).send().await {
        Ok(answer) => answer,
        // The error names the host, never the path (which holds the secret).
        Err(err) if err.is_timeout() => {
            return Attempt::Retry("the chat did not answer in time".into());
        }
        Err(_) => return Attempt::Retry("the chat could not be reached".into()),
    };
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    let said = format!("{} {}", status.as_u16(), answer_excerpt(&text, 200));
    if status.is_success() {
        Attempt::Done(said)
    } else if status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
    {
        Attempt::Retry(said)
    } else {
        // 4xx: the URL was revoked or the body refused; retrying cannot help.
        Attempt::Fail(said)
    }
}

/// Opens the scope's stored URL.
fn open(runtime: &Provisioning, row: &ChatWebhookRow) -> Result<String, String> {
    let key = runtime
        .key
        .as_ref()
        .ok_or_else(|| SealError::NoKey.to_string())?;
    key.open(&sealing_context(&row.scope), &row.url_sealed)
        .map_err(|e| e.to_string())
}

/// "Send a test message": posts one now to the scope's stored webhook, and
/// says what the chat answered.
pub async fn send_test(
    db: &Db,
    runtime: &Provisioning,
    actor: &CurrentUser,
    scope: Scope<'_>,
    public_url: &str,
) -> Result<String, DomainError> {
    require_admin(actor)?;
    require_item(db.pool(), scope).await?;
    let row = store::find(db.pool(), &scope.key())
        .await?
        .ok_or_else(|| DomainError::invalid("url", "save a webhook URL first"))?;
    let url = open(runtime, &row).map_err(|e| DomainError::invalid("url", e))?;
    let message = Message {
        title: "Countersign can post here".into(),
        facts: vec![("Sent by", actor.name.clone())],
        link: (
            "Open Countersign",
            public_url.trim_end_matches('/').to_owned(),
        ),
    };
    match deliver(runtime, &url, &body(row.format, &message)).await {
        Attempt::Done(said) => Ok(format!("The chat accepted the test message ({said}).")),
        Attempt::Retry(said) | Attempt::Fail(said) => Err(DomainError::invalid(
            "url",
            format!("the chat did not accept the test message: {said}"),
        )),
        Attempt::Manual { why, .. } => Err(DomainError::invalid("url", why)),
    }
}

/// Posts chat jobs for the [`crate::domain::outbox::Worker`].
pub struct ChatHandler {
    db: Db,
    runtime: Provisioning,
    public_url: String,
}

impl ChatHandler {
    pub fn new(db: Db, runtime: Provisioning, public_url: &str) -> ChatHandler {
        ChatHandler {
            db,
            runtime,
            public_url: public_url.to_owned(),
        }
    }
}

#[async_trait::async_trait]
impl JobHandler for ChatHandler {
    async fn attempt(&self, job: &JobRow) -> Attempt {
        let chat: ChatJob = match serde_json::from_str(&job.payload_json) {
            Ok(chat) => chat,
            Err(err) => return Attempt::Fail(format!("the job's payload cannot be read: {err}")),
        };
        let row = match store::find(self.db.pool(), &chat.scope).await {
            Ok(Some(row)) => row,
            Ok(None) => return Attempt::Done("not sent: the chat webhook was removed".into()),
            Err(err) => return Attempt::Retry(format!("database: {err}")),
        };
        let Some(message) = message(&chat.notice, &self.public_url) else {
            return Attempt::Fail("nothing to post for this notice".into());
        };
        let url = match open(&self.runtime, &row) {
            Ok(url) => url,
            Err(err) => return Attempt::Fail(err),
        };
        deliver(&self.runtime, &url, &body(row.format, &message)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::RequestKind;

    fn task(item: &str, requester: &str) -> Notice {
        Notice::TaskAssigned {
            task_id: "t1".into(),
            request_id: "r1".into(),
            item_name: item.into(),
            request_kind: RequestKind::Grant,
            requester_name: requester.into(),
            beneficiary_name: requester.into(),
            step: 1,
        }
    }

    #[test]
    fn slack_text_links_to_the_task_and_escapes_names() {
        let m = message(
            &task("Payroll", "<!channel> & co"),
            "https://cs.example.com/",
        )
        .unwrap();
        let text = body(ChatFormat::Slack, &m)["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            text.contains("<https://cs.example.com/inbox#task-t1|Open the task>"),
            "{text}"
        );
        assert!(text.contains("&lt;!channel&gt; &amp; co"), "{text}");
        assert!(!text.contains("<!channel>"), "{text}");
    }

    #[test]
    fn a_teams_card_cannot_be_given_links_by_a_name() {
        let m = message(
            &task("[Click](https://evil.example)", "Eve"),
            "https://cs.example.com",
        )
        .unwrap();
        let card = body(ChatFormat::Teams, &m);
        let content = &card["attachments"][0]["content"];
        assert_eq!(content["type"], "AdaptiveCard");
        assert_eq!(
            content["actions"][0]["url"],
            "https://cs.example.com/inbox#task-t1"
        );
        let title = content["body"][0]["text"].as_str().unwrap();
        assert!(
            title.contains("\\[Click\\]\\(https://evil.example\\)"),
            "{title}"
        );
    }

    #[test]
    fn a_sealed_url_opens_only_for_its_scope() {
        let key = crate::domain::provisioning::sealing::SecretKey::parse(&"ab".repeat(32)).unwrap();
        let sealed = key
            .seal(
                &sealing_context(&Scope::Item("i1").key()),
                "https://hooks.example.com/x",
            )
            .unwrap();
        assert!(key.open(&sealing_context("item:i1"), &sealed).is_ok());
        assert!(key.open(&sealing_context("org"), &sealed).is_err());
        assert!(key.open("i1", &sealed).is_err());
    }
}
