//! The outbox worker with a scripted target: retries and backoff on a moved
//! clock, failure after the last attempt, leases of dead workers, the order of
//! one person's jobs, and several workers on one database.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use super::{World, granted, jobs_of, send_to_webhook};
use crate::{
    db::outbox::{self as store, JobRow},
    domain::{
        audit::AuditActor,
        now,
        outbox::{Attempt, JobHandler, RetryPolicy, Worker},
        provisioning::{self, RevokeReason, status},
    },
    types::{JobKind, JobOperation, JobState},
};

/// A target that answers from a script (then `Done`), and counts each call.
#[derive(Default)]
struct Scripted {
    answers: Mutex<VecDeque<Attempt>>,
    calls: Mutex<Vec<(String, JobOperation)>>,
}

impl Scripted {
    fn answering(answers: Vec<Attempt>) -> Arc<Scripted> {
        Arc::new(Scripted {
            answers: Mutex::new(answers.into()),
            calls: Mutex::default(),
        })
    }

    fn calls(&self) -> Vec<(String, JobOperation)> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl JobHandler for Scripted {
    async fn attempt(&self, job: &JobRow) -> Attempt {
        self.calls
            .lock()
            .unwrap()
            .push((job.id.clone(), job.operation));
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Attempt::Done("HTTP 204".into()))
    }
}

const POLICY: RetryPolicy = RetryPolicy {
    base_delay_secs: 30,
    max_delay_secs: 3600,
    lease_secs: 60,
};

fn worker(w: &World, target: &Arc<Scripted>) -> Worker {
    Worker::new(w.db.clone(), POLICY).with_handler(JobKind::Provision, target.clone())
}

async fn webhook_grant(w: &World) -> (crate::types::AccessItem, String) {
    let item = w.item_approved_by("Payroll", &w.bob).await;
    send_to_webhook(w, &item, "http://127.0.0.1:9/hook").await;
    let request = granted(w, &w.alice, &item).await;
    (item, request)
}

#[tokio::test]
async fn a_target_that_is_down_is_retried_with_backoff_until_it_answers() {
    let w = World::new().await;
    let (_, request) = webhook_grant(&w).await;
    let target = Scripted::answering(vec![
        Attempt::Retry("could not deliver: connection refused".into()),
        Attempt::Retry("HTTP 503: down for maintenance".into()),
    ]);
    let worker = worker(&w, &target);
    let t0 = now();

    assert_eq!(worker.run_due(t0).await.unwrap().retrying, 1);
    let job = jobs_of(&w, &request).await.remove(0);
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.attempts, 1);
    let wait = job.next_attempt_at - t0;
    assert!((15..30).contains(&wait), "first backoff {wait}s");
    assert!(
        job.describe()
            .starts_with("Retrying (attempt 2 of 8, next at ")
    );
    assert!(
        job.describe()
            .ends_with("last error: could not deliver: connection refused)")
    );
    // Not due yet: nothing runs.
    assert_eq!(worker.run_due(t0 + 10).await.unwrap().attempts(), 0);

    let t1 = job.next_attempt_at;
    assert_eq!(worker.run_due(t1).await.unwrap().retrying, 1);
    let job = jobs_of(&w, &request).await.remove(0);
    let wait = job.next_attempt_at - t1;
    assert!((30..60).contains(&wait), "second backoff doubles: {wait}s");

    assert_eq!(worker.run_due(job.next_attempt_at).await.unwrap().done, 1);
    let job = jobs_of(&w, &request).await.remove(0);
    assert_eq!(job.state, JobState::Done);
    assert_eq!(target.calls().len(), 3);
    let attempts = w.audit_records("provisioning.attempted").await;
    assert_eq!(attempts.len(), 3, "every attempt audited");
    assert_eq!(attempts[0].details["answer"], "HTTP 204");
    assert_eq!(
        attempts[2].details["answer"],
        "could not deliver: connection refused"
    );
    assert_eq!(attempts[2].request_id.as_deref(), Some(request.as_str()));
}

