//! People as the directory reads and writes them (the SCIM `User` resource):
//! `users` rows that are not deleted, with their SCIM columns.

use sqlx::{Any, Executor};

use super::filter::{Bind, Where};
use crate::db::{DbError, Tx};

/// A person with everything a SCIM representation needs.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PersonRow {
    pub id: String,
    pub issuer: String,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub employee_number: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<String>,
    /// The manager's name (`manager.displayName`).
    pub manager_name: Option<String>,
    pub scim_json: Option<String>,
    pub source: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: Option<i64>,
    pub disabled_at: Option<i64>,
    pub deleted_at: Option<i64>,
}

impl PersonRow {
    /// Pushed by the directory and not yet signed in (no provider identity).
    pub fn is_unlinked(&self) -> bool {
        self.issuer.is_empty()
    }
}

/// What the directory sets on a person (the manager, being active and the
/// groups go through their own rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonWrite {
    pub user_name: String,
    pub external_id: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub employee_number: Option<String>,
    pub department: Option<String>,
    pub scim_json: String,
}

impl PersonWrite {
    /// The unique, case-insensitive key of `userName`.
    pub fn user_name_key(&self) -> String {
        user_name_key(&self.user_name)
    }
}

/// `userName` compares without regard to case (RFC 7643 §4.1.1: caseExact
/// false), so it is unique and looked up lower-cased.
pub fn user_name_key(user_name: &str) -> String {
    user_name.to_lowercase()
}

const SELECT: &str = "SELECT u.id, u.issuer, u.subject, u.name, u.email, u.user_name, \
     u.external_id, u.employee_number, u.department, u.manager_id, m.name AS manager_name, \
     u.scim_json, u.source, u.version, u.created_at, u.updated_at, u.disabled_at, u.deleted_at \
     FROM users u LEFT JOIN users m ON m.id = u.manager_id";

async fn one<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    condition: &str,
    value: &str,
) -> Result<Option<PersonRow>, DbError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE {condition}"))
        .bind(value)
        .fetch_optional(ex)
        .await?)
}

/// A person the directory can see (not deleted).
pub async fn find<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    id: &str,
) -> Result<Option<PersonRow>, DbError> {
    one(ex, "u.id = $1 AND u.deleted_at IS NULL", id).await
}

/// Whoever holds this `userName` (deleted people too: the key stays theirs).
pub async fn by_user_name<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_name: &str,
) -> Result<Option<PersonRow>, DbError> {
    one(ex, "u.user_name_key = $1", &user_name_key(user_name)).await
}

/// Whoever holds this `externalId` (deleted people too).
pub async fn by_external_id<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    external_id: &str,
) -> Result<Option<PersonRow>, DbError> {
    one(ex, "u.external_id = $1", external_id).await
}

/// A person known from a sign-in (not pushed by the directory) whose
/// provider subject is `subject`.
pub async fn signed_in_by_subject<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    subject: &str,
) -> Result<Option<PersonRow>, DbError> {
    one(
        ex,
        "u.subject = $1 AND u.issuer <> '' AND u.source = 'oidc' ORDER BY u.id LIMIT 1",
        subject,
    )
    .await
}

/// A person known from a sign-in (not pushed by the directory), without a
/// `userName` yet, whose email is `email` (any case).
pub async fn signed_in_by_email<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    email: &str,
) -> Result<Option<PersonRow>, DbError> {
    one(
        ex,
        "LOWER(u.email) = LOWER($1) AND u.issuer <> '' AND u.source = 'oidc' \
         AND u.user_name_key IS NULL ORDER BY u.id LIMIT 1",
        email,
    )
    .await
}

