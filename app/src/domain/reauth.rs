//! Re-authentication as an e-signature (docs/reauthentication.md).
//!
//! An action that must be signed (an approval of a sensitive grant, an admin
//! weakening a control, the live provider test) first gets a **challenge** bound to
//! the person, their sign-in (`session_key`) and the SHA-256 digest of the exact
//! action. The person re-authenticates at the provider; the OIDC edge hands the
//! validated ID token to [`verify`], which checks it proves *this* person signed in
//! *after* the challenge was made. The action then runs with the challenge as its
//! proof: [`require_proof`] consumes it once, in the action's own transaction.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{DomainError, audit::canonical_json, new_id, now};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Approving a grant request for an item that requires it.
    Approval,
    /// An admin weakening a control (turning re-authentication off).
    StepUp,
    /// The admin's live test that the provider honours `max_age=0`.
    ProviderTest,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Approval => "approval",
            Purpose::StepUp => "step_up",
            Purpose::ProviderTest => "provider_test",
        }
    }
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

/// SHA-256 of the canonical encoding of an action: what a challenge is bound to.
pub fn digest(action: &Value) -> String {
    hex::encode(Sha256::digest(canonical_json(action).as_bytes()))
}

/// Makes a challenge for `action` and returns the error that sends the person to
/// re-authenticate. Its own transaction: the action itself has not happened.
pub async fn challenge(
    db: &Db,
    actor: &CurrentUser,
    session_key: &str,
    purpose: Purpose,
    action: &Value,
    window_minutes: i64,
) -> Result<DomainError, DomainError> {
    let created_at = now();
    let row = ChallengeRow {
        id: new_id(),
        user_id: actor.id.clone(),
        session_key: session_key.to_owned(),
        purpose: purpose.as_str().to_owned(),
        digest: digest(action),
        action_json: canonical_json(action),
        window_minutes,
        created_at,
        expires_at: created_at + CHALLENGE_TTL_SECS,
        verified_at: None,
        auth_time: None,
        evidence_json: None,
        consumed_at: None,
    };
    let mut tx = db.write_tx().await?;
    store::insert(&mut tx, &row).await?;
    tx.commit().await?;
    tracing::info!(challenge = %row.id, purpose = purpose.as_str(), "re-authentication asked");
    Ok(DomainError::ReauthRequired {
        challenge_id: row.id,
    })
}

/// A challenge the signed-in person may take to the provider now.
pub async fn open_challenge(
    db: &Db,
    user_id: &str,
    session_key: &str,
    challenge_id: &str,
) -> Result<ChallengeRow, DomainError> {
    let challenge = store::find(db.pool(), challenge_id)
        .await?
        .filter(|c| c.user_id == user_id && c.session_key == session_key)
        .ok_or(DomainError::NotFound("re-authentication request"))?;
    if challenge.verified_at.is_some() || challenge.consumed_at.is_some() {
        return Err(DomainError::ReauthRefused(
            "this re-authentication was already used; start the action again".into(),
        ));
    }
    if challenge.expires_at <= now() {
        return Err(DomainError::ReauthRefused(
            "this re-authentication request expired; start the action again".into(),
        ));
    }
    Ok(challenge)
}