#[tokio::test]
async fn a_job_fails_after_its_last_attempt_is_listed_and_a_retry_runs_it_again() {
    let w = World::new().await;
    let (_, request) = webhook_grant(&w).await;
    let target = Scripted::answering(
        (0..8)
            .map(|i| Attempt::Retry(format!("HTTP 500: attempt {}", i + 1)))
            .collect(),
    );
    let worker = worker(&w, &target);
    let mut t = now();
    for _ in 0..8 {
        worker.run_due(t).await.unwrap();
        t += 7200;
    }
    let job = jobs_of(&w, &request).await.remove(0);
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(
        job.describe(),
        "Failed after 8 attempts: HTTP 500: attempt 8"
    );
    assert_eq!(
        worker.run_due(t).await.unwrap().attempts(),
        0,
        "failed stays failed"
    );
    let failed = status::list(&w.db, &w.carol, JobState::Failed, None, 10)
        .await
        .unwrap();
    assert_eq!(failed.rows.len(), 1);

    status::retry(&w.db, &w.carol, &job.id).await.unwrap();
    assert_eq!(worker.run_due(now()).await.unwrap().done, 1);
    assert_eq!(jobs_of(&w, &request).await[0].state, JobState::Done);
    assert_eq!(w.audit_records("provisioning.retried").await.len(), 1);
}

#[tokio::test]
async fn a_dead_workers_lease_runs_out_and_another_worker_finishes_the_job() {
    let w = World::new().await;
    let (_, request) = webhook_grant(&w).await;
    let job = jobs_of(&w, &request).await.remove(0);
    // A worker took the job and died before recording an answer.
    let t0 = now();
    let mut tx = w.db.write_tx().await.unwrap();
    assert!(
        store::lease(&mut tx, &job.id, "dead-worker", t0 + 60, t0)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let target = Scripted::answering(vec![]);
    let worker = worker(&w, &target);
    assert_eq!(
        worker.run_due(t0 + 30).await.unwrap().attempts(),
        0,
        "leased"
    );

    let report = worker.run_due(t0 + 61).await.unwrap();
    assert_eq!((report.reclaimed, report.done), (1, 1));
    assert_eq!(jobs_of(&w, &request).await[0].state, JobState::Done);
    assert_eq!(w.audit_records("provisioning.lease_expired").await.len(), 1);
    // The dead worker's late answer is not recorded.
    let mut tx = w.db.write_tx().await.unwrap();
    let end = store::Finish {
        state: JobState::Failed,
        next_attempt_at: t0,
        last_error: Some("late"),
        assignee_user_id: None,
        assignee_group: None,
        now: t0 + 70,
    };
    assert!(
        !store::finish(&mut tx, &job.id, "dead-worker", &end)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn one_persons_revoke_waits_for_their_running_grant() {
    let w = World::new().await;
    let (item, _) = webhook_grant(&w).await;
    let t0 = now();
    // The grant is running (leased) when the access is revoked.
    let target = Scripted::answering(vec![]);
    let worker = worker(&w, &target);
    let mut tx = w.db.write_tx().await.unwrap();
    let due = store::due(&mut tx, w.db.backend(), t0, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    store::lease(&mut tx, &due[0], worker.id(), t0 + 60, t0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = w.db.write_tx().await.unwrap();
    provisioning::revoke_assignment(
        &mut tx,
        (&w.alice.id, &item.id),
        RevokeReason::Revoked,
        AuditActor::System,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        worker.run_due(t0).await.unwrap().attempts(),
        0,
        "waits behind the grant"
    );
    // The grant's lease runs out; it runs first, then the revoke.
    worker.run_due(t0 + 61).await.unwrap();
    let ops: Vec<JobOperation> = target.calls().into_iter().map(|(_, op)| op).collect();
    assert_eq!(ops, vec![JobOperation::Grant, JobOperation::Revoke]);
}

#[tokio::test]
async fn several_workers_on_one_database_run_each_job_once() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    send_to_webhook(&w, &item, "http://127.0.0.1:9/hook").await;
    let people = [&w.alice, &w.erin, &w.dave, &w.carol];
    for who in people {
        granted(&w, who, &item).await;
    }
    let target = Scripted::answering(vec![]);
    let (a, b, c) = (
        worker(&w, &target),
        worker(&w, &target),
        worker(&w, &target),
    );
    let t = now();
    let (ra, rb, rc) = tokio::join!(a.run_due(t), b.run_due(t), c.run_due(t));
    let total = ra.unwrap().done + rb.unwrap().done + rc.unwrap().done;
    assert_eq!(total, 4);
    let mut ids: Vec<String> = target.calls().into_iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "each job ran once: {:?}", target.calls());
    assert_eq!(target.calls().len(), 4);
}
