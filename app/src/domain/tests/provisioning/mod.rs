//! Provisioning through the outbox (issue 17): the decision writes its job in
//! its own transaction; revocations write the reverse job; people fulfil and
//! administrators retry, within their rights.

mod connectors;
mod target;
mod worker;

use super::{World, decide_as, named, no_skew, token_for};
use crate::{
    db::{assignments, outbox as store},
    domain::{
        DomainError,
        audit::AuditActor,
        provisioning::{
            self, Provisioning, RevokeReason,
            sealing::SecretKey,
            status,
            target::{self as tab, TargetInput},
        },
        reauth, requests,
    },
    types::{AccessItem, CurrentUser, Decision, JobOperation, JobState, JobView},
};

pub fn runtime() -> Provisioning {
    Provisioning::new(Some(SecretKey::parse(&"5a".repeat(32)).expect("key"))).expect("client")
}

pub const SECRET: &str = "a-shared-secret-of-thirty-two-chars";

/// `item`'s grants go to a webhook at `url` (saved by carol).
pub async fn send_to_webhook(w: &World, item: &AccessItem, url: &str) {
    let input = TargetInput {
        connector: "webhook".into(),
        url: url.into(),
        secret: SECRET.into(),
        fulfillers_group: String::new(),
        ..Default::default()
    };
    let rt = runtime();
    let change = tab::check(&rt, &item.id, &input).expect("valid target");
    tab::save(
        &w.db,
        &rt,
        (&w.carol, "carol-session"),
        (&item.id, 0),
        &change,
        None,
    )
    .await
    .expect("saved");
}

pub async fn approve(w: &World, who: &CurrentUser, request: &str) -> Result<(), DomainError> {
    let task = w.pending_tasks(request).await.remove(0).id;
    decide_as(
        w,
        (who, "session"),
        &[task],
        (Decision::Approve, "ok"),
        None,
    )
    .await
    .map(|_| ())
}

/// `who` requests `item` and bob approves it.
pub async fn granted(w: &World, who: &CurrentUser, item: &AccessItem) -> String {
    let request = w.request(who, item).await;
    approve(w, &w.bob, &request).await.expect("approved");
    request
}

pub async fn jobs_of(w: &World, request: &str) -> Vec<JobView> {
    store::of_request(w.db.pool(), request).await.expect("jobs")
}

async fn all_jobs(w: &World) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox_jobs")
        .fetch_one(w.db.pool())
        .await
        .expect("count");
    n
}

#[tokio::test]
async fn an_approval_of_an_item_without_connector_waits_for_its_owner_by_hand() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let request = granted(&w, &w.alice, &item).await;

    let jobs = jobs_of(&w, &request).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].operation, JobOperation::Grant);
    assert_eq!(jobs[0].state, JobState::Manual);
    assert_eq!(jobs[0].describe(), "Waiting for manual fulfilment");
    let waiting = status::waiting_for(&w.db, &w.carol).await.unwrap();
    assert_eq!(waiting.len(), 1, "the owner has a fulfilment task");
    assert!(status::waiting_for(&w.db, &w.bob).await.unwrap().is_empty());
    let access = requests::my_access(&w.db, &w.alice).await.unwrap();
    assert_eq!(access[0].provisioning_state, Some(JobState::Manual));
    let granted = w.audit_records("assignment.granted").await;
    assert_eq!(granted[0].details["provisioning_job"], jobs[0].id.as_str());
}

#[tokio::test]
async fn an_approval_for_a_webhook_item_queues_a_grant_with_the_person_and_item() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    send_to_webhook(&w, &item, "http://127.0.0.1:9/hook").await;
    let request = granted(&w, &w.alice, &item).await;

    let jobs = jobs_of(&w, &request).await;
    assert_eq!(jobs[0].state, JobState::Queued);
    let row = store::find(w.db.pool(), &jobs[0].id)
        .await
        .unwrap()
        .unwrap();
    let change: provisioning::connector::Change = serde_json::from_str(&row.payload_json).unwrap();
    assert_eq!(change.id, row.id, "the event id is the job id");
    assert_eq!(change.person.id, w.alice.id);
    assert_eq!(change.person.user_name, "alice");
    assert_eq!(change.item.name, "Payroll");
    assert_eq!(change.request_id.as_deref(), Some(request.as_str()));
}

