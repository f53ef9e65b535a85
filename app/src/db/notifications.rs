//! Notifications: whether this installation sends mail, who gets a mail (with an
//! address, still here), people's opt-outs and one-click unsubscribe tokens,
//! and the assignments whose end is near.

use sqlx::{Any, Executor};

use super::{DbError, Tx};

/// Someone a mail can go to: present (not disabled) and with an address.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Recipient {
    pub id: String,
    pub name: String,
    pub email: String,
}

const RECIPIENT: &str = "SELECT u.id, u.name, u.email FROM users u";
const PRESENT: &str = "u.disabled_at IS NULL AND u.email IS NOT NULL AND u.email <> ''";

/// Does this installation send mail? (`false` until a server said so.)
pub async fn mail_enabled<'c, E: Executor<'c, Database = Any>>(ex: E) -> Result<bool, DbError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT mail_enabled FROM notification_delivery WHERE id = 1")
            .fetch_optional(ex)
            .await?;
    Ok(row.is_some_and(|(on,)| on != 0))
}

/// Records whether mail is sent (each server at start-up, from its configuration).
pub async fn set_mail_enabled(tx: &mut Tx, enabled: bool, now: i64) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO notification_delivery (id, mail_enabled, updated_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET mail_enabled = $1, updated_at = $2",
    )
    .bind(super::flag(enabled))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `user_id` as a recipient, when present and with an address.
pub async fn recipient<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
) -> Result<Option<Recipient>, DbError> {
    Ok(
        sqlx::query_as(&format!("{RECIPIENT} WHERE u.id = $1 AND {PRESENT}"))
            .bind(user_id)
            .fetch_optional(ex)
            .await?,
    )
}

/// The present members (with an address) of the group named `group`, by name,
/// at most `limit`.
pub async fn members_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    group: &str,
    limit: i64,
) -> Result<Vec<Recipient>, DbError> {
    Ok(sqlx::query_as(&format!(
        "{RECIPIENT} JOIN group_members m ON m.user_id = u.id \
         JOIN directory_groups g ON g.id = m.group_id \
         WHERE g.display_name = $1 AND {PRESENT} ORDER BY u.name, u.id LIMIT $2"
    ))
    .bind(group)
    .bind(limit)
    .fetch_all(ex)
    .await?)
}

/// Has `user_id` turned `topic` off, or left?
pub async fn declined<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
    topic: Option<&str>,
) -> Result<bool, DbError> {
    let (declined,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM users u WHERE u.id = $1 AND (u.disabled_at IS NOT NULL \
         OR EXISTS (SELECT 1 FROM notification_opt_outs o \
                    WHERE o.user_id = u.id AND o.topic = $2))",
    )
    .bind(user_id)
    .bind(topic.unwrap_or(""))
    .fetch_one(ex)
    .await?;
    Ok(declined > 0)
}

/// The topics `user_id` turned off.
pub async fn opt_outs<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    user_id: &str,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT topic FROM notification_opt_outs WHERE user_id = $1 ORDER BY topic")
            .bind(user_id)
            .fetch_all(ex)
            .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

/// Turns `topic` off (`off`) or on again for `user_id`; `true` when that
/// changed something.
pub async fn set_opt_out(
    tx: &mut Tx,
    user_id: &str,
    topic: &str,
    off: bool,
    now: i64,
) -> Result<bool, DbError> {
    let done = if off {
        sqlx::query(
            "INSERT INTO notification_opt_outs (user_id, topic, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, topic) DO NOTHING",
        )
        .bind(user_id)
        .bind(topic)
        .bind(now)
        .execute(&mut **tx)
        .await?
    } else {
        sqlx::query("DELETE FROM notification_opt_outs WHERE user_id = $1 AND topic = $2")
            .bind(user_id)
            .bind(topic)
            .execute(&mut **tx)
            .await?
    };
    Ok(done.rows_affected() == 1)
}

/// Keeps the hash of a one-click unsubscribe token.
pub async fn insert_unsubscribe(
    tx: &mut Tx,
    token_hash: &str,
    user_id: &str,
    topic: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO notification_unsubscribe_tokens (token_hash, user_id, topic, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(topic)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The person and topic of an unsubscribe token (by its hash).
pub async fn unsubscribe_of<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    token_hash: &str,
) -> Result<Option<(String, String)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT user_id, topic FROM notification_unsubscribe_tokens WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(ex)
    .await?)
}

/// An assignment whose end is near.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Ending {
    pub user_id: String,
    pub item_id: String,
    pub item_name: String,
    pub end_date: i64,
}

/// Assignments ending after `from` and at most at `to`, soonest first, after
/// the keyset `after` (end date, user id, item id), at most `limit`.
pub async fn ending_between<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    (from, to): (i64, i64),
    after: Option<(i64, &str, &str)>,
    limit: i64,
) -> Result<Vec<Ending>, DbError> {
    let (end, user, item) = after.unwrap_or((from, "", ""));
    Ok(sqlx::query_as(
        "SELECT a.user_id, a.item_id, i.name AS item_name, a.end_date \
         FROM assignments a JOIN access_items i ON i.id = a.item_id \
         WHERE a.end_date > $1 AND a.end_date <= $2 \
         AND (a.end_date > $3 OR (a.end_date = $3 AND (a.user_id > $4 \
              OR (a.user_id = $4 AND a.item_id > $5)))) \
         ORDER BY a.end_date, a.user_id, a.item_id LIMIT $6",
    )
    .bind(from)
    .bind(to)
    .bind(end)
    .bind(user)
    .bind(item)
    .bind(limit)
    .fetch_all(ex)
    .await?)
}
