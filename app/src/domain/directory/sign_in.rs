//! One identity: a person the directory pushed (issuer '' and subject = their
//! id) and the same person signing in are one user. Their first sign-in links
//! them, by the configured key (`externalId` = `sub`, or `userName` =
//! `preferred_username`, else `email`), in the sign-in's transaction, audited.
//! With the directory as the truth (`scim` mode) a person it does not know
//! cannot sign in.

use serde_json::json;

use super::DirectorySettings;
use crate::{
    db::{
        Tx,
        directory::people::{self, PersonRow},
        users::{self, SignInProfile, UserRow},
    },
    domain::{
        DomainError,
        audit::{self, AuditActor, Entry},
    },
    types::{DirectoryMode, ScimMatchKey},
};

/// Why a sign-in the provider vouched for is not let in.
#[derive(Debug, thiserror::Error)]
pub enum SignInRefused {
    #[error("this account is disabled")]
    Disabled,
    #[error("the directory does not know this person")]
    NotInDirectory,
    #[error("a pushed person and an earlier sign-in both match this person")]
    LinkConflict,
    #[error(transparent)]
    Failed(#[from] DomainError),
}

impl From<crate::db::DbError> for SignInRefused {
    fn from(err: crate::db::DbError) -> SignInRefused {
        SignInRefused::Failed(err.into())
    }
}

/// The key this sign-in is matched by.
fn key<'a>(profile: &'a SignInProfile<'_>, settings: &DirectorySettings) -> Option<&'a str> {
    match settings.match_key {
        ScimMatchKey::ExternalId => Some(profile.subject),
        ScimMatchKey::UserName => profile.login_name.or(profile.email),
    }
}

/// A pushed person nobody has signed in as yet, whom this sign-in matches.
async fn unlinked_match(
    tx: &mut Tx,
    profile: &SignInProfile<'_>,
    settings: &DirectorySettings,
) -> Result<Option<PersonRow>, SignInRefused> {
    let Some(key) = key(profile, settings) else {
        return Ok(None);
    };
    let row = match settings.match_key {
        ScimMatchKey::ExternalId => people::by_external_id(&mut **tx, key).await?,
        ScimMatchKey::UserName => people::by_user_name(&mut **tx, key).await?,
    };
    Ok(row.filter(|r| r.is_unlinked() && r.deleted_at.is_none()))
}

/// Who a sign-in is, before their profile is refreshed.
#[derive(Debug)]
pub struct Resolved {
    /// Known by issuer and subject, or a pushed person now linked to them.
    pub user: Option<UserRow>,
    /// This sign-in linked them (their first).
    pub linked: bool,
}

/// The person this sign-in is. In `scim` mode only people the directory
/// manages are let in.
pub async fn resolve(
    tx: &mut Tx,
    profile: &SignInProfile<'_>,
    settings: &DirectorySettings,
) -> Result<Resolved, SignInRefused> {
    let known = users::find_by_identity_in(&mut **tx, profile.issuer, profile.subject).await?;
    let pushed = unlinked_match(tx, profile, settings).await?;
    let scim = settings.mode == DirectoryMode::Scim;
    let linked = known.is_none() && pushed.is_some();
    let user = match (known, pushed) {
        (Some(_), Some(_)) if scim => return Err(SignInRefused::LinkConflict),
        (Some(known), Some(pushed)) => {
            tracing::warn!(
                user_id = %known.id,
                pushed = %pushed.id,
                "a pushed person matches someone who signed in before; not linked"
            );
            Some(known)
        }
        (known @ Some(_), None) => known,
        (None, Some(pushed)) => Some(link(tx, profile, &pushed, settings).await?),
        (None, None) => None,
    };
    if let Some(user) = &user
        && user.disabled_at.is_some()
    {
        return Err(SignInRefused::Disabled);
    }
    if scim {
        let managed = match &user {
            Some(user) => people::find(&mut **tx, &user.id)
                .await?
                .is_some_and(|p| p.source == "scim"),
            None => false,
        };
        if !managed {
            return Err(SignInRefused::NotInDirectory);
        }
    }
    Ok(Resolved { user, linked })
}

async fn link(
    tx: &mut Tx,
    profile: &SignInProfile<'_>,
    pushed: &PersonRow,
    settings: &DirectorySettings,
) -> Result<UserRow, SignInRefused> {
    if !people::link(tx, &pushed.id, profile.issuer, profile.subject).await? {
        return Err(SignInRefused::LinkConflict);
    }
    audit::append(
        tx,
        AuditActor::User(&pushed.id),
        Entry {
            action: "user.linked",
            target_kind: "user",
            target_id: &pushed.id,
            item_id: None,
            request_id: None,
            details: json!({
                "by": settings.match_key.as_str(),
                "issuer": profile.issuer,
                "subject": profile.subject,
            }),
        },
    )
    .await?;
    users::find_in(&mut **tx, &pushed.id)
        .await?
        .ok_or(SignInRefused::Failed(DomainError::NotFound("person")))
}

impl From<sqlx::Error> for SignInRefused {
    fn from(err: sqlx::Error) -> SignInRefused {
        SignInRefused::Failed(err.into())
    }
}
