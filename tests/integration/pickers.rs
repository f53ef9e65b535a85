//! The people pickers over HTTP: the server offers only the people a purpose
//! allows, and refuses a forged id of anybody else, for each purpose (item
//! owner, named approver, reassignment, on behalf of), changing nothing.

use app::{
    db::{items, org_config, requests, tasks},
    domain::{audit::AuditActor, identity},
    types::{AccessRequestConfig, Approver, RequestKind, RequestOnBehalfOfConfig, Role, TaskState},
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Browser, TestApp};

/// The names on the page a picker's search answers.
async fn offered(browser: &Browser, form: &[(&str, &str)]) -> (StatusCode, Vec<String>) {
    let (status, body) = browser.server_fn("/api/people/find", form).await;
    let names = body["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (status, names)
}

/// `login`, who signed in once, leaves the organisation.
async fn leaves(app: &TestApp, login: &str) -> String {
    let who = app.person(login, &[]).await;
    let mut tx = app.db.write_tx().await.unwrap();
    identity::leave(&mut tx, &who.id, AuditActor::System, &app.fallback)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    who.id
}

async fn configure(app: &TestApp, config: AccessRequestConfig) {
    let carol = app.person("carol", &[Role::Admin]).await;
    let mut tx = app.db.write_tx().await.unwrap();
    let stored = org_config::load(&mut *tx).await.unwrap();
    org_config::save(&mut tx, &config, stored.version, &carol.id, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_owner_who_left_is_refused() {
    let app = TestApp::builder().signed_in_as("carol").spawn().await;
    app.new_browser().sign_in("erin").await;
    let erin = leaves(&app, "erin").await;
    let (_, found) = offered(&app, &[("purpose", "owner"), ("query", "erin")]).await;
    assert!(found.is_empty(), "a leaver is never offered: {found:?}");

    let (status, body) = app
        .server_fn(
            "/api/items/create",
            &[
                ("item[kind]", "application"),
                ("item[name]", "Payroll"),
                ("item[owner_id]", &erin),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["Field"]["field"], "owner", "{body}");
    assert_eq!(
        items::count(app.db.pool()).await.unwrap(),
        0,
        "nothing made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_named_approver_without_the_approver_role_is_refused() {
    let app = TestApp::builder().signed_in_as("carol").spawn().await;
    app.new_browser().sign_in("alice").await;
    app.new_browser().sign_in("bob").await;
    let (status, found) = offered(&app, &[("purpose", "approver"), ("query", "example")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found, ["Bob Example"], "approvers only");

    let bob = app.person("bob", &[Role::Approver]).await;
    let alice = app.person("alice", &[]).await;
    let item = app.item_approved_by("Payroll", &bob).await;
    let forged = serde_json::to_string(&[Approver::User {
        user_id: alice.id.clone(),
    }])
    .unwrap();
    let version = item.version.to_string();
    let (status, body) = app
        .server_fn(
            "/api/items/steps",
            &[("id", &item.id), ("version", &version), ("steps", &forged)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let steps = items::steps(app.db.pool(), &item.id).await.unwrap();
    assert_eq!(steps, vec![Approver::User { user_id: bob.id }], "unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_reassignment_to_someone_who_cannot_approve_is_refused() {
    let app = TestApp::builder().signed_in_as("bob").spawn().await;
    app.new_browser().sign_in("carol").await;
    app.new_browser().sign_in("alice").await;
    app.new_browser().sign_in("dave").await;
    app.new_browser().sign_in("erin").await;
    let bob = app.person("bob", &[Role::Approver]).await;
    let alice = app.person("alice", &[]).await;
    let item = app.item_approved_by("Payroll", &bob).await;
    let (_, task) = app.pending_request(&alice, &item, "Month-end close").await;
    let (status, found) = offered(
        &app,
        &[
            ("purpose", "reassignment"),
            ("task_id", &task),
            ("query", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        found,
        ["Dave Example"],
        "approvers, not bob, not the requester"
    );

    let erin = app.person("erin", &[]).await;
    for to in [&erin.id, &alice.id, &leaves(&app, "dave").await] {
        let (status, body) = app
            .server_fn(
                "/api/inbox/reassign",
                &[
                    ("task_id", &task),
                    ("to_user_id", to),
                    ("comment", "Please"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["Field"]["field"], "to", "{body}");
    }
    let task = tasks::find(app.db.pool(), &task).await.unwrap().unwrap();
    assert_eq!(task.state, TaskState::Pending, "still bob's to decide");
    assert_eq!(task.approver_user_id.as_deref(), Some(bob.id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_request_for_someone_not_a_direct_report_is_refused() {
    let app = TestApp::builder().signed_in_as("alice").spawn().await;
    app.new_browser().sign_in("carol").await;
    app.new_browser().sign_in("bob").await;
    app.new_browser().sign_in("erin").await;
    let alice = app.person("alice", &[]).await;
    let bob = app.person("bob", &[]).await;
    let mut tx = app.db.write_tx().await.unwrap();
    identity::set_manager(
        &mut tx,
        &bob.id,
        Some(&alice.id),
        AuditActor::System,
        &app.fallback,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    configure(
        &app,
        AccessRequestConfig {
            request_on_behalf_of_config: RequestOnBehalfOfConfig {
                allow_request_on_behalf_of_employee_by_manager: true,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    let (_, found) = offered(&app, &[("purpose", "on_behalf"), ("query", "")]).await;
    assert_eq!(found, ["Bob Example"], "alice's direct reports only");

    let approver = app.person("bob", &[Role::Approver]).await;
    let item = app.item_approved_by("Payroll", &approver).await;
    let erin = app.person("erin", &[]).await;
    let (status, body) = app
        .server_fn(
            "/api/requests/create",
            &[
                ("item_id", &item.id),
                ("justification", "For the audit"),
                ("end_date", ""),
                ("for_user_id", &erin.id),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["Field"]["field"], "for_user_id", "{body}");
    let made = requests::pending_for(app.db.pool(), &erin.id, &item.id, RequestKind::Grant)
        .await
        .unwrap();
    assert_eq!(made, None, "no request was made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looking_people_up_needs_the_purposes_role() {
    let app = TestApp::builder().signed_in_as("alice").spawn().await;
    for purpose in ["owner", "approver", "audit_actor"] {
        let (status, found) = offered(&app, &[("purpose", purpose), ("query", "")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{purpose}");
        assert!(found.is_empty());
    }
    let (status, body): (StatusCode, Value) = app
        .server_fn(
            "/api/people/find",
            &[("purpose", "everyone"), ("query", "")],
        )
        .await;
    assert!(!status.is_success(), "an unknown purpose: {status} {body}");
}
