//! The background jobs every replica runs while it serves: one function per job,
//! all started from [`start`]. Each job is safe to run on several replicas at
//! once (every removal is a conditional delete, done once).

use std::time::Duration;

use app::db::{Db, DbSessionStore};

/// Starts every background job; they run until the process ends.
pub fn start(db: &Db) {
    tokio::spawn(expire_access(db.clone()));
    tokio::spawn(purge_expired_sessions_and_challenges(db.clone()));
    tokio::spawn(prune_scim_operations(db.clone()));
}

/// Access past its end date is removed once a minute.
async fn expire_access(db: Db) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        match app::domain::assignments::expire_assignments(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "access past its end date removed"),
            Err(err) => tracing::warn!(error = %err, "expiring access failed"),
        }
    }
}

/// Expired sessions, and re-authentication challenges that expired unverified,
/// are deleted every ten minutes.
async fn purge_expired_sessions_and_challenges(db: Db) {
    use tower_sessions::ExpiredDeletion;
    let store = DbSessionStore::new(db.clone());
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        if let Err(err) = store.delete_expired().await {
            tracing::warn!(error = %err, "expired-session clean-up failed");
        }
        match app::domain::reauth::purge_expired(&db).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(deleted = n, "expired re-authentication requests removed")
            }
            Err(err) => tracing::warn!(error = %err, "challenge clean-up failed"),
        }
    }
}

/// SCIM operations older than 30 days leave the log, once an hour.
async fn prune_scim_operations(db: Db) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match app::domain::directory::log::prune(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "old SCIM operations removed"),
            Err(err) => tracing::warn!(error = %err, "SCIM operation clean-up failed"),
        }
    }
}
