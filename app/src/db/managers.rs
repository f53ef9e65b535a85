//! Who manages whom: `users.manager_id`, set by the directory. The reports of a
//! manager are read by name through `users_by_manager (manager_id, name, id)`.

use sqlx::{Any, Executor};

use super::DbError;

/// The manager the directory names for `user_id`, if any.
pub async fn manager_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
) -> Result<Option<String>, DbError> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT manager_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(ex)
            .await?;
    Ok(row.and_then(|(manager,)| manager))
}

/// A direct report, as the My team page lists them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportRow {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
}

/// The people `manager_id` manages who have not left, by name, after the
/// keyset `after` (`name`, `id`).
pub async fn reports_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    manager_id: &str,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<ReportRow>, DbError> {
    // Row values, so both databases walk the index from the cursor on.
    let (keyset, limit_at) = match after {
        Some(_) => (" AND (name, id) > ($2, $3)", "$4"),
        None => ("", "$2"),
    };
    let sql = format!(
        "SELECT id, name, email FROM users \
         WHERE manager_id = $1 AND disabled_at IS NULL{keyset} \
         ORDER BY name, id LIMIT {limit_at}"
    );
    let mut query = sqlx::query_as::<_, ReportRow>(&sql).bind(manager_id);
    if let Some((name, id)) = after {
        query = query.bind(name.to_owned()).bind(id.to_owned());
    }
    Ok(query.bind(limit).fetch_all(ex).await?)
}

/// Everyone whose row names `manager_id` as their manager, left or not
/// (`users_by_manager`): the references to clear when the manager is deleted.
pub async fn all_reports_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    manager_id: &str,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM users WHERE manager_id = $1")
        .bind(manager_id)
        .fetch_all(ex)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Does anybody who has not left report to `manager_id`?
pub async fn has_reports<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    manager_id: &str,
) -> Result<bool, DbError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM users WHERE manager_id = $1 AND disabled_at IS NULL LIMIT 1",
    )
    .bind(manager_id)
    .fetch_optional(ex)
    .await?;
    Ok(row.is_some())
}
