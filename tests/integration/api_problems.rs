//! The JSON API's foundations: every error is an RFC 9457 problem document
//! with a stable `type`, a bad input changes nothing, and lists are paged by an
//! opaque cursor with a `next` link.

use app::{db::audit, types::Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

const TYPES: &str = "https://countersign.dev/problems/";

fn call(app: &TestApp, token: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token)
}

/// Asserts `response` is the problem `name` with `status`; returns the document.
async fn problem(response: reqwest::Response, status: StatusCode, name: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{name}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], format!("{TYPES}{name}"), "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_request_bodies_are_problems_and_create_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.new_browser();
    alice.sign_in("alice").await;
    app.new_browser().sign_in("bob").await;
    app.new_browser().sign_in("carol").await;
    let bob = app.person("bob", &[Role::Approver]).await;
    let item = app.item_approved_by("Payroll", &bob).await;
    let token = alice.create_token("alice", "ci").await;
    let before = audit::head(app.db.pool()).await.unwrap();
    let create = || call(&app, &token, Method::POST, "/api/v1/access-requests");

    let malformed = create()
        .header("content-type", "application/json")
        .body("{\"item_id\": ")
        .send()
        .await
        .unwrap();
    problem(malformed, StatusCode::BAD_REQUEST, "malformed-json").await;

    let unknown = create()
        .json(&json!({ "item_id": item.id, "justification": "Month end", "urgent": true }))
        .send()
        .await
        .unwrap();
    let body = problem(
        unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable-body",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("urgent"),
        "{body}"
    );

    let missing = create()
        .json(&json!({ "item_id": item.id }))
        .send()
        .await
        .unwrap();
    problem(
        missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable-body",
    )
    .await;

    let as_form = create()
        .form(&[("item_id", item.id.as_str())])
        .send()
        .await
        .unwrap();
    problem(
        as_form,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;

    let huge = json!({ "item_id": item.id, "justification": "x".repeat(100 * 1024) });
    let too_large = create().json(&huge).send().await.unwrap();
    problem(too_large, StatusCode::PAYLOAD_TOO_LARGE, "too-large").await;

    let empty_justification = create()
        .json(&json!({ "item_id": item.id, "justification": "" }))
        .send()
        .await
        .unwrap();
    let body = problem(
        empty_justification,
        StatusCode::BAD_REQUEST,
        "invalid-value",
    )
    .await;
    assert_eq!(body["field"], "justification", "{body}");

    assert_eq!(audit::head(app.db.pool()).await.unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_routes_and_methods_fail_as_problems() {
    let app = TestApp::spawn().await;
    let anonymous = reqwest::get(app.url("/api/v1/approvals")).await.unwrap();
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    problem(anonymous, StatusCode::UNAUTHORIZED, "invalid-token").await;

    let carol = app.new_browser();
    carol.sign_in("carol").await;
    let token = carol.create_token("carol", "ops").await;
    let nowhere = call(&app, &token, Method::GET, "/api/v1/no-such-thing")
        .send()
        .await
        .unwrap();
    problem(nowhere, StatusCode::NOT_FOUND, "not-found").await;
    let missing_item = call(&app, &token, Method::GET, "/api/v1/access-items/nope")
        .send()
        .await
        .unwrap();
    problem(missing_item, StatusCode::NOT_FOUND, "not-found").await;
    let wrong_method = call(&app, &token, Method::DELETE, "/api/v1/approvals")
        .send()
        .await
        .unwrap();
    assert!(wrong_method.headers().contains_key("allow"));
    problem(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;
    let alice = app.new_browser();
    alice.sign_in("alice").await;
    let requester = alice.create_token("alice", "mine").await;
    let forbidden = call(
        &app,
        &requester,
        Method::GET,
        "/api/v1/access-request-config",
    )
    .send()
    .await
    .unwrap();
    problem(forbidden, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_a_next_link_and_refuse_made_up_cursors() {
    let app = TestApp::spawn().await;
    let carol = app.new_browser();
    carol.sign_in("carol").await;
    app.new_browser().sign_in("bob").await;
    let bob = app.person("bob", &[Role::Approver]).await;
    for name in ["Alpha", "Bravo", "Charlie"] {
        app.item_approved_by(name, &bob).await;
    }
    let token = carol.create_token("carol", "ops").await;

    let first = call(&app, &token, Method::GET, "/api/v1/access-items?limit=2")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let link = first.headers()["link"].to_str().unwrap().to_owned();
    let first: Value = first.json().await.unwrap();
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&first), ["Alpha", "Bravo"]);
    let next = first["next"].as_str().unwrap();
    assert_eq!(link, format!("<{next}>; rel=\"next\""));

    let second = call(&app, &token, Method::GET, next).send().await.unwrap();
    assert_eq!(second.status(), StatusCode::OK);
    assert!(!second.headers().contains_key("link"));
    let second: Value = second.json().await.unwrap();
    assert_eq!(names(&second), ["Charlie"]);
    assert_eq!(second["next"], Value::Null);

    // A cursor of another list, a made-up one, an unknown parameter, a bad limit.
    let cursor = next.split("cursor=").nth(1).unwrap();
    for (path, name) in [
        (format!("/api/v1/approvals?cursor={cursor}"), "bad-cursor"),
        (
            "/api/v1/access-items?cursor=bm9wZQ".to_owned(),
            "bad-cursor",
        ),
        ("/api/v1/access-items?after=x".to_owned(), "bad-query"),
        ("/api/v1/access-items?limit=0".to_owned(), "bad-query"),
        ("/api/v1/access-items?kind=printer".to_owned(), "bad-query"),
    ] {
        let refused = call(&app, &token, Method::GET, &path).send().await.unwrap();
        problem(refused, StatusCode::BAD_REQUEST, name).await;
    }
}
