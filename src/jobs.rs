//! The background jobs every replica runs while it serves: one function per job,
//! all started from [`start`]. Each job is safe to run on several replicas at
//! once (every removal is a conditional delete, done once; the outbox leases
//! each job to one worker). When the replica stops they stop between two
//! units of work, never inside one.

use std::time::Duration;

use app::{
    db::{Db, DbSessionStore},
    domain::outbox::Worker,
};
use tokio::{sync::watch, task::JoinHandle, time::Interval};

use crate::metrics::Metrics;

/// Starts every background job; they run until `stop` turns `true` (or its
/// sender is gone). `outbox`: this replica's worker and how often it looks for
/// due jobs (none: off). The handles end once each job has stopped.
pub fn start(
    db: &Db,
    outbox: Option<(Worker, Duration)>,
    metrics: &Metrics,
    stop: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let mut jobs = vec![
        tokio::spawn(expire_access(db.clone(), stop.clone())),
        tokio::spawn(purge_expired_sessions_and_challenges(
            db.clone(),
            stop.clone(),
        )),
        tokio::spawn(prune_scim_operations(db.clone(), stop.clone())),
    ];
    if let Some((worker, every)) = outbox {
        jobs.push(tokio::spawn(run_outbox(
            worker,
            every,
            metrics.clone(),
            stop,
        )));
    }
    jobs
}

/// Resolves once the replica stops.
pub async fn stopped(mut stop: watch::Receiver<bool>) {
    // An error: the sender is gone, which stops everything too.
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// The next tick, or `false` when the replica stops first. Asked only between
/// two units of work, so a job under way is never cut short.
async fn next_tick(tick: &mut Interval, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        _ = tick.tick() => !*stop.borrow(),
        changed = stop.changed() => changed.is_ok() && !*stop.borrow(),
    }
}

/// Runs the outbox's due jobs (provisioning) on every tick (each round runs
/// until nothing is due).
async fn run_outbox(
    worker: Worker,
    every: Duration,
    metrics: Metrics,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while next_tick(&mut tick, &mut stop).await {
        match worker.run_due(app::domain::now()).await {
            Ok(report) if report.attempts() + report.reclaimed == 0 => {}
            Ok(report) => {
                metrics.outbox_round(&report);
                tracing::info!(
                    done = report.done,
                    retrying = report.retrying,
                    failed = report.failed,
                    manual = report.manual,
                    reclaimed = report.reclaimed,
                    "outbox jobs run"
                )
            }
            Err(err) => tracing::warn!(error = %err, "running outbox jobs failed"),
        }
    }
}

/// Access past its end date is removed once a minute.
async fn expire_access(db: Db, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    while next_tick(&mut every, &mut stop).await {
        match app::domain::assignments::expire_assignments(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "access past its end date removed"),
            Err(err) => tracing::warn!(error = %err, "expiring access failed"),
        }
    }
}

/// Expired sessions, re-authentication challenges that expired unverified, and
/// the API's idempotency keys older than a day are deleted every ten minutes.
async fn purge_expired_sessions_and_challenges(db: Db, mut stop: watch::Receiver<bool>) {
    use tower_sessions::ExpiredDeletion;
    let store = DbSessionStore::new(db.clone());
    let mut every = tokio::time::interval(Duration::from_secs(600));
    while next_tick(&mut every, &mut stop).await {
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
        match app::domain::idempotency::purge_expired(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "idempotency keys older than a day removed"),
            Err(err) => tracing::warn!(error = %err, "idempotency key clean-up failed"),
        }
    }
}

/// SCIM operations older than 30 days leave the log, once an hour.
async fn prune_scim_operations(db: Db, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    while next_tick(&mut every, &mut stop).await {
        match app::domain::directory::log::prune(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "old SCIM operations removed"),
            Err(err) => tracing::warn!(error = %err, "SCIM operation clean-up failed"),
        }
    }
}
