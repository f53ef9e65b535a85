//! Access held over time: expiry of assignments past their end date, and an
//! administrator's revoke.

use super::{
    DomainError,
    audit::AuditActor,
    now,
    provisioning::{self, RevokeReason},
};
use crate::{
    db::{Db, assignments},
    types::{CurrentUser, Holder, Page, Role, parse_time_cursor},
};

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

/// An administrator takes `user_id`'s access to `item_id` away: the assignment
/// ends and the job that revokes it at the target is written, audited as
/// `assignment.revoked` (reason "revoked") with the administrator as the actor.
/// Revoking access never weakens a control, so it needs no step-up.
pub async fn revoke(
    db: &Db,
    actor: &CurrentUser,
    (user_id, item_id): (&str, &str),
) -> Result<(), DomainError> {
    if !actor.has(Role::Admin) {
        return Err(DomainError::Forbidden("only administrators revoke access"));
    }
    let mut tx = db.write_tx().await?;
    if !provisioning::revoke_assignment(
        &mut tx,
        (user_id, item_id),
        RevokeReason::Revoked,
        AuditActor::User(&actor.id),
    )
    .await?
    {
        return Err(DomainError::NotFound("access held by this person"));
    }
    tx.commit().await?;
    Ok(())
}

/// One page of the people holding `item_id`, newest grant first (administrators
/// only); `after` is the previous page's `next`.
pub async fn holders(
    db: &Db,
    actor: &CurrentUser,
    item_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<Holder>, DomainError> {
    if !actor.has(Role::Admin) {
        return Err(DomainError::Forbidden(
            "only administrators see who holds an item",
        ));
    }
    let before = match after {
        None => None,
        Some(cursor) => Some(parse_time_cursor(cursor).ok_or_else(|| {
            DomainError::invalid(
                "after",
                "this page link is damaged: start from the first page",
            )
        })?),
    };
    let limit = limit.clamp(1, 100);
    let rows = assignments::of_item(db.pool(), item_id, before, limit + 1).await?;
    Ok(Page::from_overfetch(rows, limit, |h| {
        format!("{}_{}", h.granted_at, h.id)
    }))
}
