//! Personal access tokens for the JSON API: `cs_<id>_<secret>`. Only a SHA-256 of
//! the secret is stored; the token is shown once, at creation. A token acts as its
//! owner, with the owner's roles as the provider last reported them.

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
    types::CurrentUser,
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

/// Creates a token; returns its row and the token text (shown once). A token
/// acts without any further sign-in until it expires, so creating one needs the
/// person's fresh re-authentication (`proof`), and lives at most `max_days`.
pub async fn create(
    db: &Db,
    (actor, session_key): (&CurrentUser, &str),
    (name, days): (&str, i64),
    max_days: i64,
    proof: Option<&str>,
) -> Result<(TokenRow, String), DomainError> {
    let name = text("name", name, true, 100)?;
    if !(1..=max_days.min(MAX_DAYS)).contains(&days) {
        return Err(DomainError::invalid(
            "days",
            format!("must be between 1 and {} days", max_days.min(MAX_DAYS)),
        ));
    }
    let action = SignedAction::TokenCreate {
        name: name.clone(),
        days,
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
