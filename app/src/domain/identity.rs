//! Who is signed in, and what they may do: roles from the provider's groups claim.
//! Signing in and out are audited here: who, when, and every change of groups (and
//! so of roles) the provider reports, with before and after.

use std::collections::BTreeSet;

use serde_json::json;

use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    directory::{DirectorySettings, sign_in::SignInRefused},
    handover,
    routing::Fallback,
};
use crate::{
    db::{
        Db, assignments,
        users::{self, SignInProfile, UserRow},
    },
    types::{AssignmentView, CurrentUser, DirectoryMode, LeaverAccess, Page, Role},
};

/// Records a sign-in the provider vouched for: creates or refreshes the person,
/// and appends `user.signed_in` and, when their groups differ from those stored at
/// their previous sign-in, `user.roles_changed` (groups and roles, before and
/// after, added and removed), in one transaction.
pub async fn record_sign_in(
    db: &Db,
    profile: &SignInProfile<'_>,
    roles: &RoleMap,
) -> Result<UserRow, DomainError> {
    record_sign_in_with(db, profile, roles, &DirectorySettings::default())
        .await
        .map_err(|refused| match refused {
            SignInRefused::Failed(err) => err,
            SignInRefused::Disabled => DomainError::Forbidden("this account is disabled"),
            SignInRefused::NotInDirectory | SignInRefused::LinkConflict => {
                DomainError::Forbidden("the directory does not let this person in")
            }
        })
}

