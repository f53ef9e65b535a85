//! Personal access tokens for the JSON API: `cs_<id>_<secret>`. Only a SHA-256 of
//! the secret is stored; the token is shown once, at creation. A token acts as its
//! owner, with the owner's roles as the provider last reported them.

use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    now, text,
};
use crate::{
    db::{
        Db,
        tokens::{self as store, TokenRow},
    },
    types::CurrentUser,
};

pub const MAX_DAYS: i64 = 366;

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a token; returns its row and the token text (shown once).
pub async fn create(
    db: &Db,
    actor: &CurrentUser,
    name: &str,
    days: i64,
) -> Result<(TokenRow, String), DomainError> {
    let name = text("name", name, true, 100)?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(DomainError::invalid(
            "days",
            format!("must be between 1 and {MAX_DAYS} days"),
        ));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
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
    let mut tx = db.write_tx().await?;
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
            details: json!({ "name": row.name, "expires_at": row.expires_at }),
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
    let Some(rest) = token.strip_prefix("cs_") else {
        return Ok(None);
    };
    let Some((id, secret)) = rest.split_once('_') else {
        return Ok(None);
    };
    let Some(row) = store::find(db.pool(), id).await? else {
        return Ok(None);
    };
    let matches: bool = hash(secret)
        .as_bytes()
        .ct_eq(row.secret_hash.as_bytes())
        .into();
    let at = now();
    if !matches || row.revoked_at.is_some() || row.expires_at <= at {
        return Ok(None);
    }
    store::touch(db.pool(), &row.id, at).await?;
    Ok(Some(row))
}
