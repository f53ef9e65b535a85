//! The headline: approvals of sensitive grants are refused without a fresh
//! re-authentication bound to exactly that decision.

mod scope;
use super::{World, token_for};
use crate::{
    db::assignments,
    domain::{DomainError, approvals, now, reauth, reauth::ReauthRefusal, requests},
    types::{AccessItem, CurrentUser, Decision, RequestStatus},
};

struct Case {
    w: World,
    request: String,
    task: String,
    item: AccessItem,
}

async fn sensitive(window: i64) -> Case {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let item = w.require_reauth(&item, window).await;
    let (request, task) = w.pending_request(&w.alice, &item).await;
    Case {
        w,
        request,
        task,
        item,
    }
}

async fn decide(
    c: &Case,
    who: &CurrentUser,
    session: &str,
    decision: Decision,
    proof: Option<&str>,
) -> Result<Vec<approvals::Decided>, DomainError> {
    let comment = if decision == Decision::Deny {
        "no"
    } else {
        "approved for the close"
    };
    super::decide_as(
        &c.w,
        (who, session),
        std::slice::from_ref(&c.task),
        (decision, comment),
        proof,
    )
    .await
}

fn challenge_of(err: DomainError) -> String {
    match err {
        DomainError::ReauthRequired { challenge_id } => challenge_id,
        other => panic!("expected ReauthRequired, got {other:?}"),
    }
}

/// bob re-authenticates at the provider for `challenge` with this auth_time.
async fn sign(c: &Case, challenge: &str, session: &str, auth_time: i64) -> Result<(), DomainError> {
    reauth::verify(
        &c.w.db,
        (&c.w.bob.id, session),
        challenge,
        &token_for("bob", auth_time),
        super::no_skew(),
    )
    .await
    .map(|_| ())
}

#[tokio::test]
async fn approver_without_fresh_login_cannot_approve() {
    let c = sensitive(0).await;
    let before = c.w.audit_count().await;
    let err = decide(&c, &c.w.bob, "bob-session", Decision::Approve, None)
        .await
        .unwrap_err();
    challenge_of(err);
    assert_eq!(
        c.w.pending_tasks(&c.request).await.len(),
        1,
        "nothing decided"
    );
    assert_eq!(c.w.audit_count().await, before, "nothing recorded");
}

#[tokio::test]
async fn a_fresh_reauthentication_signs_the_approval_and_the_audit_keeps_the_evidence() {
    let c = sensitive(0).await;
    let challenge = challenge_of(
        decide(&c, &c.w.bob, "bob-session", Decision::Approve, None)
            .await
            .unwrap_err(),
    );
    sign(&c, &challenge, "bob-session", now()).await.unwrap();
    let done = decide(
        &c,
        &c.w.bob,
        "bob-session",
        Decision::Approve,
        Some(&challenge),
    )
    .await
    .unwrap();
    assert!(done[0].signed);
    assert_eq!(c.w.status(&c.request).await, RequestStatus::Approved);
    assert!(
        assignments::holds(c.w.db.pool(), &c.w.alice.id, &c.item.id)
            .await
            .unwrap()
    );
    let record = crate::db::audit::for_target(c.w.db.pool(), "approval_task", &c.task)
        .await
        .unwrap()
        .unwrap();
    let sig = &record.details["e_signature"];
    assert_eq!(sig["meaning"], "approved");
    assert_eq!(sig["signer_name"], "Bob Example");
    assert_eq!(sig["signer_subject"], "bob");
    assert_eq!(sig["justification"], "Needed for the quarterly close");
    assert_eq!(sig["comment"], "approved for the close");
    assert_eq!(sig["amr"][0], "pwd");
    assert!(sig["id_token"].as_str().unwrap().contains("bob"));
    let view = requests::view(&c.w.db, &c.w.alice, &c.request)
        .await
        .unwrap();
    assert!(view.tasks[0].signed_auth_time.is_some());
}

#[tokio::test]
async fn a_proof_is_used_once() {
    let c = sensitive(0).await;
    let challenge = challenge_of(
        decide(&c, &c.w.bob, "s", Decision::Approve, None)
            .await
            .unwrap_err(),
    );
    sign(&c, &challenge, "s", now()).await.unwrap();
    decide(&c, &c.w.bob, "s", Decision::Approve, Some(&challenge))
        .await
        .unwrap();
    // A second sensitive approval cannot ride on the spent proof.
    let (_, task) = c.w.pending_request(&c.w.erin, &c.item).await;
    let replay = super::decide_as(
        &c.w,
        (&c.w.bob, "s"),
        &[task],
        (Decision::Approve, "approved for the close"),
        Some(&challenge),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(replay, DomainError::ReauthRefused(_)),
        "{replay:?}"
    );
}

#[tokio::test]
async fn a_proof_for_another_decision_is_refused() {
    let c = sensitive(0).await;
    let challenge = challenge_of(
        decide(&c, &c.w.bob, "s", Decision::Approve, None)
            .await
            .unwrap_err(),
    );
    sign(&c, &challenge, "s", now()).await.unwrap();
    let other_comment = super::decide_as(
        &c.w,
        (&c.w.bob, "s"),
        std::slice::from_ref(&c.task),
        (Decision::Approve, "a different comment"),
        Some(&challenge),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            other_comment,
            DomainError::ReauthRefused(ReauthRefusal::OtherAction)
        ),
        "{other_comment:?}"
    );
    assert_eq!(c.w.pending_tasks(&c.request).await.len(), 1);
}

