//! The directory's side of the database: the people and groups SCIM reads and
//! writes (`people`, `groups`), the SCIM filter as SQL (`filter`), the
//! directory's tokens (`tokens`) and the log of SCIM operations (`operations`).

pub mod filter;
pub mod groups;
pub mod operations;
pub mod people;
pub mod tokens;

use sqlx::{Any, Executor};

use crate::db::DbError;

/// How many people and groups there are, for the Directory page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub users: i64,
    pub active_users: i64,
    pub directory_users: i64,
    pub groups: i64,
}

pub async fn counts<'c, E>(ex: E) -> Result<Counts, DbError>
where
    E: Executor<'c, Database = Any> + Copy,
{
    let (users, active_users, directory_users): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), \
           COALESCE(SUM(CASE WHEN disabled_at IS NULL THEN 1 ELSE 0 END), 0), \
           COALESCE(SUM(CASE WHEN source = 'scim' THEN 1 ELSE 0 END), 0) \
         FROM users WHERE deleted_at IS NULL",
    )
    .fetch_one(ex)
    .await?;
    let (groups,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM directory_groups")
        .fetch_one(ex)
        .await?;
    Ok(Counts {
        users,
        active_users,
        directory_users,
        groups,
    })
}
