//! A person leaves the organisation (the directory deactivates or deletes them):
//! everything of theirs stops at once, in the directory's one transaction.

use super::{
    World, decide_as, named,
    security::people::{session_alive, session_of, token_of},
};
use crate::{
    db::{assignments, users},
    domain::{
        DomainError,
        identity::{self, access_of_leavers},
        requests::{self, AccessRequestInput},
        tokens,
    },
    types::{
        AccessItem, AccessRequestConfig, CurrentUser, Decision, RequestOnBehalfOfConfig,
        RequestStatus, TaskState,
    },
};

/// `who` holds `item` (approved by its one step's approver, `approver`).
async fn holds(w: &World, who: &CurrentUser, item: &AccessItem, approver: &CurrentUser) {
    let (_, task) = w.pending_request(who, item).await;
    decide_as(w, (approver, "s"), &[task], (Decision::Approve, "ok"), None)
        .await
        .expect("approved");
    assert!(
        assignments::holds(w.db.pool(), &who.id, &item.id)
            .await
            .unwrap()
    );
}

fn anyone_for_anyone() -> AccessRequestConfig {
    AccessRequestConfig {
        request_on_behalf_of_config: RequestOnBehalfOfConfig {
            allow_request_on_behalf_of_anyone_by_anyone: true,
            ..Default::default()
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn a_leaver_loses_sessions_tokens_requests_and_tasks_in_one_change() {
    let w = World::new().await;
    w.configure(anyone_for_anyone()).await;
    let token = token_of(&w, &w.bob, "bob").await;
    let session = session_of(&w, &w.bob).await;
    // A task given to bob by name, on alice's request.
    let payroll = w.item_approved_by("Payroll", &w.bob).await;
    let (alices, bobs_task) = w.pending_request(&w.alice, &payroll).await;
    // bob's own pending request, and one he made for alice.
    let ledger = w.item_approved_by("Ledger", &w.dave).await;
    let (for_bob, for_bob_task) = w.pending_request(&w.bob, &ledger).await;
    let wiki = w.item_approved_by("Wiki", &w.dave).await;
    let for_alice = requests::request_access(
        &w.db,
        &w.bob,
        &AccessRequestInput {
            item_id: wiki.id.clone(),
            justification: "She starts Monday".into(),
            for_user_id: w.alice.id.clone(),
            ..Default::default()
        },
        &w.fallback,
    )
    .await
    .unwrap();
    // Access bob holds.
    let vpn = w.item_approved_by("VPN", &w.dave).await;
    holds(&w, &w.bob, &vpn, &w.dave).await;

    let left = w.leave(&w.bob).await.expect("bob leaves");

    // Sessions and tokens: gone.
    assert_eq!((left.ended.sessions, left.ended.tokens), (1, 1));
    assert!(!session_alive(&w, &session).await);
    assert!(tokens::authenticate(&w.db, &token).await.unwrap().is_none());
    // His own request: cancelled, with its task.
    assert_eq!(left.requests_cancelled, vec![for_bob.clone()]);
    assert_eq!(w.status(&for_bob).await, RequestStatus::Cancelled);
    let cancelled = crate::db::tasks::find(w.db.pool(), &for_bob_task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cancelled.state, TaskState::Cancelled);
    // The request he made for alice stays: she still wants it.
    assert_eq!(w.status(&for_alice).await, RequestStatus::Pending);
    // His task went to the item's owner, carol.
    assert_eq!(left.tasks_moved, vec![bobs_task.clone()]);
    let old = crate::db::tasks::find(w.db.pool(), &bobs_task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.state, TaskState::Reassigned);
    assert_eq!(old.comment.as_deref(), Some("approver left"));
    let now_with = w.pending_task(&alices).await;
    assert_eq!(
        now_with.approver_user_id.as_deref(),
        Some(w.carol.id.as_str())
    );
    assert_eq!(w.status(&alices).await, RequestStatus::Pending);
    // What he holds is revoked: the assignment ends and the reverse job is
    // written for the target (manual here: a fulfilment task).
    let revoked: Vec<_> = left
        .assignments_revoked
        .iter()
        .map(|a| a.item_id.as_str())
        .collect();
    assert_eq!(revoked, vec![vpn.id.as_str()]);
    assert!(
        !assignments::holds(w.db.pool(), &w.bob.id, &vpn.id)
            .await
            .unwrap()
    );
    let revoke = &w.audit_records("assignment.revoked").await[0];
    assert_eq!(revoke.details["reason"], "left");

    // Each step audited, by the directory's actor.
    let cancelled = w.audit_records("request.cancelled").await;
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].target_id, for_bob);
    assert_eq!(
        cancelled[0].details["reason"],
        "the beneficiary left the organisation"
    );
    let moved = w.audit_records("approval.reassigned").await;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].target_id, bobs_task);
    assert_eq!(moved[0].details["reason"], "approver left");
    assert_eq!(moved[0].details["to_user_id"], w.carol.id.as_str());
    assert_eq!(moved[0].details["new_task_id"], now_with.id.as_str());
    let record = &w.audit_records("user.left").await[0];
    assert_eq!(record.target_id, w.bob.id);
    assert_eq!(record.details["sessions_ended"], 1);
    assert_eq!(record.details["tokens_revoked"], 1);
    assert_eq!(record.details["requests_cancelled"][0], for_bob.as_str());
    assert_eq!(record.details["tasks_moved"][0], bobs_task.as_str());
    assert_eq!(record.details["assignments_revoked"][0]["item_name"], "VPN");

    // He cannot sign in again.
    let groups = vec!["approvers".to_string()];
    let again = identity::record_sign_in(
        &w.db,
        &users::SignInProfile {
            issuer: super::ISSUER,
            subject: "bob",
            login_name: None,
            name: "Bob Example",
            email: None,
            groups: &groups,
        },
        &w.fallback.roles,
    )
    .await
    .unwrap_err();
    assert!(matches!(again, DomainError::Forbidden(_)));
}