/// A decision that is refused at the grant (its first step was approved
/// unsigned before the item required signatures) writes nothing: no
/// assignment, no job.
#[tokio::test]
async fn a_refused_decision_leaves_no_job_and_a_committed_one_always_has_it() {
    let w = World::new().await;
    let item = w
        .item("Payroll", &w.carol, &[named(&w.bob), named(&w.dave)])
        .await;
    let request = w.request(&w.alice, &item).await;
    approve(&w, &w.bob, &request).await.unwrap();
    w.require_reauth(&item, 0).await;
    let task = vec![w.pending_tasks(&request).await.remove(0).id];
    let session = "dave-signs";
    let challenge = match decide_as(
        &w,
        (&w.dave, session),
        &task,
        (Decision::Approve, "ok"),
        None,
    )
    .await
    .unwrap_err()
    {
        DomainError::ReauthRequired { challenge_id } => challenge_id,
        other => panic!("expected a challenge, got {other:?}"),
    };
    reauth::verify(
        &w.db,
        (&w.dave.id, session),
        &challenge,
        &token_for("dave", crate::domain::now()),
        no_skew(),
    )
    .await
    .unwrap();
    let refused = decide_as(
        &w,
        (&w.dave, session),
        &task,
        (Decision::Approve, "ok"),
        Some(&challenge),
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, DomainError::Conflict(_)), "{refused:?}");
    assert_eq!(all_jobs(&w).await, 0, "no job without its approval");
    assert!(
        !assignments::holds(w.db.pool(), &w.alice.id, &item.id)
            .await
            .unwrap()
    );

    let other = w.item_approved_by("Ledger", &w.bob).await;
    let committed = granted(&w, &w.alice, &other).await;
    assert_eq!(
        jobs_of(&w, &committed).await.len(),
        1,
        "no approval without its job"
    );
}

#[tokio::test]
async fn an_approved_removal_and_an_expiry_each_write_the_reverse_job_once() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    send_to_webhook(&w, &item, "http://127.0.0.1:9/hook").await;
    granted(&w, &w.alice, &item).await;
    let removal = requests::request_removal(&w.db, &w.alice, &item.id, "Done with it", &w.fallback)
        .await
        .unwrap();
    approve(&w, &w.bob, &removal).await.unwrap();
    let jobs = jobs_of(&w, &removal).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].operation, JobOperation::Revoke);
    let removed = w.audit_records("assignment.removed").await;
    assert_eq!(removed[0].details["provisioning_job"], jobs[0].id.as_str());

    let other = w.item_approved_by("Ledger", &w.bob).await;
    granted(&w, &w.erin, &other).await;
    sqlx::query("UPDATE assignments SET end_date = $1")
        .bind(crate::domain::now() - 1)
        .execute(w.db.pool())
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        crate::domain::assignments::expire_assignments(&w.db),
        crate::domain::assignments::expire_assignments(&w.db)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let (revokes,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM outbox_jobs WHERE operation = 'revoke' AND item_id = $1",
    )
    .bind(&other.id)
    .fetch_one(w.db.pool())
    .await
    .unwrap();
    assert_eq!(revokes, 1, "one revoke job for one expiry");
}