#[tokio::test]
async fn an_unverified_or_foreign_proof_is_refused() {
    let c = sensitive(0).await;
    let challenge = challenge_of(
        decide(&c, &c.w.bob, "s", Decision::Approve, None)
            .await
            .unwrap_err(),
    );
    let unverified = decide(&c, &c.w.bob, "s", Decision::Approve, Some(&challenge))
        .await
        .unwrap_err();
    assert!(matches!(unverified, DomainError::ReauthRefused(_)));
    sign(&c, &challenge, "s", now()).await.unwrap();
    let other_session = decide(
        &c,
        &c.w.bob,
        "another-session",
        Decision::Approve,
        Some(&challenge),
    )
    .await
    .unwrap_err();
    assert!(matches!(other_session, DomainError::ReauthRefused(_)));
    assert_eq!(c.w.pending_tasks(&c.request).await.len(), 1);
}

#[tokio::test]
async fn a_stale_auth_time_is_refused_naming_the_provider() {
    let c = sensitive(0).await;
    let challenge = challenge_of(
        decide(&c, &c.w.bob, "s", Decision::Approve, None)
            .await
            .unwrap_err(),
    );
    let err = sign(&c, &challenge, "s", now() - 3600).await.unwrap_err();
    assert!(
        matches!(err, DomainError::ReauthRefused(ReauthRefusal::NotFresh)),
        "{err:?}"
    );
    let still = decide(&c, &c.w.bob, "s", Decision::Approve, Some(&challenge))
        .await
        .unwrap_err();
    assert!(matches!(still, DomainError::ReauthRefused(_)));
}

#[tokio::test]
async fn another_person_signing_in_is_refused() {
    let c = sensitive(0).await;
    let challenge = challenge_of(
        decide(&c, &c.w.bob, "s", Decision::Approve, None)
            .await
            .unwrap_err(),
    );
    let err = reauth::verify(
        &c.w.db,
        (&c.w.bob.id, "s"),
        &challenge,
        &token_for("dave", now()),
        super::no_skew(),
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        DomainError::ReauthRefused(ReauthRefusal::WrongPerson)
    ));
}

#[tokio::test]
async fn a_token_without_auth_time_is_refused() {
    let c = sensitive(0).await;
    let challenge = challenge_of(
        decide(&c, &c.w.bob, "s", Decision::Approve, None)
            .await
            .unwrap_err(),
    );
    let mut token = token_for("bob", now());
    token.auth_time = None;
    let err = reauth::verify(
        &c.w.db,
        (&c.w.bob.id, "s"),
        &challenge,
        &token,
        super::no_skew(),
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        DomainError::ReauthRefused(ReauthRefusal::NoAuthTime)
    ));
}

#[tokio::test]
async fn a_freshness_window_lets_one_signature_cover_further_approvals_in_that_session() {
    let c = sensitive(15).await;
    let challenge = challenge_of(
        decide(&c, &c.w.bob, "s", Decision::Approve, None)
            .await
            .unwrap_err(),
    );
    sign(&c, &challenge, "s", now()).await.unwrap();
    decide(&c, &c.w.bob, "s", Decision::Approve, Some(&challenge))
        .await
        .unwrap();
    let (_, task) = c.w.pending_request(&c.w.erin, &c.item).await;
    let covered = super::decide_as(
        &c.w,
        (&c.w.bob, "s"),
        std::slice::from_ref(&task),
        (Decision::Approve, "ok"),
        None,
    )
    .await
    .unwrap();
    assert!(covered[0].signed, "within the window, in the same session");
    // In another session the window does not carry over.
    let (_, task2) = c.w.pending_request(&c.w.dave, &c.item).await;
    let elsewhere = super::decide_as(
        &c.w,
        (&c.w.bob, "other-session"),
        &[task2],
        (Decision::Approve, "ok"),
        None,
    )
    .await
    .unwrap_err();
    challenge_of(elsewhere);
}

#[tokio::test]
async fn a_batch_signs_once_for_all_its_tasks() {
    let c = sensitive(0).await;
    let (second, task2) = c.w.pending_request(&c.w.erin, &c.item).await;
    let both = vec![c.task.clone(), task2];
    let err = super::decide_as(
        &c.w,
        (&c.w.bob, "s"),
        &both,
        (Decision::Approve, "batch"),
        None,
    )
    .await
    .unwrap_err();
    let challenge = challenge_of(err);
    sign(&c, &challenge, "s", now()).await.unwrap();
    let done = super::decide_as(
        &c.w,
        (&c.w.bob, "s"),
        &both,
        (Decision::Approve, "batch"),
        Some(&challenge),
    )
    .await
    .unwrap();
    assert_eq!(done.len(), 2);
    assert!(done.iter().all(|d| d.signed));
    assert_eq!(c.w.status(&second).await, RequestStatus::Approved);
}
