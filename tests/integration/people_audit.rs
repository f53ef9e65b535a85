//! The people side of the audit trail, through the real provider: signing in and
//! out, groups (and so roles) changing at the provider, personal access tokens.

use app::{
    db::audit::{AuditFilter, list},
    types::AuditRecord,
};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Browser, TestApp};

/// The records of `action`, oldest first.
async fn records(app: &TestApp, action: &str) -> Vec<AuditRecord> {
    let filter = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    let mut found = list(app.db.pool(), &filter, None, 100).await.unwrap();
    found.reverse();
    found
}

async fn user_id(app: &TestApp, login: &str) -> String {
    app.person(login, &[]).await.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_is_audited() {
    let app = TestApp::builder().signed_in_as("alice").spawn().await;

    let signed_in = records(&app, "user.signed_in").await;
    assert_eq!(signed_in.len(), 1);
    let record = &signed_in[0];
    assert_eq!(record.actor_subject.as_deref(), Some("alice"));
    assert_eq!(record.actor_issuer, Some(app.issuer()));
    assert_eq!(record.target_id, user_id(&app, "alice").await);
    assert_eq!(record.details["first_sign_in"], true);
    assert_eq!(record.details["groups"], json!(["staff"]));
    assert!(records(&app, "user.roles_changed").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_changed_at_the_provider_are_audited_at_the_next_sign_in() {
    let mut app = TestApp::builder().signed_in_as("alice").spawn().await;
    app.new_browser().sign_in("alice").await;
    assert!(
        records(&app, "user.roles_changed").await.is_empty(),
        "the same groups again are no change"
    );

    // The organisation moves alice from staff to the approvers.
    let port = app.stop_provider().await;
    app.start_provider(
        port,
        &[("IDP_GROUPS", r#"{"alice": ["countersign-approvers"]}"#)],
    )
    .await;
    app.new_browser().sign_in("alice").await;

    let changed = records(&app, "user.roles_changed").await;
    assert_eq!(changed.len(), 1);
    let details = &changed[0].details;
    assert_eq!(details["groups_before"], json!(["staff"]));
    assert_eq!(details["groups_after"], json!(["countersign-approvers"]));
    assert_eq!(details["added"], json!(["countersign-approvers"]));
    assert_eq!(details["removed"], json!(["staff"]));
    assert_eq!(details["roles_before"], json!(["requester"]));
    assert_eq!(details["roles_after"], json!(["requester", "approver"]));
    assert_eq!(changed[0].actor_subject.as_deref(), Some("alice"));
    assert_eq!(records(&app, "user.signed_in").await.len(), 3);
}

async fn sign_out(browser: &Browser) -> StatusCode {
    browser
        .client
        .post(browser.url("/auth/logout"))
        .header("origin", browser.origin())
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_is_audited() {
    let app = TestApp::builder().signed_in_as("bob").spawn().await;

    assert_eq!(sign_out(&app).await, StatusCode::SEE_OTHER);

    let signed_out = records(&app, "user.signed_out").await;
    assert_eq!(signed_out.len(), 1);
    assert_eq!(signed_out[0].actor_subject.as_deref(), Some("bob"));
    assert_eq!(signed_out[0].target_id, user_id(&app, "bob").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_and_revoking_a_personal_access_token_is_audited() {
    let app = TestApp::builder().signed_in_as("bob").spawn().await;
    let call = |path: &'static str, form: Vec<(&'static str, String)>| {
        app.client
            .post(app.url(path))
            .header("origin", app.origin())
            .form(&form)
            .send()
    };

    let token = app.create_token("bob", "CI").await;
    let id = token.split('_').nth(1).unwrap().to_owned();
    let revoked = call("/api/tokens/revoke", vec![("id", id.clone())])
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);

    for action in ["token.created", "token.revoked"] {
        let found = records(&app, action).await;
        assert_eq!(found.len(), 1, "{action}");
        assert_eq!(found[0].target_id, id, "{action}");
        assert_eq!(found[0].actor_subject.as_deref(), Some("bob"), "{action}");
    }
    assert!(
        !records(&app, "token.created").await[0]
            .details
            .to_string()
            .contains(&token),
        "the secret is not in the trail"
    );
}
