//! The daily digest: an approver with more pending tasks than the
//! organisation's `digestThreshold` gets one mail a day listing them, instead
//! of a mail per new task.

use std::sync::Mutex;

use super::{About, DIGEST_MAX, DigestLine, Notice, people, send};
use crate::{
    db::{Db, Tx, notifications::Recipient, org_config, tasks, users, waiting},
    domain::{DomainError, outbox::Scheduled},
};

const DAY: i64 = 86_400;
/// How many approvers one page of the scan reads.
const PAGE: i64 = 200;

/// How many tasks `user_id` may decide now (by name or through their groups).
async fn pending_count(tx: &mut Tx, user_id: &str) -> Result<i64, DomainError> {
    let groups = users::find_in(&mut **tx, user_id)
        .await?
        .map(|u| u.groups)
        .unwrap_or_default();
    Ok(tasks::inbox_count(&mut **tx, user_id, &groups).await?)
}

/// `to` without those who read their tasks in the daily digest: with
/// `digestThreshold` N > 0, whoever has more than N pending tasks (the new
/// one counted) gets no mail for it; the next digest lists it.
pub(super) async fn without_digest_readers(
    tx: &mut Tx,
    to: Vec<Recipient>,
) -> Result<Vec<Recipient>, DomainError> {
    let threshold = org_config::load(&mut **tx).await?.config.digest_threshold;
    if threshold <= 0 {
        return Ok(to);
    }
    let mut kept = Vec::with_capacity(to.len());
    for recipient in to {
        if pending_count(tx, &recipient.id).await? <= threshold {
            kept.push(recipient);
        }
    }
    Ok(kept)
}

/// Writes, at `now`, the day's digest of every approver with more than the
/// threshold's pending tasks; once per person and UTC day (the job's
/// idempotency key), however many workers run. Returns the mails written.
pub async fn send_digests(db: &Db, now: i64) -> Result<usize, DomainError> {
    let threshold = org_config::load(db.pool()).await?.config.digest_threshold;
    if threshold <= 0 {
        return Ok(0);
    }
    let day = now.div_euclid(DAY);
    let mut written = 0;
    let mut after = String::new();
    loop {
        let page = waiting::approvers(db.pool(), &after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.clone();
        for user_id in &page {
            let mut tx = db.write_tx().await?;
            if !super::enabled(&mut tx).await? {
                return Ok(written);
            }
            let total = pending_count(&mut tx, user_id).await?;
            if total <= threshold {
                continue;
            }
            let groups = users::find_in(&mut *tx, user_id)
                .await?
                .map(|u| u.groups)
                .unwrap_or_default();
            let lines = tasks::inbox(&mut *tx, user_id, &groups, None, DIGEST_MAX)
                .await?
                .into_iter()
                .map(|(task, request)| DigestLine {
                    task_id: task.id,
                    item_name: request.item_name,
                    beneficiary_name: request.beneficiary_name,
                    opened_at: task.created_at,
                })
                .collect();
            let to = people(&mut tx, &[user_id.as_str()]).await?;
            let notice = Notice::TaskDigest {
                day,
                total,
                tasks: lines,
            };
            written += send(
                &mut tx,
                &to,
                &notice,
                About::default(),
                &day.to_string(),
                now,
            )
            .await?;
            tx.commit().await?;
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok(written)
}

/// The digest as the worker's [`Scheduled`] work: at its first round of each
/// UTC day (by its clock).
pub struct DigestScan {
    db: Db,
    last_day: Mutex<Option<i64>>,
}

impl DigestScan {
    pub fn new(db: Db) -> DigestScan {
        DigestScan {
            db,
            last_day: Mutex::new(None),
        }
    }
}

#[async_trait::async_trait]
impl Scheduled for DigestScan {
    async fn run(&self, now: i64) -> Result<(), DomainError> {
        let day = now.div_euclid(DAY);
        let done = *self
            .last_day
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if done == Some(day) {
            return Ok(());
        }
        send_digests(&self.db, now).await?;
        *self
            .last_day
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(day);
        Ok(())
    }
}
