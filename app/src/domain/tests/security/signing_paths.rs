use super::*;

#[tokio::test]
async fn auto_approval_never_approves_a_step_that_must_be_signed() {
    let w = World::new().await;
    let item = signed_item(&w, "Payroll", &w.bob, &[Approver::Owner]).await;
    let stored = org_config::load(w.db.pool()).await.unwrap();
    w.configure(AccessRequestConfig {
        auto_approval_enabled: true,
        ..stored.config
    })
    .await;
    let id = w.request(&w.bob, &item).await;
    let tasks = w.pending_tasks(&id).await;
    assert_eq!(tasks.len(), 1, "the step waits for a signature");
    assert!(!tasks[0].automatic);
    assert_eq!(tasks[0].approver_group.as_deref(), Some("admins"));
    assert_eq!(w.status(&id).await, RequestStatus::Pending);
    assert!(
        !assignments::holds(w.db.pool(), &w.bob.id, &item.id)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn every_path_that_grants_a_signed_item_carries_a_signature_for_every_step() {
    let w = World::new().await;
    let two_steps = [named(&w.bob), named(&w.dave)];
    let item = signed_item(&w, "Payroll", &w.carol, &two_steps).await;
    // One at a time, each step signed.
    let single = w.request(&w.alice, &item).await;
    approve_signed(
        &w,
        &w.bob,
        "bob",
        &[w.pending_tasks(&single).await[0].id.clone()],
    )
    .await;
    approve_signed(
        &w,
        &w.dave,
        "dave",
        &[w.pending_tasks(&single).await[0].id.clone()],
    )
    .await;
    assert_granted_and_every_step_signed(&w, &single, &w.alice.id).await;
    // A batch: one signature covers the batch, recorded on each step.
    let other = signed_item(&w, "Ledger", &w.carol, &[named(&w.bob)]).await;
    let a = w.request(&w.alice, &other).await;
    let b = w.request(&w.erin, &other).await;
    let batch = vec![
        w.pending_tasks(&a).await[0].id.clone(),
        w.pending_tasks(&b).await[0].id.clone(),
    ];
    approve_signed(&w, &w.bob, "bob", &batch).await;
    assert_granted_and_every_step_signed(&w, &a, &w.alice.id).await;
    assert_granted_and_every_step_signed(&w, &b, &w.erin.id).await;
    // Reassigned, then approved by the new assignee: still signed.
    let handed = signed_item(&w, "Treasury", &w.carol, &[named(&w.bob)]).await;
    let (r, task) = w.pending_request(&w.alice, &handed).await;
    approvals::reassign(
        &w.db,
        &web(&w.bob, "s"),
        (&task, &w.dave.id),
        "On leave",
        &w.fallback,
    )
    .await
    .unwrap();
    approve_signed(
        &w,
        &w.dave,
        "dave",
        &[w.pending_tasks(&r).await[0].id.clone()],
    )
    .await;
    assert_granted_and_every_step_signed(&w, &r, &w.alice.id).await;
    // Auto-approval: the requester's own step is not approved by the system.
    let stored = org_config::load(w.db.pool()).await.unwrap();
    w.configure(AccessRequestConfig {
        auto_approval_enabled: true,
        ..stored.config
    })
    .await;
    let own = signed_item(&w, "Vault", &w.bob, &[Approver::Owner, named(&w.dave)]).await;
    let mine = w.request(&w.bob, &own).await;
    assert_eq!(w.pending_tasks(&mine).await.len(), 1);
    assert_eq!(w.status(&mine).await, RequestStatus::Pending);
}

#[tokio::test]
async fn a_step_approved_before_the_item_required_signing_blocks_the_grant() {
    let w = World::new().await;
    let item = w
        .item("Payroll", &w.carol, &[named(&w.bob), named(&w.dave)])
        .await;
    let id = w.request(&w.alice, &item).await;
    approve_signed(
        &w,
        &w.bob,
        "bob",
        &[w.pending_tasks(&id).await[0].id.clone()],
    )
    .await;
    w.require_reauth(&item, 0).await;
    let last = w.pending_tasks(&id).await[0].id.clone();
    let session = "dave-session";
    let challenge = challenge_of(
        decide_as(
            &w,
            (&w.dave, session),
            std::slice::from_ref(&last),
            (Decision::Approve, "ok"),
            None,
        )
        .await
        .unwrap_err(),
    );
    sign(&w, &w.dave, "dave", session, &challenge).await;
    let before = w.audit_count().await;
    let err = decide_as(
        &w,
        (&w.dave, session),
        &[last],
        (Decision::Approve, "ok"),
        Some(&challenge),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
    assert_eq!(w.status(&id).await, RequestStatus::Pending);
    assert_eq!(w.audit_count().await, before, "nothing recorded");
}
