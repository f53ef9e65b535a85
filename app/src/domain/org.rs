//! The organisation's access-request configuration: re-authentication and its
//! default window (docs/reauthentication.md), external-only approvals,
//! auto-approval, and who may request for whom. Admins change it; every rule
//! reads it from here.

use serde_json::json;

use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    escalation,
    items::WINDOW_MAX,
    now, reauth,
    routing::Fallback,
};
use crate::{
    db::{Db, org_config, users},
    types::{
        AccessRequestConfig, ApprovalReminderAndEscalationConfig, CurrentUser, FallbackApproverRef,
        OrgSettings, PersonRef, Role,
    },
};

/// The configuration in force.
pub async fn config(db: &Db) -> Result<AccessRequestConfig, DomainError> {
    Ok(org_config::load(db.pool()).await?.config)
}

pub async fn settings(
    db: &Db,
    actor: &CurrentUser,
    provider_configured: bool,
) -> Result<OrgSettings, DomainError> {
    if !actor.has(Role::Admin) {
        return Err(DomainError::Forbidden(
            "only administrators see the settings",
        ));
    }
    let stored = org_config::load(db.pool()).await?;
    let fallback_person = match &stored
        .config
        .approval_reminder_and_escalation_config
        .fallback_approver_ref
    {
        Some(FallbackApproverRef::Person { id }) => users::find(db, id).await?.map(|u| PersonRef {
            id: u.id,
            name: u.name,
            email: u.email,
        }),
        _ => None,
    };
    Ok(OrgSettings {
        config: stored.config,
        version: stored.version,
        provider_configured,
        reauth_test_passed_at: stored.reauth_test_passed_at,
        fallback_person,
    })
}

/// Saves the configuration. Turning `reauthorizationEnabled` on needs a provider
/// that passed the live re-authentication test; a change that [`weakens`] a
/// control needs the admin's fresh re-authentication first (`proof`).
#[allow(clippy::too_many_arguments)]
pub async fn save(
    db: &Db,
    actor: &CurrentUser,
    session_key: &str,
    new: &AccessRequestConfig,
    version: i64,
    provider_configured: bool,
    proof: Option<&str>,
    fallback: &Fallback,
) -> Result<OrgSettings, DomainError> {
    if !actor.has(Role::Admin) {
        return Err(DomainError::Forbidden(
            "only administrators change the settings",
        ));
    }
    if !(0..=WINDOW_MAX).contains(&new.default_reauth_window_minutes) {
        return Err(DomainError::invalid(
            "defaultReauthWindowMinutes",
            format!("must be between 0 and {WINDOW_MAX} minutes"),
        ));
    }
    // Judged on the state this transaction will change, not on an earlier read.
    let mut tx = db.write_tx().await?;
    let stored = org_config::load(&mut *tx).await?;
    escalation::validate(&mut tx, new, fallback).await?;
    let turning_on = new.reauthorization_enabled && !stored.config.reauthorization_enabled;
    if turning_on && !provider_configured {
        return Err(DomainError::invalid(
            "reauthorizationEnabled",
            "an OpenID Connect provider must be configured first (OIDC_ISSUER_URL)",
        ));
    }
    if turning_on && stored.reauth_test_passed_at.is_none() {
        return Err(DomainError::invalid(
            "reauthorizationEnabled",
            "run “Test re-authentication” first: it proves your provider makes people sign in \
             again when asked",
        ));
    }
    let action = reauth::SignedAction::OrgConfig {
        config: new.clone(),
        version,
    };
    let weakening = weakens(&stored.config, new);
    let (mut tx, step_up) =
        reauth::step_up(db, tx, (actor, session_key), &action, proof, weakening).await?;
    if !org_config::save(&mut tx, new, version, &actor.id, now()).await? {
        return Err(DomainError::Conflict(
            "Someone else changed the settings meanwhile. Reload and make your change again."
                .into(),
        ));
    }
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry {
            action: "settings.changed",
            target_kind: "settings",
            target_id: "access-request-config",
            item_id: None,
            request_id: None,
            details: json!({ "before": stored.config, "after": new, "step_up": step_up }),
        },
    )
    .await?;
    tx.commit().await?;
    settings(db, actor, provider_configured).await
}

/// Saves the reminder, escalation and digest settings alone (the settings
/// page's own form), keeping the rest of the configuration as stored at
/// `version`.
#[allow(clippy::too_many_arguments)]
pub async fn save_escalation(
    db: &Db,
    actor: &CurrentUser,
    session_key: &str,
    (rule, digest_threshold): (ApprovalReminderAndEscalationConfig, i64),
    version: i64,
    provider_configured: bool,
    fallback: &Fallback,
) -> Result<OrgSettings, DomainError> {
    let stored = org_config::load(db.pool()).await?;
    let new = AccessRequestConfig {
        approval_reminder_and_escalation_config: rule,
        digest_threshold,
        ..stored.config
    };
    save(
        db,
        actor,
        session_key,
        &new,
        version,
        provider_configured,
        None,
        fallback,
    )
    .await
}

/// Does going from `before` to `after` weaken a control over who gets access?
/// Such a change needs the admin's fresh re-authentication. Reminders,
/// escalation and the digest are not such a control: they change who hears of
/// waiting work and who may finish it (always someone who could approve its
/// step), never who gets access or what a decision needs; their changes are
/// audited like every other (`settings.changed`, before and after).
pub fn weakens(before: &AccessRequestConfig, after: &AccessRequestConfig) -> bool {
    (before.reauthorization_enabled && !after.reauthorization_enabled)
        || (!before.auto_approval_enabled && after.auto_approval_enabled)
        || after.default_reauth_window_minutes > before.default_reauth_window_minutes
        || (before.approvals_must_be_external && !after.approvals_must_be_external)
}

/// Starts the live re-authentication test: always a challenge.
pub async fn start_reauth_test(
    db: &Db,
    actor: &CurrentUser,
    session_key: &str,
) -> Result<DomainError, DomainError> {
    if !actor.has(Role::Admin) {
        return Err(DomainError::Forbidden(
            "only administrators test the provider",
        ));
    }
    reauth::challenge(
        db,
        actor,
        session_key,
        &reauth::SignedAction::ProviderTest { at: now() },
        0,
    )
    .await
}
