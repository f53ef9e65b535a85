//! The schema, brought up to date at start-up and by `countersign migrate`.
//!
//! `migrations/*.sql` is portable SQL and runs on both databases. The few things
//! that cannot be written once (triggers) live in `migrations/postgres/` and
//! `migrations/sqlite/`: the runner adds the files of the database in use to the
//! common ones, in version order, as one list. A database is only ever one
//! backend, so its `_sqlx_migrations` table always holds exactly that list. A
//! per-backend file takes a version number of its own, never one of the common
//! ones; the same number in both folders is the same step in two dialects.

use std::{future::Future, pin::Pin};

use sqlx::{
    error::BoxDynError,
    migrate::{Migration, MigrationSource, Migrator},
};

use super::{Backend, DbError};

static COMMON: Migrator = sqlx::migrate!("../migrations");
static POSTGRES_ONLY: Migrator = sqlx::migrate!("../migrations/postgres");
static SQLITE_ONLY: Migrator = sqlx::migrate!("../migrations/sqlite");

/// The common migrations and those of `backend`, in version order.
#[derive(Debug)]
struct ForBackend(Vec<Migration>);

impl MigrationSource<'static> for ForBackend {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async move { Ok(self.0) })
    }
}

/// The migrator for `backend`.
pub async fn migrator(backend: Backend) -> Result<Migrator, DbError> {
    let specific = match backend {
        Backend::Postgres => &POSTGRES_ONLY,
        Backend::Sqlite => &SQLITE_ONLY,
    };
    let mut all: Vec<Migration> = COMMON.iter().chain(specific.iter()).cloned().collect();
    all.sort_by_key(|m| m.version);
    Ok(Migrator::new(ForBackend(all)).await?)
}

/// Where a database's schema stands against the migrations this binary knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaStatus {
    Current,
    /// Migrations this binary knows that the database has not run.
    Behind {
        missing: usize,
    },
    /// Migrations the database ran that this binary does not know: a newer
    /// release migrated it, and this one must not serve it.
    Newer {
        unknown: Vec<i64>,
    },
}

/// Compares the migrations the database ran with those of `backend`.
pub async fn status(pool: &sqlx::AnyPool, backend: Backend) -> Result<SchemaStatus, DbError> {
    let known: Vec<i64> = migrator(backend).await?.iter().map(|m| m.version).collect();
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?;
    let unknown: Vec<i64> = applied
        .iter()
        .copied()
        .filter(|version| !known.contains(version))
        .collect();
    if !unknown.is_empty() {
        return Ok(SchemaStatus::Newer { unknown });
    }
    let missing = known.iter().filter(|v| !applied.contains(v)).count();
    Ok(if missing == 0 {
        SchemaStatus::Current
    } else {
        SchemaStatus::Behind { missing }
    })
}
