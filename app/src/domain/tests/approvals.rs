use super::{World, named};
use crate::{
    db::assignments,
    domain::{DomainError, approvals, requests},
    types::{AccessRequestConfig, Approver, Decision, RequestStatus, TaskState},
};

async fn approve(
    w: &World,
    who: &crate::types::CurrentUser,
    task: &str,
) -> Result<(), DomainError> {
    super::decide_as(
        w,
        (who, "session"),
        &[task.to_owned()],
        (Decision::Approve, "ok"),
        None,
    )
    .await
    .map(|_| ())
}

#[tokio::test]
async fn a_request_walks_its_steps_in_order_and_then_grants_access() {
    let w = World::new().await;
    let item = w
        .item("Payroll", &w.carol, &[named(&w.bob), named(&w.dave)])
        .await;
    let id = w.request(&w.alice, &item).await;
    let step1 = w.pending_tasks(&id).await;
    assert_eq!(step1.len(), 1);
    assert_eq!(
        step1[0].approver_user_id.as_deref(),
        Some(w.bob.id.as_str())
    );
    let dave_early = approve(&w, &w.dave, &step1[0].id).await.unwrap_err();
    assert!(
        matches!(dave_early, DomainError::Forbidden(_)),
        "step 2's approver cannot decide step 1"
    );
    approve(&w, &w.bob, &step1[0].id).await.unwrap();
    assert_eq!(w.status(&id).await, RequestStatus::Pending);
    let step2 = w.pending_tasks(&id).await;
    assert_eq!(
        step2[0].approver_user_id.as_deref(),
        Some(w.dave.id.as_str())
    );
    assert!(
        !assignments::holds(w.db.pool(), &w.alice.id, &item.id)
            .await
            .unwrap()
    );
    approve(&w, &w.dave, &step2[0].id).await.unwrap();
    assert_eq!(w.status(&id).await, RequestStatus::Approved);
    assert!(
        assignments::holds(w.db.pool(), &w.alice.id, &item.id)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_denial_at_any_step_ends_the_request_and_needs_a_comment() {
    let w = World::new().await;
    let item = w
        .item("Payroll", &w.carol, &[named(&w.bob), Approver::Owner])
        .await;
    let id = w.request(&w.alice, &item).await;
    let task = w.pending_tasks(&id).await.remove(0);
    let silent = super::decide_as(
        &w,
        (&w.bob, "s"),
        std::slice::from_ref(&task.id),
        (Decision::Deny, " "),
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        silent,
        DomainError::Invalid {
            field: "comment",
            ..
        }
    ));
    super::decide_as(
        &w,
        (&w.bob, "s"),
        std::slice::from_ref(&task.id),
        (Decision::Deny, "Not your team"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(w.status(&id).await, RequestStatus::Denied);
    assert!(
        w.pending_tasks(&id).await.is_empty(),
        "no second step opens"
    );
}

#[tokio::test]
async fn nobody_approves_their_own_request_it_goes_to_the_owner_instead() {
    let w = World::new().await;
    let item = w.item("DBA", &w.dave, &[named(&w.bob)]).await;
    let id = w.request(&w.bob, &item).await;
    let task = w.pending_tasks(&id).await.remove(0);
    assert_eq!(
        task.approver_user_id.as_deref(),
        Some(w.dave.id.as_str()),
        "fallback: the owner"
    );
    let own = approve(&w, &w.bob, &task.id).await.unwrap_err();
    assert!(matches!(own, DomainError::Forbidden(_)));
}

#[tokio::test]
async fn when_the_requester_owns_the_item_the_step_goes_to_the_admins() {
    let w = World::new().await;
    let item = w.item("DBA", &w.bob, &[Approver::Owner]).await;
    let id = w.request(&w.bob, &item).await;
    let task = w.pending_tasks(&id).await.remove(0);
    assert_eq!(task.approver_user_id, None);
    assert_eq!(task.approver_group.as_deref(), Some("admins"));
    approve(&w, &w.carol, &task.id)
        .await
        .expect("an admin decides");
}

#[tokio::test]
async fn with_auto_approval_on_ones_own_step_is_approved_automatically_and_audited() {
    let w = World::new().await;
    w.configure(AccessRequestConfig {
        auto_approval_enabled: true,
        ..Default::default()
    })
    .await;
    let item = w
        .item("DBA", &w.carol, &[named(&w.bob), named(&w.dave)])
        .await;
    let id = w.request(&w.bob, &item).await;
    let tasks = crate::db::tasks::of_request(w.db.pool(), &id)
        .await
        .unwrap();
    assert!(tasks[0].automatic && tasks[0].state == TaskState::Approved);
    assert_eq!(tasks[1].state, TaskState::Pending);
    let auto = w.audit_records("approval.auto_approved").await;
    assert_eq!(auto.len(), 1);
}

#[tokio::test]
async fn two_approvers_racing_on_one_step_exactly_one_decision_counts() {
    let w = World::new().await;
    let item = w
        .item(
            "Slack",
            &w.carol,
            &[Approver::Group {
                group: "approvers".into(),
            }],
        )
        .await;
    let id = w.request(&w.alice, &item).await;
    let task = w.pending_tasks(&id).await.remove(0);
    let ids = [task.id.clone()];
    let bob = super::decide_as(&w, (&w.bob, "s1"), &ids, (Decision::Approve, "yes"), None);
    let dave = super::decide_as(&w, (&w.dave, "s2"), &ids, (Decision::Deny, "no"), None);
    let (bob, dave) = tokio::join!(bob, dave);
    let wins = [bob.is_ok(), dave.is_ok()].iter().filter(|ok| **ok).count();
    assert_eq!(wins, 1, "bob: {bob:?}, dave: {dave:?}");
    let loser = bob.err().or(dave.err()).unwrap();
    assert!(
        matches!(&loser, DomainError::Conflict(m) if m.contains("already")),
        "the loser is told it was already decided: {loser:?}"
    );
    let decided = crate::db::tasks::find(w.db.pool(), &task.id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(decided.state, TaskState::Pending);
    let decisions = crate::db::audit::list(
        w.db.pool(),
        &crate::db::audit::AuditFilter {
            request_id: Some(id.clone()),
            ..Default::default()
        },
        None,
        50,
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|r| r.action.starts_with("approval."))
    .count();
    assert_eq!(decisions, 1, "one decision in the audit trail");
}

#[tokio::test]
async fn reassignment_needs_a_comment_and_an_eligible_person() {
    let w = World::new().await;
    let item = w.item_approved_by("Slack", &w.bob).await;
    let id = w.request(&w.alice, &item).await;
    let task = w.pending_tasks(&id).await.remove(0);
    let no_comment = approvals::reassign(
        &w.db,
        &super::web(&w.bob, "s"),
        (&task.id, &w.dave.id),
        "",
        &w.fallback,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        no_comment,
        DomainError::Invalid {
            field: "comment",
            ..
        }
    ));
    let to_requester = approvals::reassign(
        &w.db,
        &super::web(&w.bob, "s"),
        (&task.id, &w.alice.id),
        "over to you",
        &w.fallback,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        to_requester,
        DomainError::Invalid { field: "to", .. }
    ));
    approvals::reassign(
        &w.db,
        &super::web(&w.bob, "s"),
        (&task.id, &w.dave.id),
        "On leave",
        &w.fallback,
    )
    .await
    .unwrap();
    let now = w.pending_tasks(&id).await;
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].approver_user_id.as_deref(), Some(w.dave.id.as_str()));
    assert!(matches!(
        approve(&w, &w.bob, &task.id).await.unwrap_err(),
        DomainError::Conflict(_)
    ));
    approve(&w, &w.dave, &now[0].id).await.unwrap();
    assert_eq!(w.status(&id).await, RequestStatus::Approved);
}

