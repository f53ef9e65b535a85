//! Access items and their approval steps.

use sqlx::{Any, Executor};

use super::{Backend, DbError, flag};
use crate::types::{AccessItem, Approver, ItemKind};

/// A new or edited item's fields, already validated by the domain.
pub struct ItemFields<'a> {
    pub kind: ItemKind,
    pub name: &'a str,
    pub description: &'a str,
    pub owner_id: Option<&'a str>,
    pub requestable: bool,
    pub enabled: bool,
}

const COLUMNS: &str = "i.id, i.kind, i.name, i.description, i.owner_id, \
     o.name AS owner_name, i.requestable, i.enabled, i.require_reauth, i.reauth_window_minutes, \
     i.version, i.updated_at, u.name AS updated_by_name";
const FROM: &str = "access_items i \
     LEFT JOIN users o ON o.id = i.owner_id \
     LEFT JOIN users u ON u.id = i.updated_by";

fn search_text(name: &str, description: &str) -> String {
    format!("{} {}", name.to_lowercase(), description.to_lowercase())
}

pub async fn insert<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
    fields: &ItemFields<'_>,
    actor_id: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO access_items (id, kind, name, name_key, description, search_text, owner_id, \
         requestable, enabled, created_by, created_at, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $11)",
    )
    .bind(id)
    .bind(fields.kind.as_str())
    .bind(fields.name)
    .bind(fields.name.to_lowercase())
    .bind(fields.description)
    .bind(search_text(fields.name, fields.description))
    .bind(fields.owner_id)
    .bind(flag(fields.requestable))
    .bind(flag(fields.enabled))
    .bind(actor_id)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// Updates the item if it is still at `version`; `false` when someone else
/// changed it first (optimistic concurrency).
pub async fn update<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
    version: i64,
    fields: &ItemFields<'_>,
    actor_id: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE access_items SET kind = $1, name = $2, name_key = $3, description = $4, \
         search_text = $5, owner_id = $6, requestable = $7, enabled = $8, updated_by = $9, \
         updated_at = $10, version = version + 1 \
         WHERE id = $11 AND version = $12",
    )
    .bind(fields.kind.as_str())
    .bind(fields.name)
    .bind(fields.name.to_lowercase())
    .bind(fields.description)
    .bind(search_text(fields.name, fields.description))
    .bind(fields.owner_id)
    .bind(flag(fields.requestable))
    .bind(flag(fields.enabled))
    .bind(actor_id)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the item's re-authentication rule if it is still at `version`.
pub async fn update_reauth<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
    version: i64,
    require: bool,
    window_minutes: Option<i64>,
    actor_id: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE access_items SET require_reauth = $1, reauth_window_minutes = $2, \
         updated_by = $3, updated_at = $4, version = version + 1 \
         WHERE id = $5 AND version = $6",
    )
    .bind(flag(require))
    .bind(window_minutes)
    .bind(actor_id)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Bumps the version (the steps changed) if it is still at `version`.
pub async fn touch<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
    version: i64,
    actor_id: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE access_items SET updated_by = $1, updated_at = $2, version = version + 1 \
         WHERE id = $3 AND version = $4",
    )
    .bind(actor_id)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<AccessItem>, DbError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE i.id = $1"))
            .bind(id)
            .fetch_optional(ex)
            .await?,
    )
}

/// Is `name` taken by another item of `kind`?
pub async fn name_taken<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    kind: ItemKind,
    name: &str,
    except_id: Option<&str>,
) -> Result<bool, DbError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT id FROM access_items WHERE kind = $1 AND name_key = $2")
            .bind(kind.as_str())
            .bind(name.to_lowercase())
            .fetch_optional(ex)
            .await?;
    Ok(row.is_some_and(|(id,)| Some(id.as_str()) != except_id))
}

/// What a list of items is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Words that must each occur in the item's name or description, as
    /// typed (case aside): `%`, `_`, `"`, `*` are characters like any other.
    pub search: Option<String>,
    pub kind: Option<ItemKind>,
    /// Only requestable, enabled items (the catalog).
    pub catalog_only: bool,
    /// Most recently changed first, instead of by name.
    pub recent_first: bool,
}

