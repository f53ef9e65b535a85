//! Personal access tokens for the JSON API: `cs_<id>_<secret>`. Only a SHA-256 of
//! the secret is stored; the token is shown once, at creation. A token acts as its
//! owner, with the owner's roles as the provider last reported them, and only
//! within the scopes chosen at its creation: [`authorize`] is the one answer to
//! "may this token do that".

use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    now,
    reauth::{self, SignedAction},
    text,
};
use crate::{
    db::{
        Db,
        tokens::{self as store, TokenRow},
    },
    types::{CurrentUser, Role, Scope},
};

/// The longest lifetime an installation may allow (`COUNTERSIGN_TOKEN_MAX_DAYS`).
pub const MAX_DAYS: i64 = 366;
/// The longest lifetime allowed unless the installation says otherwise.
pub const DEFAULT_MAX_DAYS: i64 = 90;

/// The stored form of a token's secret (personal and directory tokens).
pub(crate) fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new token's id and secret, both random.
pub(crate) fn new_id_and_secret() -> (String, String) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    (id, secret)
}

/// A token text `<prefix><id>_<secret>` split into its id and secret.
pub(crate) fn split<'t>(token: &'t str, prefix: &str) -> Option<(&'t str, &'t str)> {
    token.strip_prefix(prefix)?.split_once('_')
}

/// Whether `secret` is the one stored as `stored_hash`, compared in constant time.
pub(crate) fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    hash(secret).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// Why a token may not make a call: the token's scopes, or its owner's roles now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScopeRefusal {
    #[error("this needs a token with the {} scope; create one at /tokens", .0.as_str())]
    NotGranted(Scope),
    /// The scope is granted, but the owner no longer holds the role it needs
    /// (roles follow the person's current groups).
    #[error("the token's owner is no longer {0}")]
    RoleLost(&'static str),
}

/// May a token with `granted` scopes, owned by `owner` (with the roles the
/// owner holds now), make a call that needs `needed`? Both must allow it. The
/// domain function the call reaches still checks the particular resource (a
/// task assigned to the owner, a request of theirs).
pub fn authorize(
    owner: &CurrentUser,
    granted: &[Scope],
    needed: Scope,
) -> Result<(), ScopeRefusal> {
    if !granted.contains(&needed) {
        return Err(ScopeRefusal::NotGranted(needed));
    }
    let role_allows = match needed {
        // Everybody signed in reads what is theirs and requests access; who
        // decides a task is the approvals engine's rule, task by task (approvers,
        // an item's owner, the beneficiary's manager).
        Scope::Read | Scope::Request | Scope::Approve => true,
        Scope::Admin => owner.has(Role::Admin),
        Scope::Audit => crate::access::may_read_audit(owner),
    };
    if !role_allows {
        return Err(ScopeRefusal::RoleLost(match needed {
            Scope::Audit => "an administrator or auditor",
            _ => "an administrator",
        }));
    }
    Ok(())
}

/// The scopes chosen, in [`Scope::ALL`] order without repeats; at least one.
fn chosen(scopes: &[Scope]) -> Result<Vec<Scope>, DomainError> {
    let chosen: Vec<Scope> = Scope::ALL
        .into_iter()
        .filter(|s| scopes.contains(s))
        .collect();
    if chosen.is_empty() {
        return Err(DomainError::invalid(
            "scopes",
            "choose at least one thing the token may do",
        ));
    }
    Ok(chosen)
}

/// Creates a token; returns its row and the token text (shown once). A token
/// acts without any further sign-in until it expires, so creating one needs the
/// person's fresh re-authentication (`proof`), and lives at most `max_days`.
pub async fn create(
    db: &Db,
    (actor, session_key): (&CurrentUser, &str),
    (name, days, scopes): (&str, i64, &[Scope]),
    max_days: i64,
    proof: Option<&str>,
) -> Result<(TokenRow, String), DomainError> {
    let name = text("name", name, true, 100)?;
    let scopes = chosen(scopes)?;
    if !(1..=max_days.min(MAX_DAYS)).contains(&days) {
        return Err(DomainError::invalid(
            "days",
            format!("must be between 1 and {} days", max_days.min(MAX_DAYS)),
        ));
    }
    let action = SignedAction::TokenCreate {
        name: name.clone(),
        days,
        scopes: scopes.clone(),
    };
    let tx = db.write_tx().await?;
    let (mut tx, step_up) =
        reauth::step_up(db, tx, (actor, session_key), &action, proof, true).await?;
    let (id, secret) = new_id_and_secret();
    let at = now();
    let row = TokenRow {
        id: id.clone(),
        user_id: actor.id.clone(),
        name,
        secret_hash: hash(&secret),
        created_at: at,
        expires_at: at + days * 86_400,
        last_used_at: None,
        revoked_at: None,
        scopes: TokenRow::scopes_text(&scopes),
    };
    store::insert(&mut tx, &row).await?;
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry {
            action: "token.created",
            target_kind: "token",
            target_id: &id,
            item_id: None,
            request_id: None,
            details: json!({
                "name": row.name,
                "expires_at": row.expires_at,
                "scopes": scopes,
                "step_up": step_up,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((row, format!("cs_{id}_{secret}")))
}

pub async fn list(db: &Db, actor: &CurrentUser) -> Result<Vec<TokenRow>, DomainError> {
    Ok(store::of_user(db.pool(), &actor.id, 100).await?)
}

pub async fn revoke(db: &Db, actor: &CurrentUser, id: &str) -> Result<(), DomainError> {
    let mut tx = db.write_tx().await?;
    if !store::revoke(&mut tx, id, &actor.id, now()).await? {
        return Err(DomainError::NotFound("token"));
    }
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry {
            action: "token.revoked",
            target_kind: "token",
            target_id: id,
            item_id: None,
            request_id: None,
            details: json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The owner of a valid token (unexpired, unrevoked, the secret matching in
/// constant time), or `None`.
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<TokenRow>, DomainError> {
    let Some((id, secret)) = split(token, "cs_") else {
        return Ok(None);
    };
    let Some(row) = store::find(db.pool(), id).await? else {
        return Ok(None);
    };
    let at = now();
    if !secret_matches(secret, &row.secret_hash) || row.revoked_at.is_some() || row.expires_at <= at
    {
        return Ok(None);
    }
    // A use is recorded every few minutes at most: no write on most reads.
    let recent = row
        .last_used_at
        .is_some_and(|used| used > at - store::TOUCH_EVERY_SECS);
    if !recent {
        store::touch(db.pool(), &row.id, at).await?;
    }
    Ok(Some(row))
}