#[tokio::test]
async fn an_approved_removal_request_takes_the_access_away() {
    let w = World::new().await;
    let item = w.item_approved_by("Slack", &w.bob).await;
    let id = w.request(&w.alice, &item).await;
    approve(&w, &w.bob, &w.pending_tasks(&id).await[0].id)
        .await
        .unwrap();
    assert!(
        assignments::holds(w.db.pool(), &w.alice.id, &item.id)
            .await
            .unwrap()
    );
    let removal = requests::request_removal(&w.db, &w.alice, &item.id, "Changed team", &w.fallback)
        .await
        .unwrap();
    approve(&w, &w.bob, &w.pending_tasks(&removal).await[0].id)
        .await
        .unwrap();
    assert!(
        !assignments::holds(w.db.pool(), &w.alice.id, &item.id)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn access_past_its_end_date_expires_once_and_is_audited() {
    let w = World::new().await;
    let item = w.item_approved_by("Slack", &w.bob).await;
    let id = w.request(&w.alice, &item).await;
    approve(&w, &w.bob, &w.pending_tasks(&id).await[0].id)
        .await
        .unwrap();
    // The end date passes: set it in the past, as time would.
    sqlx::query("UPDATE assignments SET end_date = $1")
        .bind(crate::domain::now() - 1)
        .execute(w.db.pool())
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        crate::domain::assignments::expire_assignments(&w.db),
        crate::domain::assignments::expire_assignments(&w.db)
    );
    assert_eq!(
        a.unwrap() + b.unwrap(),
        1,
        "two replicas expire it exactly once"
    );
    assert!(
        !assignments::holds(w.db.pool(), &w.alice.id, &item.id)
            .await
            .unwrap()
    );
    let expired = w.audit_records("assignment.expired").await;
    assert_eq!(expired.len(), 1);
}

#[tokio::test]
async fn the_inbox_shows_an_approvers_tasks_newest_first_and_group_tasks_to_members() {
    let w = World::new().await;
    let a = w.item_approved_by("A", &w.bob).await;
    let b = w
        .item(
            "B",
            &w.carol,
            &[Approver::Group {
                group: "approvers".into(),
            }],
        )
        .await;
    w.request(&w.alice, &a).await;
    w.request(&w.alice, &b).await;
    let bob = crate::domain::inbox::inbox(&w.db, &w.bob, None, 10)
        .await
        .unwrap();
    assert_eq!(
        bob.rows
            .iter()
            .map(|t| t.item_name.as_str())
            .collect::<Vec<_>>(),
        ["B", "A"]
    );
    let dave = crate::domain::inbox::inbox(&w.db, &w.dave, None, 10)
        .await
        .unwrap();
    assert_eq!(dave.rows.len(), 1);
    assert_eq!(
        crate::domain::inbox::inbox_count(&w.db, &w.bob)
            .await
            .unwrap(),
        2
    );
    let paged = crate::domain::inbox::inbox(&w.db, &w.bob, None, 1)
        .await
        .unwrap();
    let rest = crate::domain::inbox::inbox(&w.db, &w.bob, paged.next.as_deref(), 1)
        .await
        .unwrap();
    assert_eq!(rest.rows[0].item_name, "A");
}

#[tokio::test]
async fn the_history_lists_what_an_approver_decided_newest_first() {
    let w = World::new().await;
    let a = w.item_approved_by("A", &w.bob).await;
    let b = w.item_approved_by("B", &w.bob).await;
    let ra = w.request(&w.alice, &a).await;
    let rb = w.request(&w.alice, &b).await;
    approve(&w, &w.bob, &w.pending_tasks(&ra).await[0].id)
        .await
        .unwrap();
    approve(&w, &w.bob, &w.pending_tasks(&rb).await[0].id)
        .await
        .unwrap();
    let first = crate::domain::inbox::history(&w.db, &w.bob, None, 1)
        .await
        .unwrap();
    assert_eq!(first.rows.len(), 1);
    let second = crate::domain::inbox::history(&w.db, &w.bob, first.next.as_deref(), 1)
        .await
        .unwrap();
    assert_eq!(second.rows.len(), 1);
    assert_ne!(first.rows[0].task_id, second.rows[0].task_id);
    assert!(
        crate::domain::inbox::history(&w.db, &w.dave, None, 10)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
}