/// Judges what the provider returned for `challenge_id`. The ID token has passed
/// the OIDC checks; here: the same person as the session, an `auth_time`, and that
/// `auth_time` at or after the challenge (minus `skew_secs`) and not in the
/// future. A provider that ignored `max_age=0` returns an older `auth_time` and
/// fails here, by name. On success the challenge is marked verified.
pub async fn verify(
    db: &Db,
    user_id: &str,
    session_key: &str,
    challenge_id: &str,
    token: &ValidatedToken,
    skew_secs: i64,
) -> Result<(Purpose, Evidence), DomainError> {
    let challenge = open_challenge(db, user_id, session_key, challenge_id).await?;
    let user = users::find(db, user_id)
        .await?
        .ok_or(DomainError::NotFound("user"))?;
    if token.issuer != user.issuer || token.subject != user.subject {
        return Err(DomainError::ReauthRefused(
            "a different person signed in at the provider; the approver must sign in as \
             themselves"
                .into(),
        ));
    }
    let Some(auth_time) = token.auth_time else {
        return Err(DomainError::ReauthRefused(
            "the provider did not say when you authenticated (no auth_time claim)".into(),
        ));
    };
    let verified_at = now();
    if auth_time < challenge.created_at - skew_secs {
        return Err(DomainError::ReauthRefused(format!(
            "the provider did not make you sign in again: it reported an authentication \
             from {} seconds before this request (it ignored max_age=0 / prompt=login)",
            challenge.created_at - auth_time
        )));
    }
    if auth_time > verified_at + skew_secs {
        return Err(DomainError::ReauthRefused(
            "the provider reported an authentication time in the future".into(),
        ));
    }
    let purpose = match challenge.purpose.as_str() {
        "approval" => Purpose::Approval,
        "step_up" => Purpose::StepUp,
        _ => Purpose::ProviderTest,
    };
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
    if !store::mark_verified(
        &mut tx,
        &challenge.id,
        auth_time,
        &evidence_json,
        verified_at,
    )
    .await?
    {
        return Err(DomainError::ReauthRefused(
            "this re-authentication was already used or expired".into(),
        ));
    }
    if purpose == Purpose::ProviderTest {
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
    Ok((purpose, evidence))
}

/// The proof for `action`, consumed inside the action's transaction, or `None`
/// when there is none yet (the caller then asks for a [`challenge`]).
///
/// With a `proof` (a challenge id) it must be this person's, this session's, of
/// this purpose, verified, unexpired, unused, and bound to exactly this action;
/// anything else is refused. Without one, an approval may ride on a verified
/// re-authentication of the same session whose `auth_time` is within
/// `window_minutes` (> 0).
async fn take_proof_within(
    tx: &mut Tx,
    actor: &CurrentUser,
    session_key: &str,
    purpose: Purpose,
    action: &Value,
    proof: Option<&str>,
    window_minutes: i64,
) -> Result<Option<Evidence>, DomainError> {
    let at = now();
    let Some(proof) = proof else {
        if purpose == Purpose::Approval && window_minutes > 0 {
            let since = at - window_minutes * 60;
            if let Some(fresh) = store::fresh_for(&mut **tx, &actor.id, session_key, since).await? {
                return Ok(fresh
                    .evidence_json
                    .and_then(|e| serde_json::from_str(&e).ok()));
            }
        }
        return Ok(None);
    };
    let refused = |why: &str| Err(DomainError::ReauthRefused(why.to_owned()));
    let Some(challenge) = store::find(&mut **tx, proof).await? else {
        return refused("unknown re-authentication");
    };
    if challenge.user_id != actor.id || challenge.session_key != session_key {
        return refused("this re-authentication belongs to another person or sign-in");
    }
    if challenge.purpose != purpose.as_str() {
        return refused("this re-authentication was made for something else");
    }
    if challenge.verified_at.is_none() {
        return refused("the re-authentication has not been completed at the provider");
    }
    if challenge.consumed_at.is_some() {
        return refused("this re-authentication was already used");
    }
    if challenge.expires_at <= at {
        return refused("this re-authentication expired; start again");
    }
    if challenge.digest != digest(action) {
        return refused("this re-authentication was made for a different decision");
    }
    if !store::consume(tx, &challenge.id, at).await? {
        return refused("this re-authentication was already used");
    }
    Ok(challenge
        .evidence_json
        .and_then(|e| serde_json::from_str(&e).ok()))
}

/// An action that must be signed, as [`require_proof`] judges it.
pub struct SignedAction<'a> {
    pub actor: &'a CurrentUser,
    pub session_key: &'a str,
    pub purpose: Purpose,
    /// The exact action; its digest binds the signature.
    pub action: &'a Value,
    /// The challenge id the caller offers as proof.
    pub proof: Option<&'a str>,
    /// For approvals: how long a verified re-authentication covers further ones.
    pub window_minutes: i64,
}

/// The evidence for `signed`, consumed inside `tx`; or, when there is none yet,
/// `tx` is rolled back and a challenge is made (its own transaction: on SQLite the
/// action's write lock must be released first), returned as the error that sends
/// the person to re-authenticate.
pub async fn require_proof(
    db: &Db,
    mut tx: Tx,
    signed: &SignedAction<'_>,
) -> Result<(Tx, Evidence), DomainError> {
    let evidence = take_proof_within(
        &mut tx,
        signed.actor,
        signed.session_key,
        signed.purpose,
        signed.action,
        signed.proof,
        signed.window_minutes,
    )
    .await?;
    match evidence {
        Some(evidence) => Ok((tx, evidence)),
        None => {
            drop(tx);
            Err(challenge(
                db,
                signed.actor,
                signed.session_key,
                signed.purpose,
                signed.action,
                signed.window_minutes,
            )
            .await?)
        }
    }
}

/// The action a verified challenge was made for, to complete it.
pub async fn signed_action(
    db: &Db,
    user_id: &str,
    session_key: &str,
    challenge_id: &str,
) -> Result<(Purpose, Value), DomainError> {
    let challenge = store::find(db.pool(), challenge_id)
        .await?
        .filter(|c| c.user_id == user_id && c.session_key == session_key)
        .ok_or(DomainError::NotFound("re-authentication"))?;
    let purpose = match challenge.purpose.as_str() {
        "approval" => Purpose::Approval,
        "step_up" => Purpose::StepUp,
        _ => Purpose::ProviderTest,
    };
    let action = serde_json::from_str(&challenge.action_json).unwrap_or(Value::Null);
    Ok((purpose, action))
}
