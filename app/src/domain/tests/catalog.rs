use super::World;
use crate::{
    domain::catalog,
    types::{Approver, Decision},
};

#[tokio::test]
async fn the_catalog_shows_what_a_person_holds_and_waits_for() {
    let w = World::new().await;
    let held = w.item("Payroll", &w.bob, &[Approver::Owner]).await;
    let waiting = w.item("Ledger", &w.bob, &[Approver::Owner]).await;
    w.item("Wiki", &w.bob, &[Approver::Owner]).await;
    let granted = w.request(&w.alice, &held).await;
    let task = w.pending_tasks(&granted).await.remove(0).id;
    super::decide_as(&w, (&w.bob, "s"), &[task], (Decision::Approve, "ok"), None)
        .await
        .unwrap();
    w.request(&w.alice, &waiting).await;

    let page = catalog::page(&w.db, &w.alice, String::new(), None, None, 20)
        .await
        .unwrap();

    let standing: Vec<(&str, bool, bool)> = page
        .rows
        .iter()
        .map(|e| (e.item.name.as_str(), e.held, e.pending))
        .collect();
    assert_eq!(
        standing,
        [
            ("Ledger", false, true),
            ("Payroll", true, false),
            ("Wiki", false, false)
        ]
    );
}

#[tokio::test]
async fn another_persons_requests_do_not_count_in_my_standing() {
    let w = World::new().await;
    let item = w.item("Payroll", &w.bob, &[Approver::Owner]).await;
    w.request(&w.alice, &item).await;

    let (held, pending) = catalog::standing(&w.db, &w.dave, &item.id).await.unwrap();

    assert!(!held && !pending);
    assert_eq!(
        catalog::standing(&w.db, &w.alice, &item.id).await.unwrap(),
        (false, true)
    );
}
