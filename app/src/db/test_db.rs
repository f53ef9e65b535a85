//! Fresh databases for tests, on the backend `COUNTERSIGN_TEST_DATABASE` names:
//! `sqlite` (default; a new file in a temp dir) or `postgres` (a new database on
//! the server at `COUNTERSIGN_TEST_POSTGRES_URL`, as `scripts/test.sh` starts it).
//! Asking for PostgreSQL without a server is an error, never a silent skip.

use sqlx::{Connection, Executor};

use super::{Db, DbError};

/// A migrated, empty database of its own for one test, and its URL.
pub async fn fresh() -> Result<(Db, String), DbError> {
    let url = fresh_url().await?;
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    Ok((db, url))
}

/// The URL of a new, empty (unmigrated) database.
pub async fn fresh_url() -> Result<String, DbError> {
    let name = format!("cs_test_{}", uuid::Uuid::now_v7().simple());
    match std::env::var("COUNTERSIGN_TEST_DATABASE").as_deref() {
        Ok("sqlite") | Err(_) => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            Ok(format!("sqlite:{}", path.display()))
        }
        Ok("postgres") => {
            let server = std::env::var("COUNTERSIGN_TEST_POSTGRES_URL").map_err(|_| {
                DbError::UnsupportedUrl(
                    "COUNTERSIGN_TEST_DATABASE=postgres needs COUNTERSIGN_TEST_POSTGRES_URL \
                     (scripts/test.sh starts a server and sets it)"
                        .into(),
                )
            })?;
            let mut admin = sqlx::PgConnection::connect(&server)
                .await
                .map_err(DbError::Connect)?;
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await?;
            let mut url = url::Url::parse(&server)
                .map_err(|_| DbError::UnsupportedUrl(super::redact(&server)))?;
            url.set_path(&format!("/{name}"));
            Ok(url.to_string())
        }
        Ok(other) => Err(DbError::UnsupportedUrl(format!(
            "COUNTERSIGN_TEST_DATABASE={other:?}: use sqlite or postgres"
        ))),
    }
}

/// Moves every re-authentication challenge `secs` into the past (tests of expiry).
pub async fn age_challenges(db: &Db, secs: i64) {
    sqlx::query(
        "UPDATE reauth_challenges SET created_at = created_at - $1, expires_at = expires_at - $1",
    )
    .bind(secs)
    .execute(db.pool())
    .await
    .expect("age challenges");
}

/// Removes the triggers that keep the audit trail append-only, as someone with
/// the database owner's rights could: tests of what the hash chain detects then
/// edit the trail directly.
pub async fn drop_audit_guard(db: &Db) -> Result<(), DbError> {
    let statements: &[&str] = match db.backend() {
        super::Backend::Postgres => &[
            "DROP TRIGGER audit_log_append_only ON audit_log",
            "DROP TRIGGER audit_log_no_truncate ON audit_log",
        ],
        super::Backend::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
    };
    for statement in statements {
        sqlx::query(statement).execute(db.pool()).await?;
    }
    Ok(())
}
