//! Re-authentication as an e-signature (docs/reauthentication.md).
//!
//! A [`SignedAction`] (an approval of a sensitive grant, an admin weakening a
//! control, creating a personal access token, the live provider test) first gets
//! a **challenge** bound to the person, their sign-in (`session_key`) and the
//! SHA-256 digest of the exact action. The person re-authenticates at the
//! provider; the OIDC edge hands the validated ID token to [`verify`], which
//! checks it proves *this* person signed in *after* the challenge was made and
//! after every earlier authentication of this sign-in. The action then runs with
//! the challenge as its proof: [`require_proof`] consumes it once, in the
//! action's own transaction.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use super::signed::{Purpose, ReauthRefusal, SignedAction};
use super::{DomainError, new_id, now};
use crate::{
    db::{
        Db, Tx,
        challenges::{self as store, ChallengeRow},
        org_config, users,
    },
    types::CurrentUser,
};

/// How long a person has to complete a re-authentication and its action.
pub const CHALLENGE_TTL_SECS: i64 = 600;

fn refused<T>(why: ReauthRefusal) -> Result<T, DomainError> {
    Err(DomainError::ReauthRefused(why))
}

/// What the provider proved, as stored with the challenge and the audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub challenge_id: String,
    pub issuer: String,
    pub subject: String,
    pub name: Option<String>,
    pub auth_time: i64,
    pub acr: Option<String>,
    pub amr: Option<Vec<String>>,
    /// The key that signed the ID token.
    pub kid: Option<String>,
    /// That key as the provider published it (a JWK), so the signature can be
    /// re-verified after the provider has rotated it away.
    #[serde(default)]
    pub signing_key: Option<Value>,
    /// The ID token exactly as the provider signed it.
    pub id_token: String,
    pub verified_at: i64,
}

/// An ID token the OIDC edge has fully validated (signature, `iss`, `aud`, `exp`,
/// `nonce`), with the claims this module judges.
#[derive(Debug, Clone)]
pub struct ValidatedToken {
    pub issuer: String,
    pub subject: String,
    pub name: Option<String>,
    pub auth_time: Option<i64>,
    pub acr: Option<String>,
    pub amr: Option<Vec<String>>,
    pub kid: Option<String>,
    /// The provider's published key (JWK) with that `kid`.
    pub signing_key: Option<Value>,
    pub raw: String,
}

/// The sign-in a re-authentication must be newer than.
#[derive(Debug, Clone, Copy)]
pub struct Freshness {
    /// `auth_time` of the sign-in (or, when the provider gave none, when it
    /// completed here): a re-authentication must be strictly later.
    pub signed_in_auth_time: i64,
    /// Clock difference tolerated between the provider and this server.
    pub skew_secs: i64,
}

/// Makes a challenge for `action` (or finds the open one this person already has
/// for exactly this action in this sign-in) and returns the error that sends the
/// person to re-authenticate. Its own transaction: the action has not happened.
pub async fn challenge(
    db: &Db,
    actor: &CurrentUser,
    session_key: &str,
    action: &SignedAction,
    window_minutes: i64,
) -> Result<DomainError, DomainError> {
    let created_at = now();
    let digest = action.digest();
    let mut tx = db.write_tx().await?;
    if let Some(open) =
        store::open_for(&mut *tx, &actor.id, session_key, &digest, created_at).await?
    {
        return Ok(DomainError::ReauthRequired {
            challenge_id: open.id,
        });
    }
    let purpose = action.purpose();
    let row = ChallengeRow {
        id: new_id(),
        user_id: actor.id.clone(),
        session_key: session_key.to_owned(),
        purpose: purpose.as_str().to_owned(),
        digest,
        action_json: action.canonical(),
        window_minutes,
        created_at,
        expires_at: created_at + CHALLENGE_TTL_SECS,
        verified_at: None,
        auth_time: None,
        evidence_json: None,
        consumed_at: None,
    };
    store::insert(&mut tx, &row).await?;
    tx.commit().await?;
    tracing::info!(challenge = %row.id, purpose = purpose.as_str(), "re-authentication asked");
    Ok(DomainError::ReauthRequired {
        challenge_id: row.id,
    })
}

