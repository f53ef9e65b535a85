//! The audit trail: every change is recorded here, in the same transaction as the
//! change itself, chained to the previous record by SHA-256 so that editing,
//! deleting or reordering any record is detectable (`countersign audit verify`).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::DomainError;
use crate::{
    db::{Db, DbError, Tx, audit as store, users},
    types::AuditRecord,
};

/// Who did it: a person, or the system itself (expiry).
#[derive(Debug, Clone)]
pub enum AuditActor<'a> {
    User(&'a str),
    System,
}

/// What happened to what.
pub struct Entry<'a> {
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: &'a str,
    pub item_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub details: Value,
}

/// Appends one record inside `tx`. Returns its sequence number.
pub async fn append(
    tx: &mut Tx,
    actor: AuditActor<'_>,
    entry: Entry<'_>,
) -> Result<i64, DomainError> {
    let (actor_id, issuer, subject, name) = match actor {
        AuditActor::User(id) => match users::find_in(&mut **tx, id).await? {
            Some(u) => (Some(u.id), Some(u.issuer), Some(u.subject), u.name),
            None => (Some(id.to_owned()), None, None, "unknown user".to_owned()),
        },
        AuditActor::System => (None, None, None, "Countersign (system)".to_owned()),
    };
    let (seq, prev_hash) = store::lock_head(tx).await?;
    let mut record = store::NewRecord {
        seq,
        at: super::now(),
        actor_id,
        actor_issuer: issuer,
        actor_subject: subject,
        actor_name: name,
        action: entry.action.to_owned(),
        target_kind: entry.target_kind.to_owned(),
        target_id: entry.target_id.to_owned(),
        item_id: entry.item_id.map(str::to_owned),
        request_id: entry.request_id.map(str::to_owned),
        details_json: canonical_json(&entry.details),
        prev_hash,
        hash: String::new(),
    };
    record.hash = hash_of(&Hashed::from_new(&record));
    store::insert(tx, &record).await?;
    Ok(seq)
}

/// The fields a record's hash covers, in a fixed order.
struct Hashed<'a> {
    seq: i64,
    at: i64,
    actor_issuer: Option<&'a str>,
    actor_subject: Option<&'a str>,
    actor_name: &'a str,
    action: &'a str,
    target_kind: &'a str,
    target_id: &'a str,
    item_id: Option<&'a str>,
    request_id: Option<&'a str>,
    details_json: String,
    prev_hash: &'a str,
}

impl<'a> Hashed<'a> {
    fn from_new(r: &'a store::NewRecord) -> Hashed<'a> {
        Hashed {
            seq: r.seq,
            at: r.at,
            actor_issuer: r.actor_issuer.as_deref(),
            actor_subject: r.actor_subject.as_deref(),
            actor_name: &r.actor_name,
            action: &r.action,
            target_kind: &r.target_kind,
            target_id: &r.target_id,
            item_id: r.item_id.as_deref(),
            request_id: r.request_id.as_deref(),
            details_json: r.details_json.clone(),
            prev_hash: &r.prev_hash,
        }
    }

    fn from_record(r: &'a AuditRecord) -> Hashed<'a> {
        Hashed {
            seq: r.seq,
            at: r.at,
            actor_issuer: r.actor_issuer.as_deref(),
            actor_subject: r.actor_subject.as_deref(),
            actor_name: &r.actor_name,
            action: &r.action,
            target_kind: &r.target_kind,
            target_id: &r.target_id,
            item_id: r.item_id.as_deref(),
            request_id: r.request_id.as_deref(),
            details_json: canonical_json(&r.details),
            prev_hash: &r.prev_hash,
        }
    }
}

/// SHA-256 over a canonical encoding: a JSON array of the fields in a fixed
/// order (JSON escaping makes the encoding unambiguous), hex-encoded.
fn hash_of(h: &Hashed<'_>) -> String {
    let canonical = json!([
        "countersign-audit-v1",
        h.seq,
        h.at,
        h.actor_issuer,
        h.actor_subject,
        h.actor_name,
        h.action,
        h.target_kind,
        h.target_id,
        h.item_id,
        h.request_id,
        h.details_json,
        h.prev_hash
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// JSON with object keys sorted, so the same value always encodes the same way.
pub fn canonical_json(value: &Value) -> String {
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for key in keys {
                    out.insert(key.clone(), sort(&map[key]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(value).to_string()
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub records: i64,
    /// The first record that does not verify, and why.
    pub broken: Option<(i64, String)>,
}

/// Walks the whole chain in order, recomputing every hash and link, and checks
/// that it ends where the head says. Reads in pages; never the whole table.
pub async fn verify_chain(db: &Db) -> Result<ChainReport, DbError> {
    let mut expected_seq = 1;
    let mut prev = "0".repeat(64);
    let mut count = 0;
    loop {
        let page = store::chain_after(db.pool(), expected_seq - 1, 500).await?;
        if page.is_empty() {
            break;
        }
        for record in &page {
            let problem = if record.seq != expected_seq {
                Some(format!(
                    "record {expected_seq} is missing (next is {})",
                    record.seq
                ))
            } else if record.prev_hash != prev {
                Some("its prev_hash does not match the previous record".to_owned())
            } else if hash_of(&Hashed::from_record(record)) != record.hash {
                Some("its content does not match its hash".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                return Ok(ChainReport {
                    records: count,
                    broken: Some((expected_seq, problem)),
                });
            }
            prev = record.hash.clone();
            expected_seq += 1;
            count += 1;
        }
    }
    let (head_seq, head_hash) = store::head(db.pool()).await?;
    let broken = if head_seq != count || (count > 0 && head_hash != prev) {
        Some((
            count + 1,
            format!("the chain ends at {count} but its head says {head_seq}: records were removed"),
        ))
    } else {
        None
    };
    Ok(ChainReport {
        records: count,
        broken,
    })
}
