use super::World;
use crate::{
    domain::{
        DomainError,
        requests::{self, AccessRequestInput},
    },
    types::{AccessRequestConfig, Approver, RequestOnBehalfOfConfig, RequestStatus},
};

fn ask(item_id: &str) -> AccessRequestInput {
    AccessRequestInput {
        item_id: item_id.into(),
        justification: "Month-end close".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_request_needs_a_justification_and_changes_nothing_without_one() {
    let w = World::new().await;
    let item = w.item("Payroll", &w.bob, &[Approver::Owner]).await;
    let before = w.audit_count().await;
    let mut input = ask(&item.id);
    input.justification = "  ".into();
    let err = requests::request_access(&w.db, &w.alice, &input, &w.fallback)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        DomainError::Invalid {
            field: "justification",
            ..
        }
    ));
    assert_eq!(w.audit_count().await, before);
}

#[tokio::test]
async fn a_second_pending_request_for_the_same_item_is_refused() {
    let w = World::new().await;
    let item = w.item("Payroll", &w.bob, &[Approver::Owner]).await;
    w.request(&w.alice, &item).await;
    let err = requests::request_access(&w.db, &w.alice, &ask(&item.id), &w.fallback)
        .await
        .unwrap_err();
    assert!(
        matches!(err, DomainError::Invalid { field: "item", .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn end_dates_must_be_future_dates_within_bounds() {
    let w = World::new().await;
    let item = w.item("Payroll", &w.bob, &[Approver::Owner]).await;
    for bad in ["2001-01-01", "2999-01-01", "next week", "2026-02-31"] {
        let mut input = ask(&item.id);
        input.end_date = bad.into();
        let err = requests::request_access(&w.db, &w.alice, &input, &w.fallback)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                DomainError::Invalid {
                    field: "end_date",
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
    }
}

#[tokio::test]
async fn requesting_for_someone_else_needs_the_configuration_to_allow_it() {
    let w = World::new().await;
    let item = w.item("Payroll", &w.bob, &[Approver::Owner]).await;
    let mut input = ask(&item.id);
    input.for_user_id = w.erin.id.clone();
    let err = requests::request_access(&w.db, &w.alice, &input, &w.fallback)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        DomainError::Invalid {
            field: "for_user_id",
            ..
        }
    ));
    w.configure(AccessRequestConfig {
        request_on_behalf_of_config: RequestOnBehalfOfConfig {
            allow_request_on_behalf_of_anyone_by_anyone: true,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let id = requests::request_access(&w.db, &w.alice, &input, &w.fallback)
        .await
        .unwrap();
    let view = requests::view(&w.db, &w.erin, &id).await.unwrap();
    assert_eq!(view.beneficiary_name, "Erin Example");
    assert_eq!(view.requester_name, "Alice Example");
}

#[tokio::test]
async fn a_pending_request_can_be_cancelled_once() {
    let w = World::new().await;
    let item = w.item("Payroll", &w.bob, &[Approver::Owner]).await;
    let id = w.request(&w.alice, &item).await;
    requests::cancel(&w.db, &w.alice, &id).await.unwrap();
    assert_eq!(w.status(&id).await, RequestStatus::Cancelled);
    assert!(
        w.pending_tasks(&id).await.is_empty(),
        "its tasks leave the inbox"
    );
    let again = requests::cancel(&w.db, &w.alice, &id).await.unwrap_err();
    assert!(matches!(again, DomainError::Conflict(_)));
    let stranger = requests::cancel(&w.db, &w.bob, &id).await.unwrap_err();
    assert!(matches!(stranger, DomainError::NotFound(_)));
}

#[tokio::test]
async fn my_requests_page_newest_first() {
    let w = World::new().await;
    let mut ids = Vec::new();
    for name in ["A", "B", "C"] {
        let item = w.item(name, &w.bob, &[Approver::Owner]).await;
        ids.push(w.request(&w.alice, &item).await);
    }
    let first = requests::mine(&w.db, &w.alice, None, 2).await.unwrap();
    assert_eq!(
        first.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        [ids[2].clone(), ids[1].clone()]
    );
    let rest = requests::mine(&w.db, &w.alice, first.next.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(rest.rows.len(), 1);
    assert_eq!(rest.rows[0].id, ids[0]);
    assert!(rest.next.is_none());
}
