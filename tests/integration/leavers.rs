//! The directory's changes as the running app lives them (issue 16): a person
//! who leaves loses everything at once; a role follows group membership on the
//! very next call (server functions, API, inbox); a manager step follows the
//! manager the directory sets; a manager requests for their reports.

use app::{
    db::{groups, org_config, tasks},
    domain::{audit::AuditActor, identity},
    types::{
        AccessItem, AccessRequestConfig, Approver, CurrentUser, RequestOnBehalfOfConfig, Role,
    },
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Browser, TestApp};

fn api(app: &TestApp, token: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token)
}

async fn signed_in(app: &TestApp, login: &str) -> Browser {
    let browser = app.new_browser();
    browser.sign_in(login).await;
    browser
}

/// The pending approval tasks the token's owner sees through the API.
async fn approvals(app: &TestApp, token: &str) -> (StatusCode, Vec<String>) {
    let response = api(app, token, reqwest::Method::GET, "/api/v1/approvals")
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let ids = body["tasks"]
        .as_array()
        .map(|tasks| {
            tasks
                .iter()
                .filter_map(|t| t["task_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (status, ids)
}

/// An item carol owns with these steps.
async fn item_with(app: &TestApp, name: &str, steps: &[Approver]) -> AccessItem {
    let carol = app.person("carol", &[Role::Admin]).await;
    app.item_owned_by(&carol, name, steps).await
}

/// The directory sets `who`'s manager.
async fn set_manager(app: &TestApp, who: &CurrentUser, manager: &CurrentUser) {
    let mut tx = app.db.write_tx().await.unwrap();
    identity::set_manager(
        &mut tx,
        &who.id,
        Some(&manager.id),
        AuditActor::System,
        &app.fallback,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaver_with_a_session_a_token_a_request_and_a_task_loses_them_all_at_once() {
    let app = TestApp::spawn().await;
    let bob_browser = signed_in(&app, "bob").await;
    let _ = (
        signed_in(&app, "alice").await,
        signed_in(&app, "carol").await,
    );
    let _ = signed_in(&app, "dave").await;
    let token = bob_browser.create_token("bob", "ci").await;
    let (alice, bob) = (
        app.person("alice", &[]).await,
        app.person("bob", &[Role::Approver]).await,
    );
    let dave = app.person("dave", &[Role::Approver]).await;
    let payroll = app.item_approved_by("Payroll", &bob).await;
    let (alices, bobs_task) = app.pending_request(&alice, &payroll, "Month-end").await;
    let ledger = app.item_approved_by("Ledger", &dave).await;
    let (bobs, _) = app.pending_request(&bob, &ledger, "Audit prep").await;
    assert_eq!(
        approvals(&app, &token).await,
        (StatusCode::OK, vec![bobs_task.clone()])
    );

    let mut tx = app.db.write_tx().await.unwrap();
    let left = identity::leave(&mut tx, &bob.id, AuditActor::System, &app.fallback)
        .await
        .unwrap()
        .expect("bob leaves");
    tx.commit().await.unwrap();

    assert_eq!((left.ended.sessions, left.ended.tokens), (1, 1));
    assert_eq!(left.requests_cancelled, vec![bobs.clone()]);
    assert_eq!(left.tasks_moved, vec![bobs_task.clone()]);
    // Each is audited, in the same transaction.
    let audited: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, target_id FROM audit_log \
         WHERE action IN ('request.cancelled', 'approval.reassigned', 'user.left') ORDER BY seq",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    for expected in [
        ("request.cancelled", &bobs),
        ("approval.reassigned", &bobs_task),
        ("user.left", &bob.id),
    ] {
        assert!(
            audited
                .iter()
                .any(|(action, target)| action == expected.0 && target == expected.1),
            "{expected:?} in {audited:?}"
        );
    }
    // His browser is signed out: pages send him to sign in, server functions refuse.
    let page = bob_browser.get("/inbox").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    let (status, _) = bob_browser.server_fn("/api/inbox/list", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // His token is refused.
    assert_eq!(approvals(&app, &token).await.0, StatusCode::UNAUTHORIZED);
    // He cannot sign in again.
    let again = app.new_browser();
    let callback = again
        .callback_for("bob", crate::idp::PASSWORD)
        .await
        .unwrap();
    let answer = again.client.get(&callback).send().await.unwrap();
    assert_ne!(answer.status(), StatusCode::SEE_OTHER, "no session made");
    assert_eq!(again.get("/inbox").await.status(), StatusCode::SEE_OTHER);
    // His task waits for the item's owner, carol.
    let carol = app.person("carol", &[]).await;
    let pending: Vec<_> = tasks::of_request(app.db.pool(), &alices)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.state == app::types::TaskState::Pending)
        .collect();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].approver_user_id.as_deref(),
        Some(carol.id.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_follows_group_membership_on_the_next_call() {
    let app = TestApp::spawn().await;
    let bob_browser = signed_in(&app, "bob").await;
    let carol_browser = signed_in(&app, "carol").await;
    let _ = signed_in(&app, "alice").await;
    let bob_token = bob_browser.create_token("bob", "ci").await;
    let carol_token = carol_browser.create_token("carol", "ci").await;
    let (alice, bob) = (app.person("alice", &[]).await, app.person("bob", &[]).await);
    let carol = app.person("carol", &[]).await;
    let group_item = item_with(
        &app,
        "Reports",
        &[Approver::Group {
            group: "countersign-approvers".into(),
        }],
    )
    .await;
    let (_, group_task) = app.pending_request(&alice, &group_item, "Quarterly").await;
    let named_item = app.item_approved_by("Payroll", &bob).await;
    let (_, named_task) = app.pending_request(&alice, &named_item, "Payday").await;
    let (_, before) = approvals(&app, &bob_token).await;
    assert!(before.contains(&group_task) && before.contains(&named_task));
    let edit_view = "/api/items/edit_view";
    let id = named_item.id.clone();
    assert_eq!(
        carol_browser.server_fn(edit_view, &[("id", &id)]).await.0,
        StatusCode::OK
    );

    // The directory takes bob out of the approvers and carol out of the admins.
    let mut tx = app.db.write_tx().await.unwrap();
    for who in [&bob, &carol] {
        groups::set_memberships_by_name(&mut tx, &who.id, &["staff".to_string()], 1)
            .await
            .unwrap();
        groups::sync_cached_groups(&mut tx, &who.id).await.unwrap();
    }
    tx.commit().await.unwrap();

    // Same sign-in, same token: the inbox no longer shows the group's task...
    let (status, after) = approvals(&app, &bob_token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!after.contains(&group_task), "{after:?}");
    let (_, listed) = bob_browser.server_fn("/api/inbox/list", &[]).await;
    assert!(!listed.to_string().contains(&group_task), "{listed}");
    // ...and neither it nor his named task can be decided without the role.
    for task in [&group_task, &named_task] {
        let decide = api(
            &app,
            &bob_token,
            reqwest::Method::POST,
            &format!("/api/v1/approvals/{task}/decision"),
        )
        .json(&json!({ "decision": "approve" }))
        .send()
        .await
        .unwrap();
        assert_eq!(decide.status(), StatusCode::FORBIDDEN, "{task}");
        let (status, _) = bob_browser
            .server_fn(
                "/api/inbox/decide",
                &[
                    ("task_ids[0]", task),
                    ("decision", "approve"),
                    ("comment", "ok"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{task}");
    }
    // carol is no administrator any more: not in the browser, not through the API.
    assert_eq!(
        carol_browser.server_fn(edit_view, &[("id", &id)]).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        carol_browser.get("/admin/items").await.status(),
        StatusCode::FORBIDDEN
    );
    let config = api(
        &app,
        &carol_token,
        reqwest::Method::GET,
        "/api/v1/access-request-config",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(config.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_step_follows_the_manager_the_directory_sets() {
    let app = TestApp::spawn().await;
    let bob_browser = signed_in(&app, "bob").await;
    let dave_browser = signed_in(&app, "dave").await;
    let carol_browser = signed_in(&app, "carol").await;
    let _ = signed_in(&app, "alice").await;
    let bob_token = bob_browser.create_token("bob", "ci").await;
    let dave_token = dave_browser.create_token("dave", "ci").await;
    let carol_token = carol_browser.create_token("carol", "ci").await;
    let (alice, bob, dave) = (
        app.person("alice", &[]).await,
        app.person("bob", &[]).await,
        app.person("dave", &[]).await,
    );
    set_manager(&app, &alice, &bob).await;
    let item = item_with(&app, "Payroll", &[Approver::Manager]).await;
    // The API shows the step.
    let shown: Value = api(
        &app,
        &carol_token,
        reqwest::Method::GET,
        &format!("/api/v1/access-items/{}", item.id),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        shown["approval_steps"][0]["approver"],
        json!({ "type": "manager" })
    );
    assert_eq!(
        shown["approval_steps"][0]["label"],
        "The beneficiary's manager"
    );
    let (_, task) = app.pending_request(&alice, &item, "Month-end").await;
    assert_eq!(approvals(&app, &bob_token).await.1, vec![task.clone()]);
    assert!(approvals(&app, &dave_token).await.1.is_empty());

    set_manager(&app, &alice, &dave).await;

    assert!(
        approvals(&app, &bob_token).await.1.is_empty(),
        "bob is no longer her manager"
    );
    let moved = approvals(&app, &dave_token).await.1;
    assert_eq!(moved.len(), 1);
    let decide = api(
        &app,
        &dave_token,
        reqwest::Method::POST,
        &format!("/api/v1/approvals/{}/decision", moved[0]),
    )
    .json(&json!({ "decision": "approve" }))
    .send()
    .await
    .unwrap();
    assert_eq!(decide.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_requests_for_their_direct_reports_and_nobody_else() {
    let app = TestApp::spawn().await;
    let bob_browser = signed_in(&app, "bob").await;
    let _ = (
        signed_in(&app, "alice").await,
        signed_in(&app, "dave").await,
    );
    let _ = signed_in(&app, "carol").await;
    let token = bob_browser.create_token("bob", "ci").await;
    let (alice, bob, dave) = (
        app.person("alice", &[]).await,
        app.person("bob", &[]).await,
        app.person("dave", &[]).await,
    );
    set_manager(&app, &alice, &bob).await;
    let carol = app.person("carol", &[]).await;
    let managers_only = AccessRequestConfig {
        request_on_behalf_of_config: RequestOnBehalfOfConfig {
            allow_request_on_behalf_of_employee_by_manager: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut tx = app.db.write_tx().await.unwrap();
    let stored = org_config::load(&mut *tx).await.unwrap();
    org_config::save(&mut tx, &managers_only, stored.version, &carol.id, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let item = app.item_approved_by("Payroll", &dave).await;
    let ask = |for_user: &str| {
        api(
            &app,
            &token,
            reqwest::Method::POST,
            "/api/v1/access-requests",
        )
        .json(&json!({
            "item_id": item.id,
            "justification": "Joins the close team",
            "for_user_id": for_user,
        }))
    };

    let for_report = ask(&alice.id).send().await.unwrap();
    assert_eq!(for_report.status(), StatusCode::CREATED);
    let made: Value = for_report.json().await.unwrap();
    assert_eq!(made["beneficiary_name"], "Alice Example");

    let for_other = ask(&dave.id).send().await.unwrap();
    assert_eq!(for_other.status(), StatusCode::BAD_REQUEST);
    let refused: Value = for_other.json().await.unwrap();
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("does not report to you"),
        "{refused}"
    );
}
