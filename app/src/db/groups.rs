//! Groups and who is in them (`directory_groups`, `group_members`): pushed by the
//! directory over SCIM, or named in ID tokens when there is no directory.
//!
//! `users.groups_json` caches each person's group names for the role check of
//! every request; [`sync_cached_groups`] is the one writer of that cache from the
//! membership rows, so the two never disagree after a transaction commits.

use super::{DbError, Tx};

/// Where a group came from.
pub const SOURCE_OIDC: &str = "oidc";
pub const SOURCE_SCIM: &str = "scim";

/// The id of the group named `display_name`, creating it (from `source`) when
/// nobody has named it before.
pub async fn ensure_named(
    tx: &mut Tx,
    display_name: &str,
    source: &str,
    now: i64,
) -> Result<String, DbError> {
    let new_id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO directory_groups (id, display_name, source, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (display_name) DO NOTHING",
    )
    .bind(&new_id)
    .bind(display_name)
    .bind(source)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let (id,): (String,) =
        sqlx::query_as("SELECT id FROM directory_groups WHERE display_name = $1")
            .bind(display_name)
            .fetch_one(&mut **tx)
            .await?;
    Ok(id)
}

/// Makes `user_id` a member of exactly the groups named `names` (an ID token's
/// groups claim), creating unknown groups, and refreshes their cached list.
pub async fn set_memberships_by_name(
    tx: &mut Tx,
    user_id: &str,
    names: &[String],
    now: i64,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM group_members WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for name in names {
        let group_id = ensure_named(tx, name, SOURCE_OIDC, now).await?;
        sqlx::query(
            "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&group_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    }
    sync_cached_groups(tx, user_id).await
}

/// The names of the groups `user_id` is in, sorted.
pub async fn names_of<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    ex: E,
    user_id: &str,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT g.display_name FROM group_members m \
         JOIN directory_groups g ON g.id = m.group_id \
         WHERE m.user_id = $1 ORDER BY g.display_name",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|(name,)| name).collect())
}

/// Rewrites `users.groups_json` of `user_id` from their membership rows; call it
/// in the transaction that changed them.
pub async fn sync_cached_groups(tx: &mut Tx, user_id: &str) -> Result<(), DbError> {
    let names = names_of(&mut **tx, user_id).await?;
    let json = serde_json::to_string(&names).unwrap_or_else(|_| "[]".into());
    sqlx::query("UPDATE users SET groups_json = $1 WHERE id = $2")
        .bind(json)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Does the group named `display_name` exist and have a member?
pub async fn has_members<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    ex: E,
    display_name: &str,
) -> Result<bool, DbError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT m.user_id FROM directory_groups g \
         JOIN group_members m ON m.group_id = g.id \
         WHERE g.display_name = $1 LIMIT 1",
    )
    .bind(display_name)
    .fetch_optional(ex)
    .await?;
    Ok(row.is_some())
}
