use super::World;
use crate::{
    domain::{
        DomainError,
        items::{self, ItemInput},
        org,
    },
    types::{AccessRequestConfig, Approver},
};

fn input(name: &str) -> ItemInput {
    ItemInput {
        kind: "role".into(),
        name: name.into(),
        description: String::new(),
        owner_id: String::new(),
        requestable: true,
        enabled: true,
    }
}

#[tokio::test]
async fn a_new_item_is_approved_by_its_owner_and_audited() {
    let w = World::new().await;
    let item = items::create(&w.db, &w.carol, &input("Finance Approver"))
        .await
        .unwrap();
    let steps = items::steps_view(&w.db, &item.id).await.unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].approver, Approver::Owner);
    assert!(steps[0].broken, "an owner step without an owner is flagged");
    assert_eq!(w.audit_count().await, 1);
}

#[tokio::test]
async fn only_admins_manage_items() {
    let w = World::new().await;
    let err = items::create(&w.db, &w.bob, &input("Sneaky"))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)));
    assert_eq!(crate::db::items::count(w.db.pool()).await.unwrap(), 0);
}

#[tokio::test]
async fn names_are_required_bounded_and_unique_per_kind() {
    let w = World::new().await;
    items::create(&w.db, &w.carol, &input("DBA")).await.unwrap();
    let dup = items::create(&w.db, &w.carol, &input("dba"))
        .await
        .unwrap_err();
    assert!(
        matches!(dup, DomainError::Invalid { field: "name", .. }),
        "{dup:?}"
    );
    let empty = items::create(&w.db, &w.carol, &input("   "))
        .await
        .unwrap_err();
    assert!(matches!(empty, DomainError::Invalid { field: "name", .. }));
    let long = items::create(&w.db, &w.carol, &input(&"x".repeat(121)))
        .await
        .unwrap_err();
    assert!(matches!(long, DomainError::Invalid { field: "name", .. }));
    let mut other_kind = input("DBA");
    other_kind.kind = "entitlement".into();
    items::create(&w.db, &w.carol, &other_kind)
        .await
        .expect("same name, other kind");
}

#[tokio::test]
async fn an_edit_based_on_a_stale_version_is_refused() {
    let w = World::new().await;
    let item = items::create(&w.db, &w.carol, &input("Payroll"))
        .await
        .unwrap();
    items::update(
        &w.db,
        (&w.carol, "s"),
        (&item.id, item.version),
        &input("Payroll v2"),
        None,
    )
    .await
    .unwrap();
    let err = items::update(
        &w.db,
        (&w.carol, "s"),
        (&item.id, item.version),
        &input("Payroll v3"),
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DomainError::Conflict(_)));
    let now = crate::db::items::find(w.db.pool(), &item.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.name, "Payroll v2");
}

#[tokio::test]
async fn a_requestable_item_keeps_at_least_one_step() {
    let w = World::new().await;
    let item = items::create(&w.db, &w.carol, &input("Jira"))
        .await
        .unwrap();
    let err = items::set_steps(
        &w.db,
        (&w.carol, "s"),
        (&item.id, item.version),
        (&[], &w.fallback.roles),
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DomainError::Invalid { field: "steps", .. }));
}

#[tokio::test]
async fn a_step_naming_a_group_nobody_is_in_is_flagged() {
    let w = World::new().await;
    let item = w
        .item(
            "Slack",
            &w.bob,
            &[
                Approver::Group {
                    group: "ghosts".into(),
                },
                Approver::Owner,
            ],
        )
        .await;
    let steps = items::steps_view(&w.db, &item.id).await.unwrap();
    assert!(steps[0].broken);
    assert!(!steps[1].broken);
}

#[tokio::test]
async fn turning_item_reauthentication_off_needs_the_admins_step_up() {
    let w = World::new().await;
    let item = w.item("Payroll", &w.bob, &[Approver::Owner]).await;
    let item = w.require_reauth(&item, 0).await;
    let before = w.audit_count().await;
    let err = items::set_reauth(
        &w.db,
        &w.carol,
        "s",
        (&item.id, item.version),
        crate::domain::items::ReauthRule {
            require: false,
            window_minutes: None,
        },
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DomainError::ReauthRequired { .. }));
    assert_eq!(w.audit_count().await, before, "nothing changed");
    let still = crate::db::items::find(w.db.pool(), &item.id)
        .await
        .unwrap()
        .unwrap();
    assert!(still.require_reauth);
}

