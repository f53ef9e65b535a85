//! The directory's bearer tokens: `csd_<id>_<secret>`, the credential an
//! administrator gives the identity provider's SCIM client. Separate from
//! personal access tokens (a token of one kind is never accepted as the other).
//! Only a SHA-256 of the secret is stored; the token is shown once. It can
//! create, change and remove every person and group, so creating one needs
//! the administrator's fresh re-authentication (step-up).

use serde_json::json;

use crate::{
    db::{
        Db,
        directory::tokens::{self as store, DirectoryTokenRow},
    },
    domain::{
        DomainError,
        audit::{self, AuditActor, Entry},
        now,
        reauth::{self, SignedAction},
        text,
        tokens::{hash, new_id_and_secret, secret_matches, split},
    },
    types::{CurrentUser, DirectoryTokenView, Role},
};

/// The longest lifetime of a directory token, in days (two years: identity
/// providers are configured once and rarely revisited).
pub const MAX_DAYS: i64 = 730;
/// What the token text starts with.
const PREFIX: &str = "csd_";

fn admin_only(actor: &CurrentUser) -> Result<(), DomainError> {
    if actor.has(Role::Admin) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only administrators manage the directory",
        ))
    }
}

/// Creates a directory token; returns its row and the token text (shown
/// once). Needs the administrator's fresh re-authentication for exactly this
/// token (`proof`; the first call answers `ReauthRequired`).
pub async fn create(
    db: &Db,
    (actor, session_key): (&CurrentUser, &str),
    (name, days): (&str, i64),
    proof: Option<&str>,
) -> Result<(DirectoryTokenRow, String), DomainError> {
    admin_only(actor)?;
    let name = text("name", name, true, 100)?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(DomainError::invalid(
            "days",
            format!("must be between 1 and {MAX_DAYS} days"),
        ));
    }
    let action = SignedAction::DirectoryTokenCreate {
        name: name.clone(),
        days,
    };
    let tx = db.write_tx().await?;
    let (mut tx, step_up) =
        reauth::step_up(db, tx, (actor, session_key), &action, proof, true).await?;
    let (id, secret) = new_id_and_secret();
    let at = now();
    let row = DirectoryTokenRow {
        id: id.clone(),
        name,
        secret_hash: hash(&secret),
        created_by: actor.id.clone(),
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
            action: "directory_token.created",
            target_kind: "directory_token",
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
    Ok((row, format!("{PREFIX}{id}_{secret}")))
}

/// The newest 100 directory tokens (live, expired and revoked), newest first.
pub async fn list(db: &Db, actor: &CurrentUser) -> Result<Vec<DirectoryTokenView>, DomainError> {
    admin_only(actor)?;
    let rows = store::newest(db.pool(), 100).await?;
    Ok(rows
        .into_iter()
        .map(|r| DirectoryTokenView {
            id: r.token.id,
            name: r.token.name,
            created_by: r.created_by_name,
            created_at: r.token.created_at,
            expires_at: r.token.expires_at,
            last_used_at: r.token.last_used_at,
            revoked_at: r.token.revoked_at,
        })
        .collect())
}

/// Revokes a directory token at once (audited). Revoking needs no step-up: it
/// only ever takes power away.
pub async fn revoke(db: &Db, actor: &CurrentUser, id: &str) -> Result<(), DomainError> {
    admin_only(actor)?;
    let mut tx = db.write_tx().await?;
    let Some(token) = store::find(&mut *tx, id).await? else {
        return Err(DomainError::NotFound("directory token"));
    };
    if !store::revoke(&mut tx, id, now()).await? {
        return Err(DomainError::Conflict(
            "This directory token is already revoked.".into(),
        ));
    }
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry {
            action: "directory_token.revoked",
            target_kind: "directory_token",
            target_id: id,
            item_id: None,
            request_id: None,
            details: json!({ "name": token.name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The token a SCIM request presents, when it is valid: the right kind,
/// known, the secret matching in constant time, unexpired and unrevoked. Its
/// use is recorded at most once a minute.
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<DirectoryTokenRow>, DomainError> {
    let Some((id, secret)) = split(token, PREFIX) else {
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
    store::touch(db.pool(), &row.id, at).await?;
    Ok(Some(row))
}
