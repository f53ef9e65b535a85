//! The audit trail: every change is recorded here, in the same transaction as the
//! change itself, chained to the previous record by SHA-256 so that editing,
//! deleting or reordering any record is detectable (`countersign audit verify`).
//! Each record's hash covers every column as stored ([`hash_v2`]); records written
//! before that keep their version-1 hash and are verified by it.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::DomainError;
use crate::db::{Db, DbError, Tx, audit as store, users};

mod read;

pub use read::{Export, FilterForm, export, get, given, list};

/// Who did it: a person, the system itself (expiry), or the organisation's
/// directory through the directory token with this id (SCIM).
#[derive(Debug, Clone)]
pub enum AuditActor<'a> {
    User(&'a str),
    System,
    Directory(&'a str),
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

impl<'a> Entry<'a> {
    /// A record about an access item.
    pub fn about_item(action: &'a str, item_id: &'a str, details: Value) -> Entry<'a> {
        Entry {
            action,
            target_kind: "access_item",
            target_id: item_id,
            item_id: Some(item_id),
            request_id: None,
            details,
        }
    }

    /// A record about an approval task of `request_id`, for `item_id`.
    pub fn about_task(
        action: &'a str,
        task_id: &'a str,
        (item_id, request_id): (&'a str, &'a str),
        details: Value,
    ) -> Entry<'a> {
        Entry {
            action,
            target_kind: "approval_task",
            target_id: task_id,
            item_id: Some(item_id),
            request_id: Some(request_id),
            details,
        }
    }
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
        // Stored in the same columns as any actor, so the hash encodings of
        // old and new records are unchanged: `actor_id` names the token.
        AuditActor::Directory(token_id) => {
            let token = crate::db::directory::tokens::find(&mut **tx, token_id).await?;
            let name = token.map_or_else(|| token_id.to_owned(), |t| t.name);
            (
                Some(format!("directory:{token_id}")),
                None,
                None,
                format!("Directory sync ({name})"),
            )
        }
    };
    let (seq, prev_hash) = store::lock_head(tx).await?;
    let mut record = store::StoredRecord {
        hash_version: HASH_VERSION,
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
    record.hash = hash_v2(&record);
    store::insert(tx, &record).await?;
    Ok(seq)
}

/// The hash encoding new records are written with.
pub const HASH_VERSION: i64 = 2;

/// Version 2: SHA-256 (hex) over every column but `hash`, as stored, in column
/// order: `hash_version, seq, at, actor_id, actor_issuer, actor_subject,
/// actor_name, action, target_kind, target_id, item_id, request_id, details_json,
/// prev_hash`, after the tag `countersign-audit-v2` and a NUL byte. An integer is
/// its 8 bytes big-endian; a text is `0x01`, its length in bytes (8 bytes
/// big-endian) and its UTF-8 bytes; NULL is `0x00`. Length prefixes make the
/// encoding unambiguous without any escaping, so another program can recompute it.
pub(crate) fn hash_v2(r: &store::StoredRecord) -> String {
    fn text(h: &mut Sha256, value: Option<&str>) {
        match value {
            None => h.update([0u8]),
            Some(value) => {
                h.update([1u8]);
                h.update((value.len() as u64).to_be_bytes());
                h.update(value.as_bytes());
            }
        }
    }
    let mut h = Sha256::new();
    h.update(b"countersign-audit-v2\0");
    for int in [r.hash_version, r.seq, r.at] {
        h.update(int.to_be_bytes());
    }
    for value in [
        r.actor_id.as_deref(),
        r.actor_issuer.as_deref(),
        r.actor_subject.as_deref(),
        Some(&r.actor_name),
        Some(&r.action),
        Some(&r.target_kind),
        Some(&r.target_id),
        r.item_id.as_deref(),
        r.request_id.as_deref(),
        Some(&r.details_json),
        Some(&r.prev_hash),
    ] {
        text(&mut h, value);
    }
    hex::encode(h.finalize())
}

