//! Access items and their approval steps.

use sqlx::{Any, Executor};

use super::{DbError, flag};
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

const SELECT: &str = "SELECT i.id, i.kind, i.name, i.description, i.owner_id, \
     o.name AS owner_name, i.requestable, i.enabled, i.require_reauth, i.reauth_window_minutes, \
     i.version, i.updated_at, u.name AS updated_by_name \
     FROM access_items i \
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
    Ok(sqlx::query_as(&format!("{SELECT} WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?)
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
    pub search: Option<String>,
    pub kind: Option<ItemKind>,
    /// Only requestable, enabled items (the catalog).
    pub catalog_only: bool,
    /// Most recently changed first, instead of by name.
    pub recent_first: bool,
}

/// One page of items ordered by name, after the keyset `after` (`name_key`, `id`);
/// or, with `recent_first`, newest change first after (`updated_at`, `id`).
pub async fn list<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    filter: &ItemFilter,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<AccessItem>, DbError> {
    let mut sql = format!("{SELECT} WHERE 1 = 1");
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if filter.catalog_only {
        sql.push_str(" AND i.requestable = 1 AND i.enabled = 1");
    }
    let search = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| format!("%{}%", escape_like(&s.to_lowercase())));
    if search.is_some() {
        sql.push_str(&format!(" AND i.search_text LIKE {} ESCAPE '\\'", next()));
    }
    if filter.kind.is_some() {
        sql.push_str(&format!(" AND i.kind = {}", next()));
    }
    let recent_after = match (filter.recent_first, after) {
        (true, Some((at, id))) => Some((at.parse::<i64>().unwrap_or(i64::MAX), id)),
        _ => None,
    };
    if after.is_some() {
        let (a, b) = (next(), next());
        // Row values, so both databases walk the index from the cursor on.
        if filter.recent_first {
            sql.push_str(&format!(" AND (i.updated_at, i.id) < ({a}, {b})"));
        } else {
            sql.push_str(&format!(" AND (i.name_key, i.id) > ({a}, {b})"));
        }
    }
    let order = if filter.recent_first {
        "i.updated_at DESC, i.id DESC"
    } else {
        "i.name_key, i.id"
    };
    sql.push_str(&format!(" ORDER BY {order} LIMIT {}", next()));
    let mut query = sqlx::query_as::<_, AccessItem>(&sql);
    if let Some(search) = search {
        query = query.bind(search);
    }
    if let Some(kind) = filter.kind {
        query = query.bind(kind.as_str());
    }
    match (recent_after, after) {
        (Some((at, id)), _) => query = query.bind(at).bind(id.to_owned()),
        (None, Some((key, id))) => query = query.bind(key.to_owned()).bind(id.to_owned()),
        (None, None) => {}
    }
    Ok(query.bind(limit).fetch_all(ex).await?)
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
