//! The worker's scheduled look at what time brings: access that ends in 7
//! days or tomorrow is announced to its holder, once each.

use super::{About, Notice, people, send};
use crate::{
    db::{Db, notifications as store},
    domain::{DomainError, outbox::Scheduled},
};

const DAY: i64 = 86_400;
/// How many assignments one transaction announces.
const PAGE: i64 = 200;

/// Announces access about to end (a [`Scheduled`] job of the worker).
pub struct AccessEndingScan {
    db: Db,
}

impl AccessEndingScan {
    pub fn new(db: Db) -> AccessEndingScan {
        AccessEndingScan { db }
    }
}

/// Whole days from `now` to `end` (rounded up): 1 means "within a day".
fn days_left(now: i64, end: i64) -> i64 {
    ((end - now) + DAY - 1) / DAY
}

/// Writes, at `now`, the mail "ends in 7 days" for access ending within 7 days
/// and "ends tomorrow" for access ending within a day; each once per holder,
/// item and end date (the job's idempotency key). Returns the mails written.
pub async fn announce_access_ending(db: &Db, now: i64) -> Result<usize, DomainError> {
    let mut written = 0;
    let mut after: Option<(i64, String, String)> = None;
    loop {
        let page = store::ending_between(
            db.pool(),
            (now, now + 7 * DAY),
            after.as_ref().map(|(e, u, i)| (*e, u.as_str(), i.as_str())),
            PAGE,
        )
        .await?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some((last.end_date, last.user_id.clone(), last.item_id.clone()));
        let mut tx = db.write_tx().await?;
        if !super::enabled(&mut tx).await? {
            return Ok(0);
        }
        for ending in &page {
            let left = days_left(now, ending.end_date);
            let mark = if left <= 1 { 1 } else { 7 };
            let to = people(&mut tx, &[ending.user_id.as_str()]).await?;
            let notice = Notice::AccessEnding {
                item_name: ending.item_name.clone(),
                end_date: ending.end_date,
                days_left: left,
            };
            let about = About {
                item_id: Some(&ending.item_id),
                request_id: None,
            };
            let key = format!("{}:{}:{mark}", ending.item_id, ending.end_date);
            written += send(&mut tx, &to, &notice, about, &key, now).await?;
        }
        tx.commit().await?;
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok(written)
}

#[async_trait::async_trait]
impl Scheduled for AccessEndingScan {
    async fn run(&self, now: i64) -> Result<(), DomainError> {
        announce_access_ending(&self.db, now).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_counted_up() {
        assert_eq!(days_left(0, 1), 1);
        assert_eq!(days_left(0, DAY), 1);
        assert_eq!(days_left(0, DAY + 1), 2);
        assert_eq!(days_left(0, 7 * DAY), 7);
    }
}
