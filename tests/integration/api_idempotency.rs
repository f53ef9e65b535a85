//! `Idempotency-Key` on creating a request and deciding a task: a retry gets
//! the first answer, another body with the same key is refused, and two calls
//! racing with one key make one request.

use app::types::{AccessItem, Role, Scope};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

struct Answer {
    status: StatusCode,
    replayed: bool,
    body: Value,
}

async fn post(app: &TestApp, token: &str, path: &str, key: &str, body: &Value) -> Answer {
    let response = reqwest::Client::new()
        .request(Method::POST, app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let body = response.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        replayed,
        body,
    }
}

async fn requests_made(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_requests")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    n
}

/// alice's and bob's tokens and an item bob approves.
async fn arranged(app: &TestApp) -> (String, String, AccessItem) {
    for login in ["alice", "bob", "carol"] {
        app.new_browser().sign_in(login).await;
    }
    let alice = app.person("alice", &[]).await;
    let bob = app.person("bob", &[Role::Approver]).await;
    let item = app.item_approved_by("Payroll", &bob).await;
    let alice_token = app.token(&alice, &[Scope::Request]).await;
    let bob_token = app.token(&bob, &[Scope::Request, Scope::Approve]).await;
    (alice_token, bob_token, item)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_request_gets_the_first_answer_and_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let (alice, bob, item) = arranged(&app).await;
    let path = "/api/v1/access-requests";
    let body = json!({ "item_id": item.id, "justification": "Month end" });

    let first = post(&app, &alice, path, "retry-1", &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(!first.replayed);
    // The same call again (the answer was lost): the same answer, no new request.
    let again = post(&app, &alice, path, "retry-1", &body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    assert_eq!(requests_made(&app).await, 1);

    // The same key with another body: refused, nothing made.
    let other = json!({ "item_id": item.id, "justification": "Something else" });
    let refused = post(&app, &alice, path, "retry-1", &other).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.body["type"],
        "https://countersign.dev/problems/idempotency-key-reused"
    );
    assert_eq!(requests_made(&app).await, 1);

    // Another caller's same key is theirs: bob's request is made.
    let bobs = post(&app, &bob, path, "retry-1", &body).await;
    assert_eq!(bobs.status, StatusCode::CREATED, "{}", bobs.body);
    assert!(!bobs.replayed);
    assert_ne!(bobs.body["id"], first.body["id"]);
    assert_eq!(requests_made(&app).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_call_keeps_no_answer_and_a_bad_key_is_refused() {
    let app = TestApp::spawn().await;
    let (alice, _, item) = arranged(&app).await;
    let path = "/api/v1/access-requests";
    let body = json!({ "item_id": item.id, "justification": " " });
    let failed = post(&app, &alice, path, "k-2", &body).await;
    assert_eq!(failed.status, StatusCode::BAD_REQUEST, "{}", failed.body);
    // Nothing was kept: the same call fails the same way, not replayed.
    let again = post(&app, &alice, path, "k-2", &body).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(!again.replayed);

    let long = "k".repeat(256);
    let body = json!({ "item_id": item.id, "justification": "Month end" });
    let refused = post(&app, &alice, path, &long, &body).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(requests_made(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_calls_racing_with_one_key_make_one_request() {
    let app = TestApp::spawn().await;
    let (alice, _, item) = arranged(&app).await;
    let path = "/api/v1/access-requests";
    let body = json!({ "item_id": item.id, "justification": "Month end" });
    let (one, two) = tokio::join!(
        post(&app, &alice, path, "race", &body),
        post(&app, &alice, path, "race", &body)
    );
    assert_eq!(requests_made(&app).await, 1);
    let (first, second) = if one.replayed || one.status != StatusCode::CREATED {
        (two, one)
    } else {
        (one, two)
    };
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(!first.replayed);
    // The other heard the first answer, or that it was still under way; never
    // "already pending", which a second run of the call would have said.
    match second.status {
        StatusCode::CREATED => {
            assert!(second.replayed);
            assert_eq!(second.body, first.body);
        }
        StatusCode::CONFLICT => assert!(
            second.body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("still under way")),
            "{}",
            second.body
        ),
        other => panic!("unexpected {other}: {}", second.body),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_decision_gets_the_first_answer() {
    let app = TestApp::spawn().await;
    let (_, bob, item) = arranged(&app).await;
    let alice = app.person("alice", &[]).await;
    let (_, task) = app.pending_request(&alice, &item, "Needed").await;
    let path = format!("/api/v1/approvals/{task}/decision");
    let body = json!({ "decision": "approve", "comment": "ok" });
    let first = post(&app, &bob, &path, "decide-1", &body).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = post(&app, &bob, &path, "decide-1", &body).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    // The same key with another decision is refused.
    let deny = json!({ "decision": "deny", "comment": "no" });
    let refused = post(&app, &bob, &path, "decide-1", &deny).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
}
