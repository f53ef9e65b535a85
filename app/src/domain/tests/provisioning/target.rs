//! The Provisioning tab: the secret sealed and write-only, never audited; a
//! missing key refused clearly; a signed item's target changed only with a
//! fresh sign-in.

use super::{SECRET, World, runtime, send_to_webhook};
use crate::{
    db::provisioning as store,
    domain::{
        DomainError,
        provisioning::{
            Provisioning,
            target::{self as tab, TargetInput},
        },
    },
    types::ConnectorKind,
};

fn webhook(url: &str, secret: &str) -> TargetInput {
    TargetInput {
        connector: "webhook".into(),
        url: url.into(),
        secret: secret.into(),
        fulfillers_group: String::new(),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_secret_is_sealed_never_shown_and_never_audited() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    send_to_webhook(&w, &item, "https://hooks.example.com/countersign").await;

    let row = store::target(w.db.pool(), &item.id).await.unwrap().unwrap();
    let sealed = row.secret_sealed.clone().unwrap();
    assert!(!sealed.contains(SECRET));
    assert_eq!(
        runtime().key.unwrap().open(&item.id, &sealed).unwrap(),
        SECRET
    );
    let view = tab::view(&w.db, &runtime(), &w.carol, &item.id)
        .await
        .unwrap();
    assert_eq!(view.connector, ConnectorKind::Webhook);
    assert!(view.secret_set);
    assert!(!format!("{view:?}").contains(SECRET));
    let audited = w.audit_records("item.provisioning_changed").await;
    assert_eq!(audited.len(), 1);
    let details = audited[0].details.to_string();
    assert!(!details.contains(SECRET) && !details.contains(&sealed));
    assert_eq!(audited[0].details["after"]["secret_set"], true);

    // Saving again without a secret keeps it.
    let rt = runtime();
    let change = tab::check(&rt, &item.id, &webhook("https://hooks.example.com/v2", "")).unwrap();
    tab::save(
        &w.db,
        &rt,
        (&w.carol, "s"),
        (&item.id, view.version),
        &change,
        None,
    )
    .await
    .unwrap();
    let kept = store::target(w.db.pool(), &item.id).await.unwrap().unwrap();
    assert_eq!(kept.secret_sealed, Some(sealed));
}

#[tokio::test]
async fn without_a_key_a_secret_is_refused_with_a_clear_message_and_nothing_changes() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let keyless = Provisioning::new(None).unwrap();
    let refused = tab::check(
        &keyless,
        &item.id,
        &webhook("https://h.example.com/", SECRET),
    );
    match refused {
        Err(DomainError::Invalid { field, message }) => {
            assert_eq!(field, "secret");
            assert!(
                message.contains("COUNTERSIGN_SECRET_KEY is not set"),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(
        store::target(w.db.pool(), &item.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn bad_input_is_refused_by_field() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let rt = runtime();
    let field = |input: TargetInput| match tab::check(&rt, &item.id, &input) {
        Err(DomainError::Invalid { field, .. }) => field,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(field(webhook("http://hooks.example.com/", SECRET)), "url");
    assert_eq!(
        field(webhook("https://hooks.example.com/", "short")),
        "secret"
    );
    let mut unknown = webhook("https://h.example.com/", SECRET);
    unknown.connector = "kerberos".into();
    assert_eq!(field(unknown), "connector");
    // A webhook needs a secret the first time.
    let change = tab::check(&rt, &item.id, &webhook("https://h.example.com/", "")).unwrap();
    let saved = tab::save(&w.db, &rt, (&w.carol, "s"), (&item.id, 0), &change, None).await;
    assert!(matches!(
        saved,
        Err(DomainError::Invalid {
            field: "secret",
            ..
        })
    ));
    // Only administrators.
    let bob = tab::save(&w.db, &rt, (&w.bob, "s"), (&item.id, 0), &change, None).await;
    assert!(matches!(bob, Err(DomainError::Forbidden(_))));
    // A secret sealed for another item does not open here.
    let mut stolen = tab::check(
        &rt,
        "another-item",
        &webhook("https://h.example.com/", SECRET),
    )
    .unwrap();
    stolen.connector = ConnectorKind::Webhook;
    let saved = tab::save(&w.db, &rt, (&w.carol, "s"), (&item.id, 0), &stolen, None).await;
    assert!(matches!(
        saved,
        Err(DomainError::Invalid {
            field: "secret",
            ..
        })
    ));
}

#[tokio::test]
async fn pointing_a_signed_items_grants_elsewhere_needs_a_fresh_sign_in() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    w.require_reauth(&item, 5).await;
    let rt = runtime();
    let change = tab::check(&rt, &item.id, &webhook("https://evil.example.com/", SECRET)).unwrap();
    let asked = tab::save(
        &w.db,
        &rt,
        (&w.carol, "carol-session"),
        (&item.id, 0),
        &change,
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(asked, DomainError::ReauthRequired { .. }),
        "{asked:?}"
    );
    assert!(
        store::target(w.db.pool(), &item.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        w.audit_records("item.provisioning_changed")
            .await
            .is_empty()
    );
}
