//! A person's choices: which non-essential mail they get (the Notifications
//! page), and the one-click unsubscribe of a mail's link.

use serde_json::json;

use super::token_hash;
use crate::{
    db::{Db, notifications as store, users},
    domain::{
        DomainError,
        audit::{self, AuditActor, Entry},
        now,
    },
    types::{CurrentUser, NotificationSettings, NotificationTopic, TopicChoice},
};

/// `actor`'s settings.
pub async fn settings(db: &Db, actor: &CurrentUser) -> Result<NotificationSettings, DomainError> {
    let off = store::opt_outs(db.pool(), &actor.id).await?;
    let email = users::find(db, &actor.id).await?.and_then(|u| u.email);
    Ok(NotificationSettings {
        mail_enabled: store::mail_enabled(db.pool()).await?,
        email,
        topics: NotificationTopic::ALL
            .iter()
            .map(|topic| TopicChoice {
                topic: *topic,
                on: !off.iter().any(|t| t == topic.as_str()),
            })
            .collect(),
    })
}

/// Turns on exactly the topics in `on` for `actor` (the others off), audited
/// when something changed.
pub async fn save(
    db: &Db,
    actor: &CurrentUser,
    on: &[NotificationTopic],
) -> Result<NotificationSettings, DomainError> {
    let at = now();
    let mut tx = db.write_tx().await?;
    let mut changed = Vec::new();
    for topic in NotificationTopic::ALL {
        let off = !on.contains(&topic);
        if store::set_opt_out(&mut tx, &actor.id, topic.as_str(), off, at).await? {
            changed.push(json!({ "topic": topic, "on": !off }));
        }
    }
    if !changed.is_empty() {
        audit::append(
            &mut tx,
            AuditActor::User(&actor.id),
            Entry {
                action: "notifications.changed",
                target_kind: "user",
                target_id: &actor.id,
                item_id: None,
                request_id: None,
                details: json!({ "changes": changed }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    settings(db, actor).await
}

/// The topic an unsubscribe link turns off, to show before it is used.
pub async fn unsubscribe_topic(db: &Db, token: &str) -> Result<NotificationTopic, DomainError> {
    let (_, topic) = store::unsubscribe_of(db.pool(), &token_hash(token))
        .await?
        .ok_or(DomainError::NotFound("unsubscribe link"))?;
    topic
        .parse()
        .map_err(|_| DomainError::NotFound("unsubscribe link"))
}

/// Turns off the topic of the mail whose link carries `token` (RFC 8058 one
/// click, no sign-in: the token allows this and nothing else).
pub async fn unsubscribe(db: &Db, token: &str) -> Result<NotificationTopic, DomainError> {
    let mut tx = db.write_tx().await?;
    let (user_id, topic) = store::unsubscribe_of(&mut *tx, &token_hash(token))
        .await?
        .ok_or(DomainError::NotFound("unsubscribe link"))?;
    let parsed: NotificationTopic = topic
        .parse()
        .map_err(|_| DomainError::NotFound("unsubscribe link"))?;
    if store::set_opt_out(&mut tx, &user_id, &topic, true, now()).await? {
        audit::append(
            &mut tx,
            AuditActor::User(&user_id),
            Entry {
                action: "notifications.changed",
                target_kind: "user",
                target_id: &user_id,
                item_id: None,
                request_id: None,
                details: json!({ "changes": [{ "topic": parsed, "on": false }],
                                 "by": "unsubscribe link" }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(parsed)
}
