//! `Idempotency-Key` on the API's creating calls (IETF draft
//! `draft-ietf-httpapi-idempotency-key-header`): a client that did not hear the
//! answer sends the call again with the same key and gets the first answer,
//! never a second request or decision.
//!
//! The key belongs to its caller (one token): another token's same key is
//! another key. The same key with another request is refused. Only SHA-256
//! digests of the key and of the request are stored, with the first answer, for
//! [`KEEP_SECS`]. A first call that fails changed nothing: its key is released
//! so a retry runs again.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{DomainError, audit::canonical_json, now};
use crate::db::{Db, idempotency as store};

/// How long a key's first answer is kept (the clean-up job removes it after).
pub const KEEP_SECS: i64 = 24 * 3600;

/// The longest key accepted (the draft asks for a UUID-sized string).
const MAX_KEY_LEN: usize = 255;

/// A key claimed or found for one caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    caller: String,
    key_hash: String,
}

/// What to do with a call that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// The first call with this key: run it, then [`finish`] or [`release`].
    First(Key),
    /// Answered before: send this again.
    Replay { status: u16, body: String },
    /// The first call with this key has not answered yet.
    UnderWay,
    /// The key was used for a different request.
    OtherRequest,
}

/// Checks the key's shape and starts the call `operation` with `request` (its
/// path parameters and body) for `caller`.
pub async fn start(
    db: &Db,
    caller: &str,
    raw_key: &str,
    (operation, request): (&str, &Value),
) -> Result<Start, DomainError> {
    let visible = |c: char| c.is_ascii_graphic() || c == ' ';
    if raw_key.is_empty() || raw_key.len() > MAX_KEY_LEN || !raw_key.chars().all(visible) {
        return Err(DomainError::invalid(
            "Idempotency-Key",
            format!("must be 1 to {MAX_KEY_LEN} visible ASCII characters, e.g. a UUID"),
        ));
    }
    let key = Key {
        caller: caller.to_owned(),
        key_hash: digest(raw_key),
    };
    let request_hash = digest(&format!("{operation}\n{}", canonical_json(request)));
    let ids = (key.caller.as_str(), key.key_hash.as_str());
    // Twice: a key removed by the clean-up between the claim and the look-up
    // is free again.
    for _ in 0..2 {
        if store::claim(db.pool(), ids, &request_hash, now()).await? {
            return Ok(Start::First(key));
        }
        let Some(row) = store::find(db.pool(), ids).await? else {
            continue;
        };
        if row.request_hash != request_hash {
            return Ok(Start::OtherRequest);
        }
        return Ok(match (row.status, row.body) {
            (Some(status), Some(body)) => Start::Replay {
                status: u16::try_from(status).unwrap_or(500),
                body,
            },
            _ => Start::UnderWay,
        });
    }
    Ok(Start::UnderWay)
}

/// Keeps the first call's answer for replays.
pub async fn finish(db: &Db, key: &Key, status: u16, body: &str) -> Result<(), DomainError> {
    let ids = (key.caller.as_str(), key.key_hash.as_str());
    Ok(store::answer(db.pool(), ids, i64::from(status), body).await?)
}

/// Releases the key of a first call that failed (and so changed nothing).
pub async fn release(db: &Db, key: &Key) -> Result<(), DomainError> {
    let ids = (key.caller.as_str(), key.key_hash.as_str());
    Ok(store::release(db.pool(), ids).await?)
}

/// Removes keys older than [`KEEP_SECS`]; returns how many.
pub async fn purge_expired(db: &Db) -> Result<u64, DomainError> {
    Ok(store::delete_older_than(db.pool(), now() - KEEP_SECS).await?)
}

fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}