/// [`record_sign_in`] with the directory's settings: a person the directory
/// pushed is linked at their first sign-in (`directory::sign_in`); with the
/// directory as the truth (`scim`), the sign-in changes neither their profile
/// nor their groups, and a person it does not know is refused.
pub async fn record_sign_in_with(
    db: &Db,
    profile: &SignInProfile<'_>,
    roles: &RoleMap,
    directory: &DirectorySettings,
) -> Result<UserRow, SignInRefused> {
    let mut tx = db.write_tx().await?;
    let resolved = super::directory::sign_in::resolve(&mut tx, profile, directory).await?;
    let before = resolved.user;
    let user = match (&before, directory.mode) {
        (Some(known), DirectoryMode::Scim) => {
            crate::db::directory::people::signed_in(&mut tx, &known.id, super::now()).await?;
            known.clone()
        }
        _ => users::upsert_in(&mut tx, profile).await?,
    };
    let entry = |action, details| Entry {
        action,
        target_kind: "user",
        target_id: &user.id,
        item_id: None,
        request_id: None,
        details,
    };
    let after: BTreeSet<&String> = user.groups.iter().collect();
    let role_names = |groups: &[String]| -> Vec<&'static str> {
        roles
            .roles_for(groups)
            .into_iter()
            .map(Role::as_str)
            .collect()
    };
    audit::append(
        &mut tx,
        AuditActor::User(&user.id),
        entry(
            "user.signed_in",
            json!({
                "first_sign_in": before.is_none() || resolved.linked,
                "groups": after,
                "roles": role_names(&user.groups),
            }),
        ),
    )
    .await?;
    if let Some(before) = &before {
        let was: BTreeSet<&String> = before.groups.iter().collect();
        if was != after {
            let added: Vec<_> = after.difference(&was).collect();
            let removed: Vec<_> = was.difference(&after).collect();
            audit::append(
                &mut tx,
                AuditActor::User(&user.id),
                entry(
                    "user.roles_changed",
                    json!({
                        "groups_before": was,
                        "groups_after": after,
                        "added": added,
                        "removed": removed,
                        "roles_before": role_names(&before.groups),
                        "roles_after": role_names(&user.groups),
                    }),
                ),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(user)
}

/// Records that `user_id` signs out (called before their session is ended).
pub async fn record_sign_out(db: &Db, user_id: &str) -> Result<(), DomainError> {
    let mut tx = db.write_tx().await?;
    audit::append(
        &mut tx,
        AuditActor::User(user_id),
        Entry {
            action: "user.signed_out",
            target_kind: "user",
            target_id: user_id,
            item_id: None,
            request_id: None,
            details: json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What ending a person's standing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    pub sessions: u64,
    pub tokens: u64,
}

/// Ends every session of `user_id` and revokes every token of theirs, and
/// records it as `action` by `by` (with `details` besides the counts), in `tx`.
async fn end_standing(
    tx: &mut crate::db::Tx,
    user_id: &str,
    (by, action): (AuditActor<'_>, &'static str),
    details: serde_json::Map<String, serde_json::Value>,
) -> Result<Ended, DomainError> {
    let sessions = crate::db::session_store::end_all_of(tx, user_id).await?;
    let tokens = crate::db::tokens::revoke_all_of(tx, user_id, super::now()).await?;
    let mut details = details;
    details.insert("sessions_ended".into(), json!(sessions));
    details.insert("tokens_revoked".into(), json!(tokens));
    audit::append(
        tx,
        by,
        Entry {
            action,
            target_kind: "user",
            target_id: user_id,
            item_id: None,
            request_id: None,
            details: serde_json::Value::Object(details),
        },
    )
    .await?;
    Ok(Ended { sessions, tokens })
}

/// "Sign out everywhere": every session of the person ends and every personal
/// access token of theirs is revoked, in one transaction, audited.
pub async fn sign_out_everywhere(db: &Db, user_id: &str) -> Result<Ended, DomainError> {
    let mut tx = db.write_tx().await?;
    let by = (AuditActor::User(user_id), "user.signed_out_everywhere");
    let ended = end_standing(&mut tx, user_id, by, Default::default()).await?;
    tx.commit().await?;
    Ok(ended)
}

/// Disables a person (an administrator, or later the directory): they cannot
/// sign in again, their sessions end and their tokens are revoked at once.
pub async fn disable(db: &Db, actor: &CurrentUser, user_id: &str) -> Result<Ended, DomainError> {
    if !actor.has(Role::Admin) {
        return Err(DomainError::Forbidden("only administrators disable people"));
    }
    if actor.id == user_id {
        return Err(DomainError::invalid("user", "you cannot disable yourself"));
    }
    let mut tx = db.write_tx().await?;
    if users::find_in(&mut *tx, user_id).await?.is_none() {
        return Err(DomainError::NotFound("person"));
    }
    if !users::disable(&mut tx, user_id, super::now()).await? {
        return Err(DomainError::Conflict(
            "This person is already disabled.".into(),
        ));
    }
    let by = (AuditActor::User(&actor.id), "user.disabled");
    let ended = end_standing(&mut tx, user_id, by, Default::default()).await?;
    tx.commit().await?;
    Ok(ended)
}

/// What a person's leaving did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub ended: Ended,
    /// The pending requests for them, cancelled.
    pub requests_cancelled: Vec<String>,
    /// The pending tasks given to them by name, handed to their step's fallback.
    pub tasks_moved: Vec<String>,
    /// What they held, each revoked: the assignment ended and its reverse
    /// provisioning job written (reason "left"), so every target takes it away.
    pub assignments_revoked: Vec<AssignmentView>,
}

/// A person leaves the organisation: the directory deactivated or deleted them.
/// In `tx` (the directory's change), each step audited with `by` as the actor:
/// - they are disabled: they cannot sign in, their sessions end and their
///   personal tokens are revoked;
/// - the pending requests for them are cancelled with their tasks
///   (`request.cancelled`);
/// - the pending tasks given to them by name go to their step's fallback, the
///   item's owner or else the first administrators' group
///   (`approval.reassigned`, reason "approver left");
/// - requests they made for someone else stay: that person still wants them;
/// - what they hold is revoked: each assignment ends and its reverse
///   provisioning job is written (`assignment.revoked`, reason "left"), listed
///   in `user.left`.
///
/// Returns `None` (and changes nothing) when they had already left.
pub async fn leave(
    tx: &mut crate::db::Tx,
    user_id: &str,
    by: AuditActor<'_>,
    fallback: &Fallback,
) -> Result<Option<Left>, DomainError> {
    if !users::disable(tx, user_id, super::now()).await? {
        return Ok(None);
    }
    let requests_cancelled = super::requests::cancel_for_leaver(tx, user_id, &by).await?;
    let tasks_moved = handover::tasks_of_leaver(tx, user_id, &by, fallback).await?;
    // Each revoke ends its assignment, so the next batch holds the rest.
    let mut assignments_revoked = Vec::new();
    loop {
        let batch = assignments::of_user(&mut **tx, user_id, REVOKE_BATCH).await?;
        let mut revoked = false;
        for held in batch {
            revoked |= super::provisioning::revoke_assignment(
                tx,
                (user_id, &held.item_id),
                super::provisioning::RevokeReason::Left,
                by.clone(),
            )
            .await?;
            assignments_revoked.push(held);
        }
        if !revoked {
            break;
        }
    }
    let held: Vec<_> = assignments_revoked
        .iter()
        .map(|a| json!({ "item_id": a.item_id, "item_name": a.item_name, "end_date": a.end_date }))
        .collect();
    let mut details = serde_json::Map::new();
    details.insert("requests_cancelled".into(), json!(requests_cancelled));
    details.insert("tasks_moved".into(), json!(tasks_moved));
    details.insert("assignments_revoked".into(), json!(held));
    let ended = end_standing(tx, user_id, (by, "user.left"), details).await?;
    Ok(Some(Left {
        ended,
        requests_cancelled,
        tasks_moved,
        assignments_revoked,
    }))
}

/// How many of a leaver's assignments are read at a time to be revoked.
const REVOKE_BATCH: i64 = 500;

/// One page of what people who were disabled (or left before leaving revoked
/// access) still hold, in the order they left: the Directory page's "Access to
/// remove". Administrators only.
/// `after` is the `next` of the previous page.
pub async fn access_of_leavers(
    db: &Db,
    actor: &CurrentUser,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<LeaverAccess>, DomainError> {
    if !actor.has(Role::Admin) {
        return Err(DomainError::Forbidden(
            "only administrators see the access of people who left",
        ));
    }
    let limit = limit.clamp(1, 100);
    let after = match after {
        None => None,
        Some(cursor) => Some(parse_leaver_cursor(cursor).ok_or_else(|| {
            DomainError::invalid(
                "after",
                "this page link is damaged: start from the first page",
            )
        })?),
    };
    let rows = assignments::of_leavers(db.pool(), after, limit + 1).await?;
    Ok(Page::from_overfetch(rows, limit, |r| {
        format!("{}\u{1f}{}\u{1f}{}", r.left_at, r.user_id, r.item_id)
    }))
}

fn parse_leaver_cursor(cursor: &str) -> Option<(i64, &str, &str)> {
    let mut parts = cursor.split('\u{1f}');
    let at = parts.next()?.parse().ok()?;
    let user = parts.next()?;
    let item = parts.next()?;
    parts.next().is_none().then_some((at, user, item))
}

/// Sets `user_id`'s manager (the directory's `manager.value`), audited as
/// `user.manager_changed` by `by` when it changes. The open tasks of their
/// pending requests' manager steps follow: each goes to the new manager (or,
/// when there is none, they left, or they made the request, to the step's
/// fallback), audited as `approval.reassigned` (reason "manager changed").
/// Returns whether the manager changed.
pub async fn set_manager(
    tx: &mut crate::db::Tx,
    user_id: &str,
    manager_id: Option<&str>,
    by: AuditActor<'_>,
    fallback: &Fallback,
) -> Result<bool, DomainError> {
    if manager_id == Some(user_id) {
        return Err(DomainError::invalid(
            "manager",
            "a person cannot manage themselves",
        ));
    }
    let before = users::set_manager(tx, user_id, manager_id).await?;
    if before.as_deref() == manager_id {
        return Ok(false);
    }
    audit::append(
        tx,
        by.clone(),
        Entry {
            action: "user.manager_changed",
            target_kind: "user",
            target_id: user_id,
            item_id: None,
            request_id: None,
            details: json!({ "manager_before": before, "manager_after": manager_id }),
        },
    )
    .await?;
    handover::follow_manager(tx, user_id, &by, fallback).await?;
    Ok(true)
}

/// Which of the provider's groups grant which role. Everybody signed in is a
/// requester; the other roles come only from these groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMap {
    pub admin_groups: Vec<String>,
    pub approver_groups: Vec<String>,
    pub auditor_groups: Vec<String>,
}

impl RoleMap {
    pub fn roles_for(&self, groups: &[String]) -> Vec<Role> {
        let member = |wanted: &[String]| groups.iter().any(|g| wanted.contains(g));
        let mut roles = vec![Role::Requester];
        if member(&self.approver_groups) {
            roles.push(Role::Approver);
        }
        if member(&self.admin_groups) {
            roles.push(Role::Admin);
        }
        if member(&self.auditor_groups) {
            roles.push(Role::Auditor);
        }
        roles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> RoleMap {
        RoleMap {
            admin_groups: vec!["admins".into()],
            approver_groups: vec!["approvers".into(), "managers".into()],
            auditor_groups: vec!["auditors".into()],
        }
    }

    #[test]
    fn everybody_signed_in_is_a_requester() {
        assert_eq!(map().roles_for(&[]), vec![Role::Requester]);
    }

    #[test]
    fn groups_grant_the_configured_roles_only() {
        let groups = vec![
            "managers".to_string(),
            "auditors".to_string(),
            "other".into(),
        ];
        assert_eq!(
            map().roles_for(&groups),
            vec![Role::Requester, Role::Approver, Role::Auditor]
        );
    }

    #[test]
    fn group_names_match_exactly() {
        assert_eq!(
            map().roles_for(&["Admins".into(), "admin".into()]),
            vec![Role::Requester]
        );
    }
}
