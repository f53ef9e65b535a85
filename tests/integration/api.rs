//! The JSON API with personal access tokens, and RFC 9470 for approvals that
//! must be e-signed.

use app::{
    db::tasks,
    types::{Role, TaskState},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Browser, TestApp};

async fn token_for(browser: &Browser, login: &str, name: &str) -> String {
    browser.create_token(login, name).await
}

fn api(app: &TestApp, token: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token)
}

/// An item approved by bob, alice's request for it, and bob's task id.
async fn pending_task(app: &TestApp, name: &str, reauth: bool) -> String {
    let bob = app.person("bob", &[Role::Approver]).await;
    let alice = app.person("alice", &[]).await;
    let mut item = app.item_approved_by(name, &bob).await;
    if reauth {
        app.turn_reauth_on().await;
        item = app.require_reauth(&item).await;
    }
    let (_, task) = app.pending_request(&alice, &item, "Needed").await;
    task
}

async fn people(app: &TestApp) -> (Browser, Browser, Browser) {
    let (carol, bob, alice) = (app.new_browser(), app.new_browser(), app.new_browser());
    carol.sign_in("carol").await;
    bob.sign_in("bob").await;
    alice.sign_in("alice").await;
    (carol, bob, alice)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_that_must_be_e_signed_answers_rfc_9470_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, bob, _) = people(&app).await;
    let task = pending_task(&app, "Payroll", true).await;
    let token = token_for(&bob, "bob", "ci").await;

    let response = api(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/approvals/{task}/decision"),
    )
    .json(&json!({ "decision": "approve", "comment": "ok" }))
    .send()
    .await
    .unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_user_authentication\""),
        "{challenge}"
    );
    assert!(challenge.contains("max_age=0"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["type"],
        "https://countersign.dev/problems/insufficient-user-authentication"
    );
    let state = tasks::find(app.db.pool(), &task)
        .await
        .unwrap()
        .unwrap()
        .state;
    assert_eq!(state, TaskState::Pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordinary_approval_works_with_a_token_and_a_denial_needs_a_comment() {
    let app = TestApp::spawn().await;
    let (_, bob, _) = people(&app).await;
    let task = pending_task(&app, "Slack", false).await;
    let token = token_for(&bob, "bob", "ci").await;

    let inbox: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/approvals")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["tasks"][0]["task_id"], task);

    let deny = api(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/approvals/{task}/decision"),
    )
    .json(&json!({ "decision": "deny" }))
    .send()
    .await
    .unwrap();
    assert_eq!(deny.status(), StatusCode::BAD_REQUEST);

    let approve = api(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/approvals/{task}/decision"),
    )
    .json(&json!({ "decision": "approve" }))
    .send()
    .await
    .unwrap();
    assert_eq!(approve.status(), StatusCode::OK);
    let again = api(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/approvals/{task}/decision"),
    )
    .json(&json!({ "decision": "approve" }))
    .send()
    .await
    .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_wrong_and_revoked_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let (_, bob, _) = people(&app).await;
    let none = reqwest::get(app.url("/api/v1/approvals")).await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );

    let token = token_for(&bob, "bob", "ci").await;
    let tampered = format!("{}x", &token[..token.len() - 1]);
    let wrong = api(&app, &tampered, reqwest::Method::GET, "/api/v1/approvals")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let id = token.split('_').nth(1).unwrap().to_owned();
    let revoke = bob
        .client
        .post(bob.url("/api/tokens/revoke"))
        .header("origin", bob.origin())
        .form(&[("id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::OK);
    let revoked = api(&app, &token, reqwest::Method::GET, "/api/v1/approvals")
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_is_read_and_written_by_admins_only() {
    let app = TestApp::spawn().await;
    let (carol, _, alice) = people(&app).await;
    let admin = token_for(&carol, "carol", "ops").await;
    let requester = token_for(&alice, "alice", "mine").await;

    let denied = api(
        &app,
        &requester,
        reqwest::Method::GET,
        "/api/v1/access-request-config",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);

    let got: Value = api(
        &app,
        &admin,
        reqwest::Method::GET,
        "/api/v1/access-request-config",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(got["config"]["reauthorizationEnabled"], false);
    assert_eq!(
        got["config"]["requestOnBehalfOfConfig"]["allowRequestOnBehalfOfAnyoneByAnyone"],
        false
    );

    let mut config = got["config"].clone();
    // Weakening a control (auto-approval on) needs a fresh sign-in: RFC 9470.
    config["autoApprovalEnabled"] = json!(true);
    let weaker = api(
        &app,
        &admin,
        reqwest::Method::PUT,
        "/api/v1/access-request-config",
    )
    .json(&json!({ "config": config, "version": got["version"] }))
    .send()
    .await
    .unwrap();
    assert_eq!(weaker.status(), StatusCode::UNAUTHORIZED);
    let challenge = weaker
        .headers()
        .get("www-authenticate")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        challenge.contains("insufficient_user_authentication"),
        "{challenge}"
    );
    config["autoApprovalEnabled"] = json!(false);
    config["requestOnBehalfOfConfig"]["allowRequestOnBehalfOfAnyoneByAnyone"] = json!(true);
    let put = api(
        &app,
        &admin,
        reqwest::Method::PUT,
        "/api/v1/access-request-config",
    )
    .json(&json!({ "config": config, "version": got["version"] }))
    .send()
    .await
    .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let stale = api(
        &app,
        &admin,
        reqwest::Method::PUT,
        "/api/v1/access-request-config",
    )
    .json(&json!({ "config": config, "version": got["version"] }))
    .send()
    .await
    .unwrap();
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    config["reauthorizationEnabled"] = json!(true);
    let refused = api(
        &app,
        &admin,
        reqwest::Method::PUT,
        "/api/v1/access-request-config",
    )
    .json(&json!({ "config": config, "version": 1 }))
    .send()
    .await
    .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::BAD_REQUEST,
        "not before the live provider test"
    );
    assert_eq!(
        api(&app, &admin, reqwest::Method::GET, "/api/v1/openapi.json")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_changes_only_from_the_version_if_match_names() {
    let app = TestApp::spawn().await;
    let (carol, _, _) = people(&app).await;
    let admin = token_for(&carol, "carol", "ops").await;
    let path = "/api/v1/access-request-config";
    let read = api(&app, &admin, reqwest::Method::GET, path)
        .send()
        .await
        .unwrap();
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    let read: Value = read.json().await.unwrap();
    assert_eq!(
        etag,
        format!("\"{}\"", read["version"]),
        "the ETag is the version"
    );
    let mut config = read["config"].clone();
    config["requestOnBehalfOfConfig"]["allowRequestOnBehalfOfAnyoneByAnyone"] = json!(true);
    let put = |if_match: Option<&str>| {
        let request =
            api(&app, &admin, reqwest::Method::PUT, path).json(&json!({ "config": config }));
        match if_match {
            Some(value) => request.header("if-match", value),
            None => request,
        }
        .send()
    };
    let version_now = || async {
        app::db::org_config::load(app.db.pool())
            .await
            .unwrap()
            .version
    };
    let problem = |response: reqwest::Response| async move {
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        (status, body["type"].as_str().unwrap_or_default().to_owned())
    };
    let before = version_now().await;

    // Without a version, or naming none: 428, nothing changes.
    for if_match in [None, Some("*"), Some("\"1\", \"2\""), Some("7")] {
        let (status, kind) = problem(put(if_match).await.unwrap()).await;
        assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{if_match:?}");
        assert!(kind.ends_with("/precondition-required"), "{kind}");
        assert_eq!(version_now().await, before, "{if_match:?}");
    }
    // A version that is not the current one: 412, nothing changes.
    let (status, kind) = problem(put(Some(&format!("\"{}\"", before + 5))).await.unwrap()).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert!(kind.ends_with("/precondition-failed"), "{kind}");
    assert_eq!(version_now().await, before);

    // The current one: saved, and the new version is the answer's ETag.
    let saved = put(Some(&etag)).await.unwrap();
    assert_eq!(saved.status(), StatusCode::OK);
    assert_eq!(
        saved.headers()["etag"],
        format!("\"{}\"", before + 1).as_str()
    );
    assert_eq!(version_now().await, before + 1);
    // The same If-Match again is stale now.
    let (status, _) = problem(put(Some(&etag)).await.unwrap()).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(version_now().await, before + 1);
}
