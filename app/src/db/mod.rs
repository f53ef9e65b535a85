//! The database layer: one pool over SQLite or PostgreSQL, chosen by `DATABASE_URL`.
//!
//! Every query of the application lives under this module and is written once in
//! portable SQL with `$N` placeholders, run through `sqlx::Any` (see
//! docs/ARCHITECTURE.md, "Decisions"). Timestamps are integer Unix seconds, ids are
//! text UUIDv7, so the same migrations serve both databases. Rows are read by
//! column name into `#[derive(sqlx::FromRow)]` structs; a stored value no enum
//! knows is an error ([`DbError::UnknownValue`]), never a default.

pub mod assignments;
pub mod audit;
pub mod backup;
pub mod challenges;
pub mod chat_webhooks;
pub mod directory;
pub mod groups;
pub mod idempotency;
pub mod items;
pub mod managers;
mod migrations;
pub use migrations::SchemaStatus;
pub mod notifications;
pub mod operations;
pub mod org_config;
pub mod outbox;
pub mod people;
pub mod provisioning;
pub mod requests;
pub mod session_store;
pub mod standing;
pub mod tasks;
#[doc(hidden)]
pub mod test_db;
#[cfg(test)]
mod tests;
pub mod tokens;
pub mod users;
pub mod waiting;

use std::{str::FromStr, time::Duration};

use sqlx::{
    Executor,
    any::{AnyConnectOptions, AnyPoolOptions},
    pool::PoolOptions,
};

pub use session_store::DbSessionStore;

use crate::types::UnknownValue;

/// A database transaction over either backend.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// `true`/`false` as stored (BIGINT 0/1, the same on both databases).
pub(crate) fn flag(value: bool) -> i64 {
    i64::from(value)
}

/// A stored boolean read back: a row field `#[sqlx(try_from = "Flag")] x: bool`
/// (`Any` decodes `bool` only from a boolean column, and ours are BIGINT).
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub(crate) struct Flag(i64);

impl From<Flag> for bool {
    fn from(Flag(value): Flag) -> bool {
        value != 0
    }
}

/// One page of a newest-first list keyed by (`time`, `id`), after the keyset
/// `before`: `select(where_clause)` builds the query, `filter` (with `$1`, bound
/// to `owner`) picks the rows.
async fn newest_first<'c, E, T>(
    ex: E,
    select: impl Fn(&str) -> String,
    filter: &str,
    (time, id): (&str, &str),
    owner: &str,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<T>, DbError>
where
    E: Executor<'c, Database = sqlx::Any>,
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let order = format!("ORDER BY {time} DESC, {id} DESC");
    let sql = match before {
        None => select(&format!("({filter}) {order} LIMIT $2")),
        Some(_) => select(&format!(
            "({filter}) AND ({time} < $2 OR ({time} = $2 AND {id} < $3)) {order} LIMIT $4"
        )),
    };
    let mut query = sqlx::query_as(&sql).bind(owner);
    if let Some((at, last)) = before {
        query = query.bind(at).bind(last);
    }
    Ok(query.bind(limit).fetch_all(ex).await?)
}

/// The application's handle on its database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: sqlx::AnyPool,
    backend: Backend,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL must start with sqlite: or postgres:, got {0:?}")]
    UnsupportedUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[source] sqlx::Error),
    /// A stored value that none of the enum's values spells: data written by
    /// another version or by hand. Reading it as some default would misreport it.
    #[error("{table}.{column} holds {value:?}, which this version does not know")]
    UnknownValue {
        table: &'static str,
        column: &'static str,
        value: String,
    },
}

/// Where each string enum is stored (by the name [`UnknownValue`] carries).
const STORED_ENUMS: [(&str, &str, &str); 8] = [
    ("RequestKind", "access_requests", "kind"),
    ("RequestStatus", "access_requests", "status"),
    ("TaskState", "approval_tasks", "state"),
    ("ItemKind", "access_items", "kind"),
    ("JobState", "outbox_jobs", "state"),
    ("JobKind", "outbox_jobs", "kind"),
    ("JobOperation", "outbox_jobs", "operation"),
    ("ConnectorKind", "provisioning_targets", "connector"),
];

impl From<sqlx::Error> for DbError {
    fn from(err: sqlx::Error) -> DbError {
        if let sqlx::Error::ColumnDecode { source, .. } = &err
            && let Some(unknown) = source.downcast_ref::<UnknownValue>()
            && let Some((_, table, column)) = STORED_ENUMS
                .into_iter()
                .find(|(what, _, _)| *what == unknown.what)
        {
            return DbError::UnknownValue {
                table,
                column,
                value: unknown.value.clone(),
            };
        }
        DbError::Query(err)
    }
}

impl Db {
    /// Opens a pool for `url`. A SQLite file is created when missing and runs in
    /// WAL mode with foreign keys enforced.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url_with_create(url))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(DbError::UnsupportedUrl(redact(url)));
        };
        let options = AnyConnectOptions::from_str(&url).map_err(DbError::Connect)?;
        let pool_options: PoolOptions<sqlx::Any> = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(5));
        let pool_options = if backend == Backend::Sqlite {
            pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                         PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                    )
                    .await?;
                    Ok(())
                })
            })
        } else {
            pool_options
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(DbError::Connect)?;
        Ok(Db { pool, backend })
    }

    /// Brings the schema up to date (the common migrations and this backend's
    /// own, see `migrations.rs`); safe to run at every start.
    pub async fn migrate(&self) -> Result<(), DbError> {
        migrations::migrator(self.backend)
            .await?
            .run(&self.pool)
            .await?;
        Ok(())
    }

    /// A cheap round trip, for `/healthz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Whether the schema is the one this binary knows (`/readyz`).
    pub async fn schema_status(&self) -> Result<SchemaStatus, DbError> {
        migrations::status(&self.pool, self.backend).await
    }

    /// A transaction that writes. On SQLite it takes the write lock at `BEGIN`
    /// (`IMMEDIATE`), so a transaction that reads first never fails half-way when
    /// another writer committed in between; PostgreSQL locks rows as it writes.
    pub async fn write_tx(&self) -> Result<Tx, DbError> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The URL without its password, for error messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Seconds since the Unix epoch: how every timestamp is stored.
pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
