//! Access held over time: expiry of assignments past their end date.

use super::{
    DomainError,
    audit::AuditActor,
    now,
    provisioning::{self, RevokeReason},
};
use crate::db::{Db, assignments};

/// Removes access whose end date has passed, and writes the job that revokes it
/// in the target. Each removal is a conditional delete in its own transaction,
/// so with several replicas running this at once every expiry happens (and is
/// audited, and revoked) exactly once.
pub async fn expire_assignments(db: &Db) -> Result<usize, DomainError> {
    let at = now();
    let mut done = 0;
    for (user_id, item_id) in assignments::expired(db.pool(), at, 500).await? {
        let mut tx = db.write_tx().await?;
        let holding = (user_id.as_str(), item_id.as_str());
        if provisioning::revoke_assignment(
            &mut tx,
            holding,
            RevokeReason::Expired,
            AuditActor::System,
        )
        .await?
        {
            tx.commit().await?;
            done += 1;
        }
    }
    Ok(done)
}
