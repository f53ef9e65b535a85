//! Access held over time: expiry of assignments past their end date.

use serde_json::json;

use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    now,
};
use crate::db::{Db, assignments};

/// Removes access whose end date has passed. Each removal is a conditional
/// delete in its own transaction, so with several replicas running this at once
/// every expiry happens (and is audited) exactly once.
pub async fn expire_assignments(db: &Db) -> Result<usize, DomainError> {
    let at = now();
    let mut done = 0;
    for (user_id, item_id) in assignments::expired(db.pool(), at, 500).await? {
        let mut tx = db.write_tx().await?;
        if assignments::remove(&mut tx, &user_id, &item_id).await? {
            audit::append(
                &mut tx,
                AuditActor::System,
                Entry {
                    action: "assignment.expired",
                    target_kind: "assignment",
                    target_id: &format!("{user_id}:{item_id}"),
                    item_id: Some(&item_id),
                    request_id: None,
                    details: json!({ "user_id": user_id, "expired_at": at }),
                },
            )
            .await?;
            tx.commit().await?;
            done += 1;
        }
    }
    Ok(done)
}
