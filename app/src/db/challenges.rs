//! Re-authentication challenges (docs/reauthentication.md).

use sqlx::{Any, Executor};

use super::{DbError, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    pub id: String,
    pub user_id: String,
    pub session_key: String,
    pub purpose: String,
    pub digest: String,
    pub action_json: String,
    pub window_minutes: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub verified_at: Option<i64>,
    pub auth_time: Option<i64>,
    pub evidence_json: Option<String>,
    pub consumed_at: Option<i64>,
}

const SELECT: &str = "SELECT id, user_id, session_key, purpose, digest, action_json, \
     window_minutes, created_at, expires_at, verified_at, auth_time, evidence_json, consumed_at \
     FROM reauth_challenges";

pub async fn insert(tx: &mut Tx, c: &ChallengeRow) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO reauth_challenges (id, user_id, session_key, purpose, digest, action_json, \
         window_minutes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&c.id)
    .bind(&c.user_id)
    .bind(&c.session_key)
    .bind(&c.purpose)
    .bind(&c.digest)
    .bind(&c.action_json)
    .bind(c.window_minutes)
    .bind(c.created_at)
    .bind(c.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<ChallengeRow>, DbError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

/// Marks an unverified, unexpired challenge verified with its evidence.
pub async fn mark_verified(
    tx: &mut Tx,
    id: &str,
    auth_time: i64,
    evidence_json: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE reauth_challenges SET verified_at = $1, auth_time = $2, evidence_json = $3 \
         WHERE id = $4 AND verified_at IS NULL AND consumed_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(auth_time)
    .bind(evidence_json)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Consumes a verified challenge once: the conditional update that makes it single use.
pub async fn consume(tx: &mut Tx, id: &str, now: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE reauth_challenges SET consumed_at = $1 \
         WHERE id = $2 AND verified_at IS NOT NULL AND consumed_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The newest verified approval re-authentication of this person in this session
/// whose `auth_time` is at or after `since` (a freshness window still open).
pub async fn fresh_for<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    session_key: &str,
    since: i64,
) -> Result<Option<ChallengeRow>, DbError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE user_id = $1 AND session_key = $2 AND purpose = 'approval' \
         AND verified_at IS NOT NULL AND auth_time >= $3 ORDER BY auth_time DESC LIMIT 1"
    ))
    .bind(user_id)
    .bind(session_key)
    .bind(since)
    .fetch_optional(ex)
    .await?)
}

/// This person's open (unverified, unexpired) challenge for exactly this action
/// in this sign-in: asked again, the same challenge is reused, not a new row.
pub async fn open_for<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    session_key: &str,
    digest: &str,
    now: i64,
) -> Result<Option<ChallengeRow>, DbError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE user_id = $1 AND session_key = $2 AND digest = $3 \
         AND verified_at IS NULL AND consumed_at IS NULL AND expires_at > $4 \
         ORDER BY created_at DESC LIMIT 1"
    ))
    .bind(user_id)
    .bind(session_key)
    .bind(digest)
    .bind(now)
    .fetch_optional(ex)
    .await?)
}

/// The newest `auth_time` any re-authentication of this sign-in proved.
pub async fn latest_auth_time<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    session_key: &str,
) -> Result<Option<i64>, DbError> {
    let (latest,): (Option<i64>,) = sqlx::query_as(
        "SELECT MAX(auth_time) FROM reauth_challenges \
         WHERE user_id = $1 AND session_key = $2 AND verified_at IS NOT NULL",
    )
    .bind(user_id)
    .bind(session_key)
    .fetch_one(ex)
    .await?;
    Ok(latest)
}

/// Removes challenges that expired unverified; returns how many.
pub async fn delete_expired_unverified(tx: &mut Tx, now: i64) -> Result<u64, DbError> {
    let done =
        sqlx::query("DELETE FROM reauth_challenges WHERE verified_at IS NULL AND expires_at <= $1")
            .bind(now)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected())
}