impl ItemFilter {
    /// The search's words, lower-cased (`None` or blank: no search).
    pub fn words(&self) -> Vec<String> {
        self.search
            .as_deref()
            .map(|s| s.to_lowercase())
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    /// A search orders by rank, then name (not when newest change first).
    pub fn ranked(&self) -> bool {
        !self.recent_first && !self.words().is_empty()
    }
}

/// Where a page starts: after this row of the list's order.
#[derive(Debug, Clone, Copy)]
pub enum After<'a> {
    /// (`name_key`, `id`)
    Name(&'a str, &'a str),
    /// (`search_rank`, `name_key`, `id`): a search.
    Ranked(i64, &'a str, &'a str),
    /// (`updated_at`, `id`): newest change first.
    Recent(i64, &'a str),
}

/// An item of a list and its rank in a search: 0 its name starts with the
/// search, 1 its name holds every word, 2 only its description does (0
/// without a search).
#[derive(Debug, sqlx::FromRow)]
pub struct Listed {
    #[sqlx(flatten)]
    pub item: AccessItem,
    pub name_key: String,
    pub search_rank: i64,
}

/// A value bound to a placeholder of an assembled query.
enum Bound {
    Text(String),
    Int(i64),
}

/// One page of items ordered by name (by rank first when searching), or
/// newest change first; from the keyset `after` on.
///
/// A search keeps the items whose name or description holds every word as a
/// substring (`LIKE`, with `%`, `_` and `\` escaped). Its words of three
/// characters or more are first looked up in a trigram index (FTS5 on SQLite,
/// `pg_trgm` on PostgreSQL, migration 20261129003001), so a rare word reads
/// the few items that hold it; the `LIKE`s decide, so both databases answer
/// alike.
pub async fn list<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    backend: Backend,
    filter: &ItemFilter,
    after: Option<After<'_>>,
    limit: i64,
) -> Result<Vec<Listed>, DbError> {
    let mut binds: Vec<Bound> = Vec::new();
    let mut bind = |value: Bound| {
        binds.push(value);
        format!("${}", binds.len())
    };
    let words = filter.words();
    let mut conditions = Vec::new();
    if filter.catalog_only {
        conditions.push("i.requestable = 1 AND i.enabled = 1".to_owned());
    }
    let indexed: Vec<&String> = words.iter().filter(|w| w.chars().count() >= 3).collect();
    if backend == Backend::Sqlite && !indexed.is_empty() {
        // FTS5 strings: a double quote is doubled, everything else is literal.
        let phrases: Vec<String> = indexed
            .iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect();
        conditions.push(format!(
            "i.id IN (SELECT s.item_id FROM access_items_fts f \
             JOIN access_items_search s ON s.seq = f.rowid WHERE access_items_fts MATCH {})",
            bind(Bound::Text(phrases.join(" ")))
        ));
    }
    for word in &words {
        conditions.push(format!(
            "i.search_text LIKE {} ESCAPE '\\'",
            bind(Bound::Text(format!("%{}%", escape_like(word))))
        ));
    }
    if let Some(kind) = filter.kind {
        conditions.push(format!(
            "i.kind = {}",
            bind(Bound::Text(kind.as_str().into()))
        ));
    }
    let rank = if filter.ranked() {
        let prefix = bind(Bound::Text(format!("{}%", escape_like(&words.join(" ")))));
        let in_name: Vec<String> = words
            .iter()
            .map(|w| {
                format!(
                    "i.name_key LIKE {} ESCAPE '\\'",
                    bind(Bound::Text(format!("%{}%", escape_like(w))))
                )
            })
            .collect();
        format!(
            "CASE WHEN i.name_key LIKE {prefix} ESCAPE '\\' THEN 0 WHEN {} THEN 1 ELSE 2 END",
            in_name.join(" AND ")
        )
    } else {
        "0".to_owned()
    };
    let mut sql = format!(
        "SELECT * FROM (SELECT {COLUMNS}, i.name_key, {rank} AS search_rank \
         FROM {FROM} WHERE 1 = 1"
    );
    for condition in conditions {
        sql.push_str(" AND ");
        sql.push_str(&condition);
    }
    sql.push_str(") listed");
    // Row values, so both databases walk the index from the cursor on.
    match after {
        Some(After::Name(key, id)) => {
            let (a, b) = (bind(Bound::Text(key.into())), bind(Bound::Text(id.into())));
            sql.push_str(&format!(" WHERE (name_key, id) > ({a}, {b})"));
        }
        Some(After::Ranked(rank, key, id)) => {
            let (r, a, b) = (
                bind(Bound::Int(rank)),
                bind(Bound::Text(key.into())),
                bind(Bound::Text(id.into())),
            );
            sql.push_str(&format!(
                " WHERE (search_rank, name_key, id) > ({r}, {a}, {b})"
            ));
        }
        Some(After::Recent(at, id)) => {
            let (a, b) = (bind(Bound::Int(at)), bind(Bound::Text(id.into())));
            sql.push_str(&format!(" WHERE (updated_at, id) < ({a}, {b})"));
        }
        None => {}
    }
    let order = if filter.recent_first {
        "updated_at DESC, id DESC"
    } else if filter.ranked() {
        "search_rank, name_key, id"
    } else {
        "name_key, id"
    };
    sql.push_str(&format!(
        " ORDER BY {order} LIMIT {}",
        bind(Bound::Int(limit))
    ));
    let mut query = sqlx::query_as::<_, Listed>(&sql);
    for value in binds {
        query = match value {
            Bound::Text(text) => query.bind(text),
            Bound::Int(int) => query.bind(int),
        };
    }
    Ok(query.fetch_all(ex).await?)
}