/// Version 1, kept to verify the records written before version 2: SHA-256 over a
/// JSON array of some fields (not `actor_id`), with the details re-serialised.
pub(crate) fn hash_v1(r: &store::StoredRecord) -> String {
    let details: Value = serde_json::from_str(&r.details_json).unwrap_or(Value::Null);
    let canonical = json!([
        "countersign-audit-v1",
        r.seq,
        r.at,
        r.actor_issuer,
        r.actor_subject,
        r.actor_name,
        r.action,
        r.target_kind,
        r.target_id,
        r.item_id,
        r.request_id,
        canonical_json(&details),
        r.prev_hash
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

/// A point of the chain recorded outside the database (`countersign audit head`):
/// record `seq` had hash `hash`. A chain that no longer holds it was rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Anchor {
    type Err = String;

    /// `seq:hash`, as `countersign audit head` prints it.
    fn from_str(s: &str) -> Result<Anchor, String> {
        let bad = || format!("{s:?} is not seq:hash (as `countersign audit head` prints it)");
        let (seq, hash) = s.trim().split_once(':').ok_or_else(bad)?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        let hash = hash.to_ascii_lowercase();
        if seq < 0 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Anchor { seq, hash })
    }
}

/// The head of the chain as stored: the last record's number and hash.
pub async fn head(db: &Db) -> Result<Anchor, DbError> {
    let (seq, hash) = store::head(db.pool()).await?;
    Ok(Anchor { seq, hash })
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub records: i64,
    /// The first record that does not verify, and why.
    pub broken: Option<(i64, String)>,
}

/// [`verify_chain_against`] with no anchors.
pub async fn verify_chain(db: &Db) -> Result<ChainReport, DbError> {
    verify_chain_against(db, &[]).await
}

/// Walks the whole chain in order, recomputing every hash (each by its version)
/// and link, checks that it ends where the head says, and that it still holds
/// every anchor. Reads in pages; never the whole table.
pub async fn verify_chain_against(db: &Db, anchors: &[Anchor]) -> Result<ChainReport, DbError> {
    let zero = "0".repeat(64);
    let mut expected_seq = 1;
    let mut prev = zero.clone();
    let mut count = 0;
    let mut seen_v2 = false;
    let broken = |count, seq, why: String| ChainReport {
        records: count,
        broken: Some((seq, why)),
    };
    for anchor in anchors.iter().filter(|a| a.seq == 0) {
        if anchor.hash != zero {
            return Ok(broken(
                0,
                0,
                format!("the anchored head {anchor} cannot exist"),
            ));
        }
    }
    loop {
        let page = store::stored_after(db.pool(), expected_seq - 1, 500).await?;
        if page.is_empty() {
            break;
        }
        for record in &page {
            if let Some(problem) = check_record(record, expected_seq, &prev, &mut seen_v2) {
                return Ok(broken(count, expected_seq, problem));
            }
            if let Some(anchor) = anchors.iter().find(|a| a.seq == record.seq)
                && anchor.hash != record.hash
            {
                return Ok(broken(
                    count,
                    record.seq,
                    format!(
                        "the chain no longer holds the anchored head {anchor}: record {} now \
                         has hash {} (the chain was rewritten from here or earlier)",
                        record.seq, record.hash
                    ),
                ));
            }
            prev = record.hash.clone();
            expected_seq += 1;
            count += 1;
        }
    }
    if let Some(anchor) = anchors.iter().find(|a| a.seq > count) {
        return Ok(broken(
            count,
            count + 1,
            format!(
                "the chain no longer holds the anchored head {anchor}: it ends at {count} \
                 (records were removed)"
            ),
        ));
    }
    let (head_seq, head_hash) = store::head(db.pool()).await?;
    if head_seq != count || (count > 0 && head_hash != prev) {
        return Ok(broken(
            count,
            count + 1,
            format!("the chain ends at {count} but its head says {head_seq}: records were removed"),
        ));
    }
    Ok(ChainReport {
        records: count,
        broken: None,
    })
}

/// Why `record` does not continue the chain at `expected_seq` after `prev`, if it
/// does not. A version-1 record after a version-2 one is refused: old records keep
/// their old hashes, but nothing may be written (or rewritten) the old way again.
fn check_record(
    record: &store::StoredRecord,
    expected_seq: i64,
    prev: &str,
    seen_v2: &mut bool,
) -> Option<String> {
    if record.seq != expected_seq {
        return Some(format!(
            "record {expected_seq} is missing (next is {})",
            record.seq
        ));
    }
    if record.prev_hash != prev {
        return Some("its prev_hash does not match the previous record".to_owned());
    }
    let hash = match record.hash_version {
        1 if *seen_v2 => {
            return Some(
                "it claims hash version 1 after version-2 records (a downgrade)".to_owned(),
            );
        }
        1 => hash_v1(record),
        2 => {
            *seen_v2 = true;
            hash_v2(record)
        }
        other => return Some(format!("unknown hash version {other}")),
    };
    (hash != record.hash).then(|| "its content does not match its hash".to_owned())
}