/// A new person pushed by the directory, not yet signed in: issuer '' and
/// subject = their id until their first sign-in links them.
pub async fn insert(tx: &mut Tx, id: &str, p: &PersonWrite, now: i64) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO users (id, issuer, subject, name, email, groups_json, created_at, \
         last_login_at, user_name, user_name_key, external_id, employee_number, department, \
         scim_json, source, version, updated_at) \
         VALUES ($1, '', $1, $2, $3, '[]', $4, 0, $5, $6, $7, $8, $9, $10, 'scim', 1, $4)",
    )
    .bind(id)
    .bind(&p.name)
    .bind(&p.email)
    .bind(now)
    .bind(&p.user_name)
    .bind(p.user_name_key())
    .bind(&p.external_id)
    .bind(&p.employee_number)
    .bind(&p.department)
    .bind(&p.scim_json)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes the directory's attributes over a person at `version` (and makes
/// them the directory's, not deleted); returns false when the version moved.
pub async fn update(
    tx: &mut Tx,
    id: &str,
    version: i64,
    p: &PersonWrite,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET name = $1, email = $2, user_name = $3, user_name_key = $4, \
         external_id = $5, employee_number = $6, department = $7, scim_json = $8, \
         source = 'scim', deleted_at = NULL, version = version + 1, updated_at = $9 \
         WHERE id = $10 AND version = $11",
    )
    .bind(&p.name)
    .bind(&p.email)
    .bind(&p.user_name)
    .bind(p.user_name_key())
    .bind(&p.external_id)
    .bind(&p.employee_number)
    .bind(&p.department)
    .bind(&p.scim_json)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a person deleted by the directory at `version`; the row stays for the
/// audit trail. Returns false when the version moved.
pub async fn mark_deleted(tx: &mut Tx, id: &str, version: i64, now: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET deleted_at = $1, version = version + 1, updated_at = $1 \
         WHERE id = $2 AND version = $3 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A new version of the person (what their representation shows changed
/// elsewhere: the groups they are in, the manager they had).
pub async fn touch(tx: &mut Tx, id: &str, now: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Lets a disabled person sign in again; returns whether this call did it.
pub async fn enable(tx: &mut Tx, id: &str) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Links a pushed person to the provider identity of their first sign-in;
/// returns false when they were linked meanwhile.
pub async fn link(tx: &mut Tx, id: &str, issuer: &str, subject: &str) -> Result<bool, DbError> {
    let done =
        sqlx::query("UPDATE users SET issuer = $1, subject = $2 WHERE id = $3 AND issuer = ''")
            .bind(issuer)
            .bind(subject)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a sign-in of a person the directory manages (their profile and
/// groups are the directory's: nothing else changes).
pub async fn signed_in(tx: &mut Tx, id: &str, now: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One page of the people `filter` selects, by id (the primary key), and how
/// many it selects in all.
pub async fn page<'c, E>(
    ex: E,
    filter: &Where,
    offset: i64,
    limit: i64,
) -> Result<(Vec<PersonRow>, i64), DbError>
where
    E: Executor<'c, Database = Any> + Copy,
{
    let condition = format!("u.deleted_at IS NULL AND ({})", filter.sql);
    let total = super::filter::count(ex, "users u", &condition, &filter.binds).await?;
    if limit == 0 {
        return Ok((Vec::new(), total));
    }
    let n = filter.binds.len();
    let sql = format!(
        "{SELECT} WHERE {condition} ORDER BY u.id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut query = sqlx::query_as::<_, PersonRow>(&sql);
    for bind in &filter.binds {
        query = match bind {
            Bind::Text(text) => query.bind(text.clone()),
            Bind::Int(int) => query.bind(*int),
        };
    }
    let rows = query.bind(limit).bind(offset).fetch_all(ex).await?;
    Ok((rows, total))
}

/// The groups (id, displayName) of each of `user_ids`, in one query.
pub async fn groups_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_ids: &[&str],
) -> Result<Vec<(String, String, String)>, DbError> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=user_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT m.user_id, g.id, g.display_name FROM group_members m \
         JOIN directory_groups g ON g.id = m.group_id \
         WHERE m.user_id IN ({}) ORDER BY m.user_id, g.display_name",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, String, String)>(&sql);
    for id in user_ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(ex).await?)
}
