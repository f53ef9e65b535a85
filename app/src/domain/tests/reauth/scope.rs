//! Which decisions need a signature: approvals of grants for items that require
//! it, while the organisation has it on; never denials, reassignments or removals.

use super::*;

#[tokio::test]
async fn denials_need_no_reauthentication() {
    let c = sensitive(0).await;
    decide(&c, &c.w.bob, "s", Decision::Deny, None)
        .await
        .unwrap();
    assert_eq!(c.w.status(&c.request).await, RequestStatus::Denied);
}

#[tokio::test]
async fn reassignment_needs_no_reauthentication() {
    let c = sensitive(0).await;
    approvals::reassign(
        &c.w.db,
        &crate::domain::tests::web(&c.w.bob, "s"),
        (&c.task, &c.w.dave.id),
        "On leave",
        &c.w.fallback,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn revocation_approval_needs_no_reauth() {
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
    let removal = requests::request_removal(
        &c.w.db,
        &c.w.alice,
        &c.item.id,
        "Left the team",
        &c.w.fallback,
    )
    .await
    .unwrap();
    let task = c.w.pending_tasks(&removal).await.remove(0).id;
    let done = crate::domain::tests::decide_as(
        &c.w,
        (&c.w.bob, "s"),
        &[task],
        (Decision::Approve, ""),
        None,
    )
    .await
    .unwrap();
    assert!(!done[0].signed);
    assert!(
        !assignments::holds(c.w.db.pool(), &c.w.alice.id, &c.item.id)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn items_without_the_checkbox_need_no_reauthentication() {
    let w = World::new().await;
    w.configure(crate::types::AccessRequestConfig {
        reauthorization_enabled: true,
        ..Default::default()
    })
    .await;
    let item = w.item_approved_by("Slack", &w.bob).await;
    let (request, task) = w.pending_request(&w.alice, &item).await;
    let done =
        crate::domain::tests::decide_as(&w, (&w.bob, "s"), &[task], (Decision::Approve, ""), None)
            .await
            .unwrap();
    assert!(!done[0].signed);
    assert_eq!(w.status(&request).await, RequestStatus::Approved);
}

#[tokio::test]
async fn with_the_organisation_flag_off_no_reauthentication_is_asked() {
    let c = sensitive(0).await;
    c.w.configure(crate::types::AccessRequestConfig::default())
        .await;
    let done = decide(&c, &c.w.bob, "s", Decision::Approve, None)
        .await
        .unwrap();
    assert!(
        !done[0].signed,
        "the item keeps its setting, but it is not enforced"
    );
    assert_eq!(c.w.status(&c.request).await, RequestStatus::Approved);
}
