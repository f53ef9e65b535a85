//! My team: a manager sees their direct reports' access and pending requests.

use super::{World, decide_as};
use crate::{
    domain::{requests, team},
    types::Decision,
};

#[tokio::test]
async fn my_team_lists_the_direct_reports_by_name_with_their_access() {
    let w = World::new().await;
    for report in [&w.dave, &w.alice, &w.bob] {
        w.set_manager(report, Some(&w.erin)).await;
    }
    let vpn = w.item_approved_by("VPN", &w.dave).await;
    let (_, task) = w.pending_request(&w.alice, &vpn).await;
    decide_as(&w, (&w.dave, "s"), &[task], (Decision::Approve, "ok"), None)
        .await
        .unwrap();
    let payroll = w.item_approved_by("Payroll", &w.dave).await;
    let waiting = w.request(&w.alice, &payroll).await;
    w.leave(&w.bob).await.unwrap();

    let first = team::reports(&w.db, &w.erin, None, 1).await.unwrap();
    assert_eq!(first.rows.len(), 1);
    let alice = &first.rows[0];
    assert_eq!(alice.person.name, "Alice Example", "by name");
    assert_eq!(alice.access.len(), 1);
    assert_eq!(alice.access[0].item_name, "VPN");
    assert_eq!(alice.pending.len(), 1);
    assert_eq!(alice.pending[0].request_id, waiting);
    // The manager reads the request the page links to.
    requests::view(&w.db, &w.erin, &waiting).await.unwrap();

    let rest = team::reports(&w.db, &w.erin, first.next.as_deref(), 1)
        .await
        .unwrap();
    let names: Vec<_> = rest.rows.iter().map(|m| m.person.name.as_str()).collect();
    assert_eq!(names, ["Dave Example"], "bob left: not shown");
    assert!(rest.next.is_none());
    assert!(team::has_reports(&w.db, &w.erin).await.unwrap());
}

#[tokio::test]
async fn a_person_without_reports_has_an_empty_team() {
    let w = World::new().await;
    w.set_manager(&w.alice, Some(&w.erin)).await;
    let page = team::reports(&w.db, &w.alice, None, 20).await.unwrap();
    assert!(page.rows.is_empty() && page.next.is_none());
    assert!(!team::has_reports(&w.db, &w.alice).await.unwrap());
    // Another manager's reports are not theirs to read.
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let id = w.request(&w.alice, &item).await;
    assert!(requests::view(&w.db, &w.dave, &id).await.is_err());
}
