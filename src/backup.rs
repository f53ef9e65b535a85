//! `countersign backup FILE`: an online, consistent copy of a SQLite database,
//! taken while the server serves (docs/operations.md, "Backups and restore").
//!
//! PostgreSQL is refused on purpose: its backups belong to the tools that know
//! its server version and its write-ahead log (`pg_dump`, base backups with WAL
//! archiving for point-in-time recovery), which the organisation already runs
//! for its other databases; a `pg_dump` spawned from here would have to match
//! the server's major version and still give no point-in-time recovery.

use std::{
    fs::{File, OpenOptions},
    io,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};

use app::db::{Db, DbError, backup as store};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "countersign backup copies SQLite databases only; back up PostgreSQL with pg_dump \
         (or base backups with WAL archiving for point-in-time recovery), see docs/operations.md"
    )]
    Postgres,
    #[error("DATABASE_URL must name a SQLite file (sqlite:PATH) or a PostgreSQL database")]
    NotAFile,
    #[error("there is no SQLite database at {0}: check DATABASE_URL")]
    NoDatabase(PathBuf),
    #[error("{0} already exists: a backup never overwrites a file, choose a new name")]
    Exists(PathBuf),
    #[error("cannot create the backup {path}: {source}")]
    Create { path: PathBuf, source: io::Error },
    #[error("writing the backup {path} failed: {source}")]
    Write { path: PathBuf, source: DbError },
    #[error("the backup {path} was written but could not be flushed to disk: {source}")]
    Sync { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What a finished backup holds.
#[derive(Debug)]
pub struct Backup {
    pub bytes: u64,
}

/// Copies the SQLite database `database_url` names into the new file `target`
/// (created with mode 0600: it holds sessions and ID tokens). An existing
/// `target` is refused and left as it was; a failed copy leaves no file behind.
pub async fn run(database_url: &str, target: &Path) -> Result<Backup, BackupError> {
    let source = sqlite_path(database_url)?;
    if !source.is_file() {
        return Err(BackupError::NoDatabase(source));
    }
    let db = Db::connect(&without_create(database_url)).await?;
    let file = create_new(target)?;
    let written = copy_into(&db, target, &file).await;
    db.close().await;
    if written.is_err() {
        let _ = std::fs::remove_file(target);
    }
    written
}

async fn copy_into(db: &Db, target: &Path, file: &File) -> Result<Backup, BackupError> {
    let path = target.to_string_lossy();
    store::vacuum_into(db, &path)
        .await
        .map_err(|source| BackupError::Write {
            path: target.to_owned(),
            source,
        })?;
    let sync = |source| BackupError::Sync {
        path: target.to_owned(),
        source,
    };
    file.sync_all().map_err(sync)?;
    // The new file's name too, so a crash right after does not lose the backup.
    if let Some(dir) = target.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(sync)?;
    }
    let bytes = file.metadata().map_err(sync)?.len();
    Ok(Backup { bytes })
}

/// The file behind a `sqlite:` URL; PostgreSQL and in-memory databases refused.
fn sqlite_path(database_url: &str) -> Result<PathBuf, BackupError> {
    if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
        return Err(BackupError::Postgres);
    }
    let rest = database_url
        .strip_prefix("sqlite:")
        .ok_or(BackupError::NotAFile)?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || database_url.contains("mode=memory") {
        return Err(BackupError::NotAFile);
    }
    Ok(PathBuf::from(path))
}

/// The URL opening the database read-write without creating it, so a wrong
/// `DATABASE_URL` is never answered with a backup of a new, empty database.
fn without_create(database_url: &str) -> String {
    match database_url.contains('?') {
        _ if database_url.contains("mode=") => database_url.to_owned(),
        true => format!("{database_url}&mode=rw"),
        false => format!("{database_url}?mode=rw"),
    }
}

/// The backup file, new and readable by its owner only (`create_new` refuses
/// an existing file atomically: no check-then-create race).
fn create_new(target: &Path) -> Result<File, BackupError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(target)
        .map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => BackupError::Exists(target.to_owned()),
            _ => BackupError::Create {
                path: target.to_owned(),
                source,
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_of_a_sqlite_url() {
        assert_eq!(
            sqlite_path("sqlite:countersign.db").unwrap(),
            PathBuf::from("countersign.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/countersign/cs.db?mode=rwc").unwrap(),
            PathBuf::from("/var/lib/countersign/cs.db")
        );
        assert!(matches!(
            sqlite_path("postgres://cs@db/cs"),
            Err(BackupError::Postgres)
        ));
        assert!(matches!(
            sqlite_path("sqlite::memory:"),
            Err(BackupError::NotAFile)
        ));
        assert!(matches!(
            sqlite_path("mysql://x"),
            Err(BackupError::NotAFile)
        ));
    }

    #[test]
    fn the_database_is_opened_without_creating_it() {
        assert_eq!(without_create("sqlite:a.db"), "sqlite:a.db?mode=rw");
        assert_eq!(
            without_create("sqlite:a.db?cache=shared"),
            "sqlite:a.db?cache=shared&mode=rw"
        );
        assert_eq!(without_create("sqlite:a.db?mode=ro"), "sqlite:a.db?mode=ro");
    }
}
