//! The Approvals tab: an item's ordered approval steps, and how they read.

use serde_json::json;

use super::{STEPS_MAX, require_admin, stale};
use crate::{
    db::{Db, items as store, users},
    domain::{
        DomainError,
        audit::{self, AuditActor, Entry},
        identity::RoleMap,
        now, people, reauth,
    },
    types::{AccessItem, ApprovalStepView, Approver, CurrentUser},
};

/// Replaces the approval steps (the Approvals tab). A named approver must hold
/// the approver role (`roles`) and not have left. Changing the steps of an item
/// whose approvals must be e-signed changes who signs, so it needs the admin's
/// fresh re-authentication.
pub async fn set_steps(
    db: &Db,
    (actor, session_key): (&CurrentUser, &str),
    (id, version): (&str, i64),
    (steps, roles): (&[Approver], &RoleMap),
    proof: Option<&str>,
) -> Result<AccessItem, DomainError> {
    require_admin(actor)?;
    if steps.len() > STEPS_MAX {
        return Err(DomainError::invalid(
            "steps",
            format!("at most {STEPS_MAX} approval steps"),
        ));
    }
    for step in steps {
        match step {
            Approver::Owner | Approver::Manager => {}
            Approver::User { user_id } => {
                people::eligible_approver(db.pool(), user_id, roles).await?;
            }
            Approver::Group { group } => {
                let group = group.trim();
                if group.is_empty() || group.len() > 200 {
                    return Err(DomainError::invalid("steps", "a group name is required"));
                }
            }
        }
    }
    let mut tx = db.write_tx().await?;
    let item = store::find(&mut *tx, id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    if steps.is_empty() && item.requestable {
        return Err(DomainError::invalid(
            "steps",
            "a requestable item needs at least one approval step",
        ));
    }
    let before = store::steps(&mut *tx, id).await?;
    let weakens = item.require_reauth && before != steps;
    let action = reauth::SignedAction::ItemSteps {
        item_id: id.to_owned(),
        version,
        steps: steps.to_vec(),
    };
    let (mut tx, step_up) =
        reauth::step_up(db, tx, (actor, session_key), &action, proof, weakens).await?;
    if !store::touch(&mut *tx, id, version, &actor.id, now()).await? {
        return Err(stale());
    }
    store::replace_steps(&mut tx, id, steps).await?;
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry::about_item(
            "item.steps_changed",
            id,
            json!({ "before": before, "after": steps, "step_up": step_up }),
        ),
    )
    .await?;
    let after = store::find(&mut *tx, id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    tx.commit().await?;
    Ok(after)
}

/// The steps with names to show, each flagged when it can no longer be decided.
pub async fn steps_view(db: &Db, id: &str) -> Result<Vec<ApprovalStepView>, DomainError> {
    let item = store::find(db.pool(), id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    let mut out = Vec::new();
    for approver in store::steps(db.pool(), id).await? {
        let (label, broken) = match &approver {
            Approver::Owner => match &item.owner_name {
                Some(name) => (format!("Item owner ({name})"), false),
                None => ("Item owner (none set)".to_owned(), true),
            },
            Approver::User { user_id } => match users::find(db, user_id).await? {
                Some(user) if user.disabled_at.is_some() => {
                    (format!("{} (left the organisation)", user.name), true)
                }
                Some(user) => (user.name, false),
                None => ("Unknown person".to_owned(), true),
            },
            Approver::Group { group } => (
                format!("Any member of {group}"),
                !users::group_exists(db, group).await?,
            ),
            // Whoever manages each beneficiary; without one, the fallback decides.
            Approver::Manager => (Approver::MANAGER_LABEL.to_owned(), false),
        };
        out.push(ApprovalStepView {
            approver,
            label,
            broken,
        });
    }
    Ok(out)
}
