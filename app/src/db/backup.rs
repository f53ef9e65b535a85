//! An online copy of a SQLite database (`countersign backup`).

use super::{Backend, Db, DbError};

/// Writes a consistent copy of the whole database to `path` with `VACUUM INTO`:
/// one read transaction, so the copy is a snapshot even while the server
/// writes, and the live database is never locked against its writers. SQLite
/// writes into `path` only if it does not exist or is empty.
pub async fn vacuum_into(db: &Db, path: &str) -> Result<(), DbError> {
    if db.backend() != Backend::Sqlite {
        return Err(DbError::UnsupportedUrl(
            "VACUUM INTO copies SQLite databases only".into(),
        ));
    }
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(db.pool())
        .await?;
    Ok(())
}
