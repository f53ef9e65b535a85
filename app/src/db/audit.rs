//! The audit trail's storage: append (under the chain head's lock) and read.
//! There is deliberately no update or delete here.

use sqlx::{Any, Executor};

use super::{DbError, Tx};
use crate::types::AuditRecord;

/// A record's columns exactly as stored: what is appended, and what the chain's
/// verification reads back and hashes (never a re-serialisation).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredRecord {
    /// Which encoding `hash` uses (`domain::audit`): 1 for old records, 2 now.
    pub hash_version: i64,
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_issuer: Option<String>,
    pub actor_subject: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub item_id: Option<String>,
    pub request_id: Option<String>,
    pub details_json: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Takes the chain's head for this transaction: the next sequence number and the
/// previous record's hash. Every append takes it first, so appends serialise.
pub async fn lock_head(tx: &mut Tx) -> Result<(i64, String), DbError> {
    sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    let (seq, hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut **tx)
            .await?;
    Ok((seq, hash))
}

pub async fn insert(tx: &mut Tx, r: &StoredRecord) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_id, actor_issuer, actor_subject, actor_name, \
         action, target_kind, target_id, item_id, request_id, details_json, prev_hash, hash, \
         hash_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(r.seq)
    .bind(r.at)
    .bind(&r.actor_id)
    .bind(&r.actor_issuer)
    .bind(&r.actor_subject)
    .bind(&r.actor_name)
    .bind(&r.action)
    .bind(&r.target_kind)
    .bind(&r.target_id)
    .bind(&r.item_id)
    .bind(&r.request_id)
    .bind(&r.details_json)
    .bind(&r.prev_hash)
    .bind(&r.hash)
    .bind(r.hash_version)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&r.hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What the audit page narrows the trail to.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub item_id: Option<String>,
    pub request_id: Option<String>,
    pub from: Option<i64>,
    pub until: Option<i64>,
}

const SELECT: &str = "SELECT hash_version, seq, at, actor_id, actor_issuer, actor_subject, \
     actor_name, action, target_kind, target_id, item_id, request_id, details_json, prev_hash, \
     hash FROM audit_log";

impl From<StoredRecord> for AuditRecord {
    fn from(r: StoredRecord) -> AuditRecord {
        AuditRecord {
            seq: r.seq,
            at: r.at,
            actor_name: r.actor_name,
            actor_issuer: r.actor_issuer,
            actor_subject: r.actor_subject,
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            item_id: r.item_id,
            request_id: r.request_id,
            details: serde_json::from_str(&r.details_json).unwrap_or(serde_json::Value::Null),
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Stored records as the pages show them.
fn shown(rows: Vec<StoredRecord>) -> Vec<AuditRecord> {
    rows.into_iter().map(AuditRecord::from).collect()
}

/// Records matching `filter`, newest first, with `seq` below `before`.
pub async fn list<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRecord>, DbError> {
    let mut sql = format!("{SELECT} WHERE 1 = 1");
    let mut n = 0;
    let mut p = || {
        n += 1;
        format!("${n}")
    };
    let text = [
        ("actor_id", &filter.actor_id),
        ("action", &filter.action),
        ("item_id", &filter.item_id),
        ("request_id", &filter.request_id),
    ];
    for (column, value) in &text {
        if value.is_some() {
            sql.push_str(&format!(" AND {column} = {}", p()));
        }
    }
    if filter.from.is_some() {
        sql.push_str(&format!(" AND at >= {}", p()));
    }
    if filter.until.is_some() {
        sql.push_str(&format!(" AND at < {}", p()));
    }
    if before.is_some() {
        sql.push_str(&format!(" AND seq < {}", p()));
    }
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT {}", p()));
    let mut query = sqlx::query_as::<_, StoredRecord>(&sql);
    for (_, value) in text {
        if let Some(value) = value {
            query = query.bind(value.clone());
        }
    }
    for value in [filter.from, filter.until, before].into_iter().flatten() {
        query = query.bind(value);
    }
    Ok(shown(query.bind(limit).fetch_all(ex).await?))
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    seq: i64,
) -> Result<Option<AuditRecord>, DbError> {
    let row: Option<StoredRecord> = sqlx::query_as(&format!("{SELECT} WHERE seq = $1"))
        .bind(seq)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(AuditRecord::from))
}

/// The chain in order, `limit` records after `after` (for verification and export).
pub async fn chain_after<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditRecord>, DbError> {
    Ok(shown(stored_after(ex, after, limit).await?))
}

/// The chain in order, `limit` records after `after`, every column as stored
/// (for verification).
pub async fn stored_after<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredRecord>, DbError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE seq > $1 ORDER BY seq LIMIT $2"))
            .bind(after)
            .bind(limit)
            .fetch_all(ex)
            .await?,
    )
}

/// The chain head as stored: (last seq, last hash).
pub async fn head<'c, E: Executor<'c, Database = Any>>(ex: E) -> Result<(i64, String), DbError> {
    Ok(
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(ex)
            .await?,
    )
}

/// The newest record about one target.
pub async fn for_target<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    target_kind: &str,
    target_id: &str,
) -> Result<Option<AuditRecord>, DbError> {
    let row: Option<StoredRecord> = sqlx::query_as(&format!(
        "{SELECT} WHERE target_id = $1 AND target_kind = $2 ORDER BY seq DESC LIMIT 1"
    ))
    .bind(target_id)
    .bind(target_kind)
    .fetch_optional(ex)
    .await?;
    Ok(row.map(AuditRecord::from))
}

/// The records of `request_id` whose action is one of `actions`, oldest first
/// (at most `limit`; `audit_log_by_request`).
pub async fn of_request<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    request_id: &str,
    actions: &[&str],
    limit: i64,
) -> Result<Vec<AuditRecord>, DbError> {
    let list: Vec<String> = (0..actions.len()).map(|n| format!("${}", n + 2)).collect();
    let sql = format!(
        "{SELECT} WHERE request_id = $1 AND action IN ({}) ORDER BY seq LIMIT ${}",
        list.join(", "),
        actions.len() + 2
    );
    let mut query = sqlx::query_as::<_, StoredRecord>(&sql).bind(request_id);
    for action in actions {
        query = query.bind(*action);
    }
    Ok(shown(query.bind(limit).fetch_all(ex).await?))
}