#[tokio::test]
async fn reauthentication_cannot_be_turned_on_without_a_passed_provider_test() {
    let w = World::new().await;
    let settings = org::settings(&w.db, &w.carol, true).await.unwrap();
    let on = AccessRequestConfig {
        reauthorization_enabled: true,
        ..Default::default()
    };
    let err = org::save(
        &w.db,
        &w.carol,
        "s",
        &on,
        settings.version,
        false,
        None,
        &w.fallback,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        DomainError::Invalid {
            field: "reauthorizationEnabled",
            ..
        }
    ));
    let err = org::save(
        &w.db,
        &w.carol,
        "s",
        &on,
        settings.version,
        true,
        None,
        &w.fallback,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, DomainError::Invalid { message, .. } if message.contains("Test re-authentication")),
        "{err:?}"
    );
    assert!(!org::config(&w.db).await.unwrap().reauthorization_enabled);
}

#[tokio::test]
async fn a_window_out_of_range_is_refused() {
    let w = World::new().await;
    let settings = org::settings(&w.db, &w.carol, true).await.unwrap();
    let bad = AccessRequestConfig {
        default_reauth_window_minutes: 32_768,
        ..Default::default()
    };
    let err = org::save(
        &w.db,
        &w.carol,
        "s",
        &bad,
        settings.version,
        true,
        None,
        &w.fallback,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        DomainError::Invalid {
            field: "defaultReauthWindowMinutes",
            ..
        }
    ));
}

#[tokio::test]
async fn settings_are_for_admins_only() {
    let w = World::new().await;
    assert!(matches!(
        org::settings(&w.db, &w.alice, true).await.unwrap_err(),
        DomainError::Forbidden(_)
    ));
}

#[tokio::test]
async fn the_catalog_pages_by_name_and_searches() {
    let w = World::new().await;
    for name in ["Alpha", "Bravo", "Charlie", "Delta", "Echo"] {
        w.item(name, &w.bob, &[Approver::Owner]).await;
    }
    let first = items::list(&w.db, &w.alice, Default::default(), None, 2)
        .await
        .unwrap();
    let names: Vec<_> = first.rows.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["Alpha", "Bravo"]);
    let second = items::list(
        &w.db,
        &w.alice,
        Default::default(),
        first.next.as_deref(),
        2,
    )
    .await
    .unwrap();
    let names: Vec<_> = second.rows.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["Charlie", "Delta"]);
    let filter = crate::db::items::ItemFilter {
        search: Some("ARLI".into()),
        ..Default::default()
    };
    let found = items::list(&w.db, &w.alice, filter, None, 10)
        .await
        .unwrap();
    assert_eq!(found.rows.len(), 1);
    assert_eq!(found.rows[0].name, "Charlie");
    assert!(found.next.is_none());
}

#[tokio::test]
async fn the_admin_list_sorts_by_last_change_and_flags_steps_that_cannot_be_decided() {
    let w = World::new().await;
    let a = w.item("Alpha", &w.bob, &[Approver::Owner]).await;
    w.item(
        "Bravo",
        &w.bob,
        &[Approver::Group {
            group: "ghosts".into(),
        }],
    )
    .await;
    // Alpha changes last.
    sqlx::query("UPDATE access_items SET updated_at = updated_at + 100 WHERE id = $1")
        .bind(&a.id)
        .execute(w.db.pool())
        .await
        .unwrap();
    let filter = crate::db::items::ItemFilter {
        recent_first: true,
        ..Default::default()
    };
    let first = items::list(&w.db, &w.carol, filter.clone(), None, 1)
        .await
        .unwrap();
    assert_eq!(first.rows[0].name, "Alpha");
    assert!(!first.rows[0].needs_attention);
    let second = items::list(&w.db, &w.carol, filter, first.next.as_deref(), 1)
        .await
        .unwrap();
    assert_eq!(second.rows[0].name, "Bravo");
    assert!(second.rows[0].needs_attention, "a group nobody is in");
}
