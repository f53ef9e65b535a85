//! The background jobs every replica runs while it serves: one function per job,
//! all started from [`start`]. Each job is safe to run on several replicas at
//! once (every removal is a conditional delete, done once; the outbox leases
//! each job to one worker).

use std::time::Duration;

use app::{
    db::{Db, DbSessionStore},
    domain::outbox::Worker,
};

/// Starts every background job; they run until the process ends. `outbox`:
/// this replica's worker and how often it looks for due jobs (none: off).
pub fn start(db: &Db, outbox: Option<(Worker, Duration)>) {
    tokio::spawn(expire_access(db.clone()));
    tokio::spawn(purge_expired_sessions_and_challenges(db.clone()));
    tokio::spawn(prune_scim_operations(db.clone()));
    if let Some((worker, every)) = outbox {
        tokio::spawn(run_outbox(worker, every));
    }
}

/// Runs the outbox's due jobs (provisioning) on every tick (each round runs
/// until nothing is due).
async fn run_outbox(worker: Worker, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match worker.run_due(app::domain::now()).await {
            Ok(report) if report.attempts() + report.reclaimed == 0 => {}
            Ok(report) => tracing::info!(
                done = report.done,
                retrying = report.retrying,
                failed = report.failed,
                manual = report.manual,
                reclaimed = report.reclaimed,
                "outbox jobs run"
            ),
            Err(err) => tracing::warn!(error = %err, "running outbox jobs failed"),
        }
    }
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