/// A challenge the signed-in person may take to the provider now, and its action.
pub async fn open_challenge(
    db: &Db,
    user_id: &str,
    session_key: &str,
    challenge_id: &str,
) -> Result<(ChallengeRow, SignedAction), DomainError> {
    let challenge = store::find(db.pool(), challenge_id)
        .await?
        .filter(|c| c.user_id == user_id && c.session_key == session_key)
        .ok_or(DomainError::NotFound("re-authentication request"))?;
    if challenge.verified_at.is_some() || challenge.consumed_at.is_some() {
        return refused(ReauthRefusal::Used);
    }
    if challenge.expires_at <= now() {
        return refused(ReauthRefusal::Expired);
    }
    let action = action_of(&challenge)?;
    Ok((challenge, action))
}

fn action_of(challenge: &ChallengeRow) -> Result<SignedAction, DomainError> {
    serde_json::from_str(&challenge.action_json).or(refused(ReauthRefusal::Unknown))
}

/// Judges what the provider returned for `challenge_id`. The ID token has passed
/// the OIDC checks; here: the same person as the session, an `auth_time`, and
/// that `auth_time` strictly later than the sign-in and every earlier
/// re-authentication of it, at or after the challenge (minus the skew) and not in
/// the future. A provider that ignored `max_age=0` returns an old `auth_time`
/// and fails here, by name. On success the challenge is marked verified.
pub async fn verify(
    db: &Db,
    (user_id, session_key): (&str, &str),
    challenge_id: &str,
    token: &ValidatedToken,
    freshness: Freshness,
) -> Result<(SignedAction, Evidence), DomainError> {
    let (challenge, action) = open_challenge(db, user_id, session_key, challenge_id).await?;
    let user = users::find(db, user_id)
        .await?
        .ok_or(DomainError::NotFound("user"))?;
    if token.issuer != user.issuer || token.subject != user.subject {
        return refused(ReauthRefusal::WrongPerson);
    }
    let Some(auth_time) = token.auth_time else {
        return refused(ReauthRefusal::NoAuthTime);
    };
    let verified_at = now();
    let earlier = store::latest_auth_time(db.pool(), user_id, session_key).await?;
    let floor = earlier.map_or(freshness.signed_in_auth_time, |t| {
        t.max(freshness.signed_in_auth_time)
    });
    if auth_time <= floor || auth_time < challenge.created_at - freshness.skew_secs {
        tracing::warn!(
            auth_time,
            floor,
            challenge_created_at = challenge.created_at,
            "re-authentication not fresh"
        );
        return refused(ReauthRefusal::NotFresh);
    }
    if auth_time > verified_at + freshness.skew_secs {
        return refused(ReauthRefusal::FutureAuthTime);
    }
    let evidence = Evidence {
        challenge_id: challenge.id.clone(),
        issuer: token.issuer.clone(),
        subject: token.subject.clone(),
        name: token.name.clone(),
        auth_time,
        acr: token.acr.clone(),
        amr: token.amr.clone(),
        kid: token.kid.clone(),
        signing_key: token.signing_key.clone(),
        id_token: token.raw.clone(),
        verified_at,
    };
    let evidence_json = serde_json::to_string(&evidence).unwrap_or_default();
    let mut tx = db.write_tx().await?;
    let marked = store::mark_verified(
        &mut tx,
        &challenge.id,
        auth_time,
        &evidence_json,
        verified_at,
    )
    .await?;
    if !marked {
        return refused(ReauthRefusal::Used);
    }
    if action.purpose() == Purpose::ProviderTest {
        org_config::record_reauth_test(&mut tx, verified_at, user_id).await?;
        super::audit::append(
            &mut tx,
            super::audit::AuditActor::User(user_id),
            super::audit::Entry {
                action: "settings.reauth_test_passed",
                target_kind: "settings",
                target_id: "access-request-config",
                item_id: None,
                request_id: None,
                details: json!({ "evidence": evidence }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok((action, evidence))
}

/// An action that must be signed, as [`require_proof`] judges it.
pub struct ProofRequest<'a> {
    pub actor: &'a CurrentUser,
    pub session_key: &'a str,
    /// The exact action; its digest binds the signature.
    pub action: &'a SignedAction,
    /// The challenge id the caller offers as proof.
    pub proof: Option<&'a str>,
    /// For approvals: how long a verified re-authentication covers further ones.
    pub window_minutes: i64,
}

/// The proof for `request`, consumed inside the action's transaction, or `None`
/// when there is none yet (the caller then asks for a [`challenge`]).
///
/// With a `proof` (a challenge id) it must be this person's, this session's, of
/// this purpose, verified, unexpired, unused, and bound to exactly this action;
/// anything else is refused. Without one, an approval may ride on a verified
/// re-authentication of the same session whose `auth_time` is within
/// `window_minutes` (> 0).
async fn take_proof(
    tx: &mut Tx,
    request: &ProofRequest<'_>,
) -> Result<Option<Evidence>, DomainError> {
    let at = now();
    let purpose = request.action.purpose();
    let Some(proof) = request.proof else {
        if purpose == Purpose::Approval && request.window_minutes > 0 {
            let since = at - request.window_minutes * 60;
            let fresh =
                store::fresh_for(&mut **tx, &request.actor.id, request.session_key, since).await?;
            if let Some(fresh) = fresh {
                return Ok(fresh
                    .evidence_json
                    .and_then(|e| serde_json::from_str(&e).ok()));
            }
        }
        return Ok(None);
    };
    let Some(challenge) = store::find(&mut **tx, proof).await? else {
        return refused(ReauthRefusal::Unknown);
    };
    if challenge.user_id != request.actor.id || challenge.session_key != request.session_key {
        return refused(ReauthRefusal::NotYours);
    }
    if challenge.purpose != purpose.as_str() {
        return refused(ReauthRefusal::OtherPurpose);
    }
    if challenge.verified_at.is_none() {
        return refused(ReauthRefusal::NotVerified);
    }
    if challenge.consumed_at.is_some() {
        return refused(ReauthRefusal::Used);
    }
    if challenge.expires_at <= at {
        return refused(ReauthRefusal::Expired);
    }
    if challenge.digest != request.action.digest() {
        return refused(ReauthRefusal::OtherAction);
    }
    if !store::consume(tx, &challenge.id, at).await? {
        return refused(ReauthRefusal::Used);
    }
    Ok(challenge
        .evidence_json
        .and_then(|e| serde_json::from_str(&e).ok()))
}

/// The evidence for `request`, consumed inside `tx`; or, when there is none yet,
/// `tx` is rolled back and a challenge is made (its own transaction: on SQLite the
/// action's write lock must be released first), returned as the error that sends
/// the person to re-authenticate.
pub async fn require_proof(
    db: &Db,
    mut tx: Tx,
    request: &ProofRequest<'_>,
) -> Result<(Tx, Evidence), DomainError> {
    match take_proof(&mut tx, request).await? {
        Some(evidence) => Ok((tx, evidence)),
        None => {
            drop(tx);
            Err(challenge(
                db,
                request.actor,
                request.session_key,
                request.action,
                request.window_minutes,
            )
            .await?)
        }
    }
}

/// Step-up for an admin's change: when `weakens`, the change needs the admin's
/// fresh re-authentication for exactly `action` (see [`require_proof`]); the
/// evidence goes into the change's audit record. Call it inside the writing
/// transaction, with `weakens` judged from the state read there.
pub async fn step_up(
    db: &Db,
    tx: Tx,
    (actor, session_key): (&CurrentUser, &str),
    action: &SignedAction,
    proof: Option<&str>,
    weakens: bool,
) -> Result<(Tx, Option<Evidence>), DomainError> {
    if !weakens {
        return Ok((tx, None));
    }
    let request = ProofRequest {
        actor,
        session_key,
        action,
        proof,
        window_minutes: 0,
    };
    let (tx, evidence) = require_proof(db, tx, &request).await?;
    Ok((tx, Some(evidence)))
}

/// The action a challenge of this person's sign-in was made for, to complete
/// it; `None` once it has been completed (a reloaded page asks again, and
/// must not run the action a second time).
pub async fn signed_action(
    db: &Db,
    user_id: &str,
    session_key: &str,
    challenge_id: &str,
) -> Result<Option<SignedAction>, DomainError> {
    let challenge = store::find(db.pool(), challenge_id)
        .await?
        .filter(|c| c.user_id == user_id && c.session_key == session_key)
        .ok_or(DomainError::NotFound("re-authentication"))?;
    if challenge.consumed_at.is_some() {
        return Ok(None);
    }
    action_of(&challenge).map(Some)
}

/// Deletes challenges that expired without being verified (nothing refers to
/// them); verified ones stay as the evidence of their signature.
pub async fn purge_expired(db: &Db) -> Result<u64, DomainError> {
    let mut tx = db.write_tx().await?;
    let n = store::delete_expired_unverified(&mut tx, now()).await?;
    tx.commit().await?;
    Ok(n)
}