/// `%` and `_` in a search are searched for, not wildcards.
fn escape_like(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The steps of an item, in order. A step whose person or group is missing is
/// left out; one of a kind this version does not know is an error.
pub async fn steps<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    item_id: &str,
) -> Result<Vec<Approver>, DbError> {
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT approver_kind, approver_user_id, approver_group FROM approval_steps \
         WHERE item_id = $1 ORDER BY position",
    )
    .bind(item_id)
    .fetch_all(ex)
    .await?;
    let mut steps = Vec::with_capacity(rows.len());
    for (kind, user_id, group) in rows {
        let step = match kind.as_str() {
            "owner" => Some(Approver::Owner),
            "user" => user_id.map(|user_id| Approver::User { user_id }),
            "group" => group.map(|group| Approver::Group { group }),
            "manager" => Some(Approver::Manager),
            _ => {
                return Err(DbError::UnknownValue {
                    table: "approval_steps",
                    column: "approver_kind",
                    value: kind,
                });
            }
        };
        steps.extend(step);
    }
    Ok(steps)
}

/// How many approval steps each of `item_ids` has today, as `(item_id, count)`
/// (an item without steps is left out). One statement for a whole page.
pub async fn step_counts<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    item_ids: &[&str],
) -> Result<Vec<(String, i64)>, DbError> {
    if item_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (1..=item_ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT item_id, COUNT(*) FROM approval_steps WHERE item_id IN ({}) GROUP BY item_id",
        list.join(", ")
    );
    let query = item_ids
        .iter()
        .fold(sqlx::query_as::<_, (String, i64)>(&sql), |q, id| {
            q.bind(*id)
        });
    Ok(query.fetch_all(ex).await?)
}

/// Replaces the steps of an item.
pub async fn replace_steps(
    tx: &mut super::Tx,
    item_id: &str,
    steps: &[Approver],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM approval_steps WHERE item_id = $1")
        .bind(item_id)
        .execute(&mut **tx)
        .await?;
    for (position, step) in steps.iter().enumerate() {
        let (kind, user_id, group) = match step {
            Approver::Owner => ("owner", None, None),
            Approver::User { user_id } => ("user", Some(user_id.as_str()), None),
            Approver::Group { group } => ("group", None, Some(group.as_str())),
            Approver::Manager => ("manager", None, None),
        };
        sqlx::query(
            "INSERT INTO approval_steps (item_id, position, approver_kind, approver_user_id, \
             approver_group) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(item_id)
        .bind(position as i64)
        .bind(kind)
        .bind(user_id)
        .bind(group)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn count<'c, E: Executor<'c, Database = Any>>(ex: E) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_items")
        .fetch_one(ex)
        .await?;
    Ok(n)
}
