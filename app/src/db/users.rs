//! Users, provisioned just in time at sign-in. `(issuer, subject)` is the identity;
//! name, email and groups are refreshed from the provider at each sign-in.

use super::{Db, DbError, Tx, now_epoch};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub issuer: String,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    #[sqlx(rename = "groups_json", try_from = "GroupsJson")]
    pub groups: Vec<String>,
    /// When the person was disabled: they cannot sign in, and nothing of theirs works.
    pub disabled_at: Option<i64>,
}

/// What the provider told us about a person at sign-in.
pub struct SignInProfile<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    /// `preferred_username`, when the provider sends it.
    pub login_name: Option<&'a str>,
    pub groups: &'a [String],
}

/// Creates the user on first sign-in, refreshes their profile afterwards; returns the row.
pub async fn upsert_at_sign_in(db: &Db, profile: &SignInProfile<'_>) -> Result<UserRow, DbError> {
    let mut tx = db.write_tx().await?;
    let user = upsert_in(&mut tx, profile).await?;
    tx.commit().await?;
    Ok(user)
}

/// [`upsert_at_sign_in`] inside a transaction (with the sign-in's audit records).
pub async fn upsert_in(tx: &mut Tx, profile: &SignInProfile<'_>) -> Result<UserRow, DbError> {
    let now = now_epoch();
    let groups_json = serde_json::to_string(profile.groups).unwrap_or_else(|_| "[]".into());
    let new_id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO users (id, issuer, subject, name, email, groups_json, created_at, last_login_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (issuer, subject) DO UPDATE SET \
           name = excluded.name, email = excluded.email, \
           groups_json = excluded.groups_json, last_login_at = excluded.last_login_at",
    )
    .bind(&new_id)
    .bind(profile.issuer)
    .bind(profile.subject)
    .bind(profile.name)
    .bind(profile.email)
    .bind(&groups_json)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let user = find_by_identity_in(&mut **tx, profile.issuer, profile.subject)
        .await?
        .ok_or(DbError::Query(sqlx::Error::RowNotFound))?;
    super::groups::set_memberships_by_name(tx, &user.id, profile.groups, now).await?;
    find_in(&mut **tx, &user.id)
        .await?
        .ok_or(DbError::Query(sqlx::Error::RowNotFound))
}

/// The groups as stored: a JSON list of the provider's group names.
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub struct GroupsJson(String);

impl From<GroupsJson> for Vec<String> {
    fn from(GroupsJson(json): GroupsJson) -> Vec<String> {
        serde_json::from_str(&json).unwrap_or_default()
    }
}

/// Users `WHERE …` (`filter`).
fn users(filter: &str) -> String {
    format!(
        "SELECT id, issuer, subject, name, email, groups_json, disabled_at FROM users \
         WHERE {filter}"
    )
}

pub async fn find_by_identity(
    db: &Db,
    issuer: &str,
    subject: &str,
) -> Result<Option<UserRow>, DbError> {
    find_by_identity_in(db.pool(), issuer, subject).await
}

/// [`find_by_identity`] on any executor (inside a transaction).
pub async fn find_by_identity_in<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    ex: E,
    issuer: &str,
    subject: &str,
) -> Result<Option<UserRow>, DbError> {
    Ok(sqlx::query_as(&users("issuer = $1 AND subject = $2"))
        .bind(issuer)
        .bind(subject)
        .fetch_optional(ex)
        .await?)
}

pub async fn find(db: &Db, id: &str) -> Result<Option<UserRow>, DbError> {
    find_in(db.pool(), id).await
}

pub async fn count(db: &Db) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await?;
    Ok(n)
}

/// Does anybody belong to `group`?
pub async fn group_exists(db: &Db, group: &str) -> Result<bool, DbError> {
    super::groups::has_members(db.pool(), group).await
}

/// Looks a person up by the provider's subject (any issuer) or exact name.
pub async fn find_by_login(db: &Db, login: &str) -> Result<Option<UserRow>, DbError> {
    Ok(
        sqlx::query_as(&users("subject = $1 OR email = $1 ORDER BY id LIMIT 1"))
            .bind(login)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// [`find`] on any executor (inside a transaction).
pub async fn find_in<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    ex: E,
    id: &str,
) -> Result<Option<UserRow>, DbError> {
    Ok(sqlx::query_as(&users("id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

/// Marks a person disabled (once); returns whether this call did it.
pub async fn disable(tx: &mut super::Tx, id: &str, now: i64) -> Result<bool, DbError> {
    let done =
        sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets `id`'s manager; returns the manager before, or `Err` when the row is gone.
pub async fn set_manager(
    tx: &mut super::Tx,
    id: &str,
    manager_id: Option<&str>,
) -> Result<Option<String>, DbError> {
    let (before,): (Option<String>,) = sqlx::query_as("SELECT manager_id FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(DbError::Query(sqlx::Error::RowNotFound))?;
    sqlx::query("UPDATE users SET manager_id = $1 WHERE id = $2")
        .bind(manager_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(before)
}