#[tokio::test]
async fn leaving_twice_changes_nothing_the_second_time() {
    let w = World::new().await;
    assert!(w.leave(&w.bob).await.is_some());
    let before = w.audit_count().await;
    assert!(w.leave(&w.bob).await.is_none());
    assert_eq!(w.audit_count().await, before);
}

#[tokio::test]
async fn a_leavers_task_goes_to_the_administrators_when_the_owner_cannot_take_it() {
    let w = World::new().await;
    // bob owns the item and approves it: after he leaves, nobody but the
    // administrators can take his task.
    let owned = w.item("Payroll", &w.bob, &[named(&w.bob)]).await;
    let (request, task) = w.pending_request(&w.alice, &owned).await;
    // The owner is the requester: not them either.
    let own = w.item("Ledger", &w.alice, &[named(&w.bob)]).await;
    let (own_request, _) = w.pending_request(&w.alice, &own).await;

    let left = w.leave(&w.bob).await.unwrap();

    assert_eq!(left.tasks_moved.len(), 2);
    for id in [&request, &own_request] {
        let now_with = w.pending_task(id).await;
        assert_eq!(now_with.approver_user_id, None);
        assert_eq!(now_with.approver_group.as_deref(), Some("admins"));
    }
    // carol, an administrator, decides it from the fallback.
    let moved = w.pending_task(&request).await.id;
    assert_ne!(moved, task);
    decide_as(
        &w,
        (&w.carol, "s"),
        &[moved],
        (Decision::Approve, "ok"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(w.status(&request).await, RequestStatus::Approved);
}

#[tokio::test]
async fn nobody_who_left_is_given_new_work() {
    let w = World::new().await;
    let named_bob = w.item_approved_by("Payroll", &w.bob).await;
    let owned_by_dave = w
        .item("Ledger", &w.dave, &[crate::types::Approver::Owner])
        .await;
    w.leave(&w.bob).await.unwrap();
    w.leave(&w.dave).await.unwrap();

    let (request, _) = w.pending_request(&w.alice, &named_bob).await;
    let task = w.pending_task(&request).await;
    assert_eq!(
        task.approver_user_id.as_deref(),
        Some(w.carol.id.as_str()),
        "the owner"
    );
    let (request, _) = w.pending_request(&w.alice, &owned_by_dave).await;
    let task = w.pending_task(&request).await;
    assert_eq!(
        task.approver_group.as_deref(),
        Some("admins"),
        "the owner left"
    );
}

#[tokio::test]
async fn the_access_of_disabled_people_is_for_administrators_one_page_at_a_time() {
    let w = World::new().await;
    let vpn = w.item_approved_by("VPN", &w.dave).await;
    let wiki = w.item_approved_by("Wiki", &w.dave).await;
    holds(&w, &w.bob, &vpn, &w.dave).await;
    holds(&w, &w.bob, &wiki, &w.dave).await;
    holds(&w, &w.alice, &vpn, &w.dave).await;
    holds(&w, &w.erin, &wiki, &w.dave).await;
    // An administrator disables bob: he keeps what he holds until it is
    // removed. Erin leaves: hers is revoked at once, so it is not listed.
    identity::disable(&w.db, &w.carol, &w.bob.id).await.unwrap();
    w.leave(&w.erin).await.unwrap();

    let err = access_of_leavers(&w.db, &w.dave, None, 10)
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)));

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = access_of_leavers(&w.db, &w.carol, after.as_deref(), 1)
            .await
            .unwrap();
        assert!(page.rows.len() <= 1);
        seen.extend(page.rows.into_iter().map(|r| (r.user_name, r.item_name)));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut expected = vec![
        ("Bob Example".to_string(), "VPN".to_string()),
        ("Bob Example".to_string(), "Wiki".to_string()),
    ];
    expected.sort_by_key(|(_, item)| {
        if item == "VPN" {
            vpn.id.clone()
        } else {
            wiki.id.clone()
        }
    });
    assert_eq!(
        seen, expected,
        "bob's two: not alice's (she is here), not erin's (revoked when she left)"
    );

    let damaged = access_of_leavers(&w.db, &w.carol, Some("not-a-cursor"), 10)
        .await
        .unwrap_err();
    assert!(matches!(
        damaged,
        DomainError::Invalid { field: "after", .. }
    ));
}

#[tokio::test]
async fn nobody_hands_a_task_to_a_person_who_left() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let (request, task) = w.pending_request(&w.alice, &item).await;
    w.leave(&w.dave).await.unwrap();
    let err = crate::domain::approvals::reassign(
        &w.db,
        &super::web(&w.bob, "s"),
        (&task, &w.dave.id),
        "Please take it",
        &w.fallback,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, DomainError::Invalid { field: "to", .. }),
        "{err:?}"
    );
    assert_eq!(w.pending_task(&request).await.id, task, "nothing changed");
}
