//! Fresh databases for tests, on the backend `COUNTERSIGN_TEST_DATABASE` names:
//! `sqlite` (default; a new file in a directory of its own in the temp dir) or `postgres` (a new database on
//! the server at `COUNTERSIGN_TEST_POSTGRES_URL`, as `scripts/test.sh` starts it).
//! Asking for PostgreSQL without a server is an error, never a silent skip. Each
//! database is removed when its [`TestDatabase`] is dropped.

use std::path::PathBuf;

use sqlx::{Connection, Executor};

use super::{Db, DbError};

/// A database of its own for one test, removed when this is dropped: the SQLite
/// file's directory, or the PostgreSQL database, so a run leaves nothing behind
/// in the temp dir or on the server.
///
/// A page's resources can still be running when the test ends; their queries
/// then fail, instead of creating an empty database again: SQLite creates a
/// missing file, but not a missing directory.
pub struct TestDatabase {
    url: String,
    place: Place,
}

enum Place {
    SqliteDir(PathBuf),
    Postgres { server: String, name: String },
}

impl TestDatabase {
    /// A new, empty (unmigrated) database.
    pub async fn create() -> Result<TestDatabase, DbError> {
        let name = format!("cs_test_{}", uuid::Uuid::now_v7().simple());
        match std::env::var("COUNTERSIGN_TEST_DATABASE").as_deref() {
            Ok("sqlite") | Err(_) => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir(&dir).map_err(|e| DbError::Connect(sqlx::Error::Io(e)))?;
                Ok(TestDatabase {
                    url: format!("sqlite:{}", dir.join("countersign.db").display()),
                    place: Place::SqliteDir(dir),
                })
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
                Ok(TestDatabase {
                    url: url.to_string(),
                    place: Place::Postgres { server, name },
                })
            }
            Ok(other) => Err(DbError::UnsupportedUrl(format!(
                "COUNTERSIGN_TEST_DATABASE={other:?}: use sqlite or postgres"
            ))),
        }
    }

    /// A new database with the schema applied, and a pool over it.
    pub async fn migrated() -> Result<(Db, TestDatabase), DbError> {
        let database = TestDatabase::create().await?;
        let db = Db::connect(database.url()).await?;
        db.migrate().await?;
        Ok((db, database))
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.place {
            Place::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Place::Postgres { server, name } => drop_postgres(server, name),
        }
    }
}

/// `DROP DATABASE … WITH (FORCE)` (ending the pools still connected to it) from a
/// connection of its own, on a thread with a runtime of its own: `Drop` cannot
/// await, and blocking inside the test's runtime could starve it. The test waits
/// for it, so the last test of a run cleans up before the process exits.
fn drop_postgres(server: &str, name: &str) {
    let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let server = server.to_owned();
    let dropped = std::thread::spawn(move || -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let mut admin = sqlx::PgConnection::connect(&server)
                .await
                .map_err(|e| e.to_string())?;
            admin
                .execute(statement.as_str())
                .await
                .map_err(|e| e.to_string())?;
            admin.close().await.map_err(|e| e.to_string())
        })
    })
    .join();
    match dropped {
        Ok(Ok(())) => {}
        Ok(Err(err)) => eprintln!("test database {name} was not dropped: {err}"),
        Err(_) => eprintln!("test database {name} was not dropped: the clean-up panicked"),
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
