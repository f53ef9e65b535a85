//! The approval step "the beneficiary's manager", managers following the
//! directory, and who may request for whom.

use super::{World, decide_as, named, no_skew, token_for};
use crate::{
    domain::{
        DomainError, approvals, now, reauth,
        requests::{self, AccessRequestInput},
    },
    types::{
        AccessItem, AccessRequestConfig, Approver, CurrentUser, Decision, RequestOnBehalfOfConfig,
        RequestStatus, TaskState,
    },
};

/// An item carol owns whose one step is the beneficiary's manager.
async fn managed_item(w: &World, name: &str) -> AccessItem {
    w.item(name, &w.carol, &[Approver::Manager]).await
}

fn for_someone(item: &AccessItem, who: &CurrentUser) -> AccessRequestInput {
    AccessRequestInput {
        item_id: item.id.clone(),
        justification: "Joins the close team".into(),
        for_user_id: who.id.clone(),
        ..Default::default()
    }
}

fn on_behalf(anyone: bool, reports: bool) -> AccessRequestConfig {
    AccessRequestConfig {
        request_on_behalf_of_config: RequestOnBehalfOfConfig {
            allow_request_on_behalf_of_anyone_by_anyone: anyone,
            allow_request_on_behalf_of_employee_by_manager: reports,
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn a_manager_step_goes_to_the_beneficiarys_manager_who_decides_it() {
    let w = World::new().await;
    // erin manages alice; she is an auditor, not an approver.
    assert!(w.set_manager(&w.alice, Some(&w.erin)).await);
    let item = managed_item(&w, "Payroll").await;
    let (request, _) = w.pending_request(&w.alice, &item).await;
    let task = w.pending_task(&request).await;
    assert_eq!(task.approver_user_id.as_deref(), Some(w.erin.id.as_str()));
    assert!(task.manager_step);
    // Another approver may not take it; the manager may.
    let err = decide_as(
        &w,
        (&w.bob, "s"),
        std::slice::from_ref(&task.id),
        (Decision::Approve, "ok"),
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
    decide_as(
        &w,
        (&w.erin, "s"),
        &[task.id],
        (Decision::Approve, "ok"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(w.status(&request).await, RequestStatus::Approved);
}

#[tokio::test]
async fn without_a_manager_who_can_take_it_the_step_goes_to_the_fallback() {
    let w = World::new().await;
    let item = managed_item(&w, "Payroll").await;
    // No manager: the item's owner.
    let (none, _) = w.pending_request(&w.alice, &item).await;
    let task = w.pending_task(&none).await;
    assert_eq!(task.approver_user_id.as_deref(), Some(w.carol.id.as_str()));
    assert!(
        task.manager_step,
        "still the manager step: a manager set later takes it"
    );
    // A manager who left: the owner too.
    w.set_manager(&w.bob, Some(&w.erin)).await;
    w.leave(&w.erin).await.unwrap();
    let (left, _) = w.pending_request(&w.bob, &item).await;
    let task = w.pending_task(&left).await;
    assert_eq!(task.approver_user_id.as_deref(), Some(w.carol.id.as_str()));
}

#[tokio::test]
async fn a_manager_requesting_for_their_report_is_their_own_approver() {
    let w = World::new().await;
    w.configure(AccessRequestConfig {
        auto_approval_enabled: true,
        ..on_behalf(false, true)
    })
    .await;
    w.set_manager(&w.alice, Some(&w.erin)).await;
    let item = managed_item(&w, "Payroll").await;
    // Auto-approval on, nothing to sign: the manager's own step is approved.
    let id = requests::request_access(&w.db, &w.erin, &for_someone(&item, &w.alice), &w.fallback)
        .await
        .unwrap();
    assert_eq!(w.status(&id).await, RequestStatus::Approved);
    assert_eq!(w.audit_records("approval.auto_approved").await.len(), 1);
    // An item whose approvals must be e-signed is never approved by nobody: the owner.
    let signed = managed_item(&w, "Ledger").await;
    let signed = w.require_reauth(&signed, 0).await;
    w.configure(AccessRequestConfig {
        auto_approval_enabled: true,
        reauthorization_enabled: true,
        ..on_behalf(false, true)
    })
    .await;
    let id = requests::request_access(&w.db, &w.erin, &for_someone(&signed, &w.alice), &w.fallback)
        .await
        .unwrap();
    let task = w.pending_task(&id).await;
    assert_eq!(task.approver_user_id.as_deref(), Some(w.carol.id.as_str()));
}

#[tokio::test]
async fn changing_the_manager_moves_the_open_manager_task() {
    let w = World::new().await;
    w.set_manager(&w.alice, Some(&w.erin)).await;
    let item = w
        .item("Payroll", &w.carol, &[Approver::Manager, named(&w.bob)])
        .await;
    let other = w.item_approved_by("Ledger", &w.bob).await;
    let (request, first) = w.pending_request(&w.alice, &item).await;
    let (_, unrelated) = w.pending_request(&w.alice, &other).await;

    assert!(w.set_manager(&w.alice, Some(&w.dave)).await);

    let old = crate::db::tasks::find(w.db.pool(), &first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.state, TaskState::Reassigned);
    assert_eq!(old.comment.as_deref(), Some("manager changed"));
    let moved = w.pending_task(&request).await;
    assert_eq!(moved.approver_user_id.as_deref(), Some(w.dave.id.as_str()));
    assert!(moved.manager_step);
    let record = &w.audit_records("approval.reassigned").await[0];
    assert_eq!(record.target_id, first);
    assert_eq!(record.details["reason"], "manager changed");
    assert_eq!(record.details["from_user_id"], w.erin.id.as_str());
    assert_eq!(record.details["to_user_id"], w.dave.id.as_str());
    assert_eq!(w.audit_records("user.manager_changed").await.len(), 2);
    // A named step is not the manager's: it stays.
    let still = crate::db::tasks::find(w.db.pool(), &unrelated)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.state, TaskState::Pending);
    // The old manager can no longer decide it, neither the old task nor the new.
    let err = decide_as(
        &w,
        (&w.erin, "s"),
        &[first],
        (Decision::Approve, "ok"),
        None,
    )
    .await
    .unwrap_err();
    match err {
        DomainError::Conflict(message) => assert!(message.contains("manager changed"), "{message}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    let err = decide_as(
        &w,
        (&w.erin, "s"),
        &[moved.id],
        (Decision::Approve, "ok"),
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");

    // The same manager again: nothing moves, nothing is written.
    let before = w.audit_count().await;
    assert!(!w.set_manager(&w.alice, Some(&w.dave)).await);
    assert_eq!(w.audit_count().await, before);
    // No manager any more: the step's fallback, the owner.
    w.set_manager(&w.alice, None).await;
    let fallback = w.pending_task(&request).await;
    assert_eq!(
        fallback.approver_user_id.as_deref(),
        Some(w.carol.id.as_str())
    );
    // A manager again: the task follows them from the fallback.
    w.set_manager(&w.alice, Some(&w.erin)).await;
    let back = w.pending_task(&request).await;
    assert_eq!(back.approver_user_id.as_deref(), Some(w.erin.id.as_str()));
    // erin approves; the next step (bob, by name) opens as usual.
    decide_as(
        &w,
        (&w.erin, "s"),
        &[back.id],
        (Decision::Approve, "ok"),
        None,
    )
    .await
    .unwrap();
    let next = w.pending_task(&request).await;
    assert_eq!(next.approver_user_id.as_deref(), Some(w.bob.id.as_str()));
    assert!(!next.manager_step);
}

#[tokio::test]
async fn a_manager_approving_a_signed_item_must_reauthenticate() {
    let w = World::new().await;
    w.set_manager(&w.alice, Some(&w.erin)).await;
    let item = managed_item(&w, "Payroll").await;
    let item = w.require_reauth(&item, 0).await;
    let (request, task) = w.pending_request(&w.alice, &item).await;
    let tasks = [task];
    let approve = |proof| {
        decide_as(
            &w,
            (&w.erin, "erin-session"),
            &tasks,
            (Decision::Approve, "ok"),
            proof,
        )
    };

    let challenge = match approve(None).await.unwrap_err() {
        DomainError::ReauthRequired { challenge_id } => challenge_id,
        other => panic!("expected ReauthRequired, got {other:?}"),
    };
    assert_eq!(
        w.status(&request).await,
        RequestStatus::Pending,
        "nothing changed"
    );
    reauth::verify(
        &w.db,
        (&w.erin.id, "erin-session"),
        &challenge,
        &token_for("erin", now()),
        no_skew(),
    )
    .await
    .unwrap();
    let done: Vec<approvals::Decided> = approve(Some(&challenge)).await.unwrap();
    assert!(done[0].signed);
    assert_eq!(w.status(&request).await, RequestStatus::Approved);
}

#[tokio::test]
async fn a_manager_may_request_for_their_direct_reports_only() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    w.set_manager(&w.alice, Some(&w.erin)).await;
    // Neither rule on: nobody for anybody.
    w.configure(on_behalf(false, false)).await;
    let err = requests::request_access(&w.db, &w.erin, &for_someone(&item, &w.alice), &w.fallback)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        DomainError::Invalid {
            field: "for_user_id",
            ..
        }
    ));
    // Managers for their reports: alice reports to erin.
    w.configure(on_behalf(false, true)).await;
    let id = requests::request_access(&w.db, &w.erin, &for_someone(&item, &w.alice), &w.fallback)
        .await
        .unwrap();
    let view = requests::view(&w.db, &w.erin, &id).await.unwrap();
    assert_eq!(view.beneficiary_name, "Alice Example");
    // dave does not report to erin, and alice is nobody's manager: refused,
    // nothing written.
    let before = w.audit_count().await;
    let not_mine =
        requests::request_access(&w.db, &w.erin, &for_someone(&item, &w.dave), &w.fallback)
            .await
            .unwrap_err();
    match not_mine {
        DomainError::Invalid {
            field: "for_user_id",
            message,
        } => {
            assert!(message.contains("does not report to you"), "{message}")
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    let upward =
        requests::request_access(&w.db, &w.alice, &for_someone(&item, &w.erin), &w.fallback)
            .await
            .unwrap_err();
    assert!(matches!(
        upward,
        DomainError::Invalid {
            field: "for_user_id",
            ..
        }
    ));
    assert_eq!(w.audit_count().await, before);
    // Anyone for anyone still allows it.
    w.configure(on_behalf(true, false)).await;
    requests::request_access(&w.db, &w.erin, &for_someone(&item, &w.dave), &w.fallback)
        .await
        .unwrap();
}

#[tokio::test]
async fn nobody_requests_for_a_person_who_left() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    w.configure(on_behalf(true, true)).await;
    w.leave(&w.alice).await.unwrap();
    let err = requests::request_access(&w.db, &w.erin, &for_someone(&item, &w.alice), &w.fallback)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        DomainError::Invalid {
            field: "for_user_id",
            ..
        }
    ));
}
