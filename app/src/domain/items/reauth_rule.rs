//! The Reauthentication tab: whether approving an item must be e-signed, and
//! for how long one signature covers further approvals.

use serde_json::json;

use super::{WINDOW_MAX, require_admin, stale};
use crate::{
    db::{Db, items as store},
    domain::{
        DomainError,
        audit::{self, AuditActor, Entry},
        now, reauth,
    },
    types::{AccessItem, CurrentUser},
};

/// The Reauthentication tab's rule for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReauthRule {
    pub require: bool,
    /// `None`: the organisation's default window.
    pub window_minutes: Option<i64>,
}

/// The Reauthentication tab. Turning the requirement off (or widening the window)
/// weakens a control, so it needs the admin's own fresh re-authentication (`proof`).
pub async fn set_reauth(
    db: &Db,
    actor: &CurrentUser,
    session_key: &str,
    (id, version): (&str, i64),
    rule: ReauthRule,
    proof: Option<&str>,
) -> Result<AccessItem, DomainError> {
    let ReauthRule {
        require,
        window_minutes,
    } = rule;
    require_admin(actor)?;
    if let Some(w) = window_minutes
        && !(0..=WINDOW_MAX).contains(&w)
    {
        return Err(DomainError::invalid(
            "window",
            format!("must be between 0 and {WINDOW_MAX} minutes"),
        ));
    }
    let mut tx = db.write_tx().await?;
    let before = store::find(&mut *tx, id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    let weakens = before.require_reauth
        && (!require
            || window_minutes.unwrap_or(0) > before.reauth_window_minutes.unwrap_or(0)
            || (window_minutes.is_none() && before.reauth_window_minutes.is_some()));
    let action = reauth::SignedAction::ItemReauth {
        item_id: id.to_owned(),
        version,
        require,
        window_minutes,
    };
    let (mut tx, evidence) =
        reauth::step_up(db, tx, (actor, session_key), &action, proof, weakens).await?;
    if !store::update_reauth(
        &mut *tx,
        id,
        version,
        require,
        window_minutes,
        &actor.id,
        now(),
    )
    .await?
    {
        return Err(stale());
    }
    let after = store::find(&mut *tx, id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry::about_item(
            "item.reauth_changed",
            id,
            json!({
                "before": { "require_reauth": before.require_reauth,
                            "reauth_window_minutes": before.reauth_window_minutes },
                "after": { "require_reauth": after.require_reauth,
                           "reauth_window_minutes": after.reauth_window_minutes },
                "step_up": evidence,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