#[tokio::test]
async fn revoking_cancels_a_grant_that_never_ran_and_the_revoke_still_goes_out() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    send_to_webhook(&w, &item, "http://127.0.0.1:9/hook").await;
    let request = granted(&w, &w.alice, &item).await;
    let mut tx = w.db.write_tx().await.unwrap();
    let held = provisioning::revoke_assignment(
        &mut tx,
        (&w.alice.id, &item.id),
        RevokeReason::Revoked,
        AuditActor::User(&w.carol.id),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(held);
    let grant = &jobs_of(&w, &request).await[0];
    assert_eq!(grant.state, JobState::Cancelled);
    assert_eq!(w.audit_records("provisioning.superseded").await.len(), 1);
    let revoked = w.audit_records("assignment.revoked").await;
    assert_eq!(revoked[0].actor_name, "Carol Example");
    let mut tx = w.db.write_tx().await.unwrap();
    let again = provisioning::revoke_assignment(
        &mut tx,
        (&w.alice.id, &item.id),
        RevokeReason::Left,
        AuditActor::System,
    )
    .await
    .unwrap();
    assert!(!again, "nothing held, nothing written");
}

#[tokio::test]
async fn a_fulfiller_marks_their_task_done_with_a_note_and_nobody_fulfils_their_own() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let request = granted(&w, &w.alice, &item).await;
    let job = jobs_of(&w, &request).await.remove(0);

    let dave = status::mark_done(&w.db, &w.dave, &job.id, "added").await;
    assert!(
        matches!(dave, Err(DomainError::Forbidden(_))),
        "not dave's task"
    );
    let own = status::mark_done(&w.db, &w.alice, &job.id, "I did it myself").await;
    assert!(matches!(own, Err(DomainError::Forbidden(_))));
    let empty = status::mark_done(&w.db, &w.carol, &job.id, "  ").await;
    assert!(matches!(
        empty,
        Err(DomainError::Invalid { field: "note", .. })
    ));

    let done = status::mark_done(&w.db, &w.carol, &job.id, "Added to payroll-users")
        .await
        .unwrap();
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.note.as_deref(), Some("Added to payroll-users"));
    assert!(
        done.describe()
            .starts_with("Done by hand by Carol Example at ")
    );
    let audited = w.audit_records("provisioning.marked_done").await;
    assert_eq!(audited[0].details["note"], "Added to payroll-users");
    let twice = status::mark_done(&w.db, &w.carol, &job.id, "again").await;
    assert!(matches!(twice, Err(DomainError::Conflict(_))));
    assert!(
        status::waiting_for(&w.db, &w.carol)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_fulfillers_group_gets_the_task_instead_of_the_owner() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let rt = runtime();
    let input = TargetInput {
        connector: "manual".into(),
        fulfillers_group: "approvers".into(),
        ..Default::default()
    };
    let change = tab::check(&rt, &item.id, &input).unwrap();
    tab::save(&w.db, &rt, (&w.carol, "s"), (&item.id, 0), &change, None)
        .await
        .unwrap();
    let request = granted(&w, &w.alice, &item).await;
    assert!(
        status::waiting_for(&w.db, &w.carol)
            .await
            .unwrap()
            .is_empty()
    );
    let for_dave = status::waiting_for(&w.db, &w.dave).await.unwrap();
    assert_eq!(for_dave.len(), 1);
    let job = &jobs_of(&w, &request).await[0];
    status::mark_done(&w.db, &w.dave, &job.id, "Granted in the payroll system")
        .await
        .unwrap();
}

#[tokio::test]
async fn only_administrators_list_and_retry_jobs() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let request = granted(&w, &w.alice, &item).await;
    let job = jobs_of(&w, &request).await.remove(0);
    let listed = status::list(&w.db, &w.bob, JobState::Manual, None, 10).await;
    assert!(matches!(listed, Err(DomainError::Forbidden(_))));
    let page = status::list(&w.db, &w.carol, JobState::Manual, None, 10)
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 1);
    let retried = status::retry(&w.db, &w.bob, &job.id).await;
    assert!(matches!(retried, Err(DomainError::Forbidden(_))));
    let manual = status::retry(&w.db, &w.carol, &job.id).await;
    assert!(
        matches!(manual, Err(DomainError::Conflict(_))),
        "a job waiting for a person is not retried"
    );
}
