//! Groups as the directory reads and writes them (the SCIM `Group` resource).
//! Who is in a group is `db::groups`' (the one writer of the roles cache); this
//! file changes the groups themselves and reads members a page at a time.

use sqlx::{Any, Executor};

use super::filter::{Bind, Where};
use crate::db::{DbError, Tx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupRow {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub source: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const SELECT: &str = "SELECT g.id, g.display_name, g.external_id, g.source, g.version, \
     g.created_at, g.updated_at FROM directory_groups g";

pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<GroupRow>, DbError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

pub async fn by_display_name<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    display_name: &str,
) -> Result<Option<GroupRow>, DbError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE g.display_name = $1"))
            .bind(display_name)
            .fetch_optional(ex)
            .await?,
    )
}

pub async fn by_external_id<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    external_id: &str,
) -> Result<Option<GroupRow>, DbError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE g.external_id = $1"))
            .bind(external_id)
            .fetch_optional(ex)
            .await?,
    )
}

pub async fn insert(
    tx: &mut Tx,
    id: &str,
    (display_name, external_id): (&str, Option<&str>),
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO directory_groups (id, display_name, external_id, source, version, \
         created_at, updated_at) VALUES ($1, $2, $3, 'scim', 1, $4, $4)",
    )
    .bind(id)
    .bind(display_name)
    .bind(external_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets the group's name and external id at `version` (and makes it the
/// directory's); returns false when the version moved.
pub async fn update(
    tx: &mut Tx,
    id: &str,
    version: i64,
    (display_name, external_id): (&str, Option<&str>),
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE directory_groups SET display_name = $1, external_id = $2, source = 'scim', \
         version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5",
    )
    .bind(display_name)
    .bind(external_id)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the group (its members must be gone); false when the version moved.
pub async fn delete(tx: &mut Tx, id: &str, version: i64) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM directory_groups WHERE id = $1 AND version = $2")
        .bind(id)
        .bind(version)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The ids of the group's members, in id order (the primary key's).
pub async fn member_ids<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    group_id: &str,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id")
            .bind(group_id)
            .fetch_all(ex)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The members (group id, user id, name) of each of `group_ids`, in one query.
pub async fn members_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    group_ids: &[&str],
) -> Result<Vec<(String, String, String)>, DbError> {
    if group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=group_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT m.group_id, u.id, u.name FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.group_id IN ({}) ORDER BY m.group_id, u.id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, String, String)>(&sql);
    for id in group_ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(ex).await?)
}

/// Adds `user_id` to the group; returns whether they were not in it yet.
pub async fn add_member(tx: &mut Tx, group_id: &str, user_id: &str) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(group_id)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes `user_id` from the group; returns whether they were in it.
pub async fn remove_member(tx: &mut Tx, group_id: &str, user_id: &str) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The groups `user_id` is in (ids), to take them out when they are deleted.
pub async fn group_ids_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id")
            .bind(user_id)
            .fetch_all(ex)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// One page of the groups `filter` selects, by id, and how many in all.
pub async fn page<'c, E>(
    ex: E,
    filter: &Where,
    offset: i64,
    limit: i64,
) -> Result<(Vec<GroupRow>, i64), DbError>
where
    E: Executor<'c, Database = Any> + Copy,
{
    let total = super::filter::count(ex, "directory_groups g", &filter.sql, &filter.binds).await?;
    if limit == 0 {
        return Ok((Vec::new(), total));
    }
    let n = filter.binds.len();
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY g.id LIMIT ${} OFFSET ${}",
        filter.sql,
        n + 1,
        n + 2
    );
    let mut query = sqlx::query_as::<_, GroupRow>(&sql);
    for bind in &filter.binds {
        query = match bind {
            Bind::Text(text) => query.bind(text.clone()),
            Bind::Int(int) => query.bind(*int),
        };
    }
    let rows = query.bind(limit).bind(offset).fetch_all(ex).await?;
    Ok((rows, total))
}

/// A new version of the group (its members changed).
pub async fn touch(tx: &mut Tx, id: &str, now: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE directory_groups SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A group renamed by the directory: the approval steps and the pending tasks
/// that name it by its old name name it by the new one. Returns (steps, tasks)
/// changed (`approval_steps_by_group`, `approval_tasks_for_group`).
pub async fn follow_rename(tx: &mut Tx, before: &str, after: &str) -> Result<(u64, u64), DbError> {
    let steps = sqlx::query(
        "UPDATE approval_steps SET approver_group = $1 \
         WHERE approver_kind = 'group' AND approver_group = $2",
    )
    .bind(after)
    .bind(before)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let tasks = sqlx::query(
        "UPDATE approval_tasks SET approver_group = $1 \
         WHERE approver_group = $2 AND state = 'pending'",
    )
    .bind(after)
    .bind(before)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok((steps, tasks))
}
