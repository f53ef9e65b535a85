//! Token scopes: every route needs the scope its OpenAPI operation names, and a
//! token does at most what its scopes allow and its owner may do now.

use app::{
    db::{groups, org_config, tasks},
    types::{Role, Scope, TaskState},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::TestApp;

fn api(app: &TestApp, token: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token)
}

/// The problem `type`'s last segment, or "" when the answer is no problem.
async fn problem_of(response: reqwest::Response) -> (StatusCode, String, String) {
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let kind = body["type"]
        .as_str()
        .and_then(|t| t.rsplit('/').next())
        .unwrap_or_default()
        .to_owned();
    (status, kind, challenge)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_needs_the_scope_its_document_names() {
    let app = TestApp::spawn().await;
    app.new_browser().sign_in("carol").await;
    let carol = app.person("carol", &[Role::Admin]).await;
    let mut only = Vec::new();
    let mut all_but = Vec::new();
    for scope in Scope::ALL {
        only.push(app.token(&carol, &[scope]).await);
        let others: Vec<Scope> = Scope::ALL.into_iter().filter(|s| *s != scope).collect();
        all_but.push(app.token(&carol, &others).await);
    }
    let index = |scope: Scope| Scope::ALL.iter().position(|s| *s == scope).unwrap();

    let document: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let Some(scopes) = operation["security"][0]["token"].as_array() else {
                assert_eq!(
                    path, "/api/v1/openapi.json",
                    "{method} {path} names no scope"
                );
                continue;
            };
            assert_eq!(scopes.len(), 1, "{method} {path}: one scope each");
            let needed: Scope = scopes[0].as_str().unwrap().parse().unwrap();
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let url = path.replace('{', "x").replace('}', "");
            let send = |token: &str| {
                api(&app, token, method.clone(), &url)
                    .header("content-type", "application/json")
                    .body("{}")
                    .send()
            };

            let (status, kind, challenge) =
                problem_of(send(&all_but[index(needed)]).await.unwrap()).await;
            assert_eq!(
                (status, kind.as_str()),
                (StatusCode::FORBIDDEN, "insufficient-scope"),
                "{method} {path} without {needed:?}"
            );
            assert_eq!(challenge, "Bearer error=\"insufficient_scope\"");

            let (status, kind, _) = problem_of(send(&only[index(needed)]).await.unwrap()).await;
            assert_ne!(
                kind, "insufficient-scope",
                "{method} {path} with only {needed:?}: {status}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "{checked} operations");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_the_scope_changes_nothing() {
    let app = TestApp::spawn().await;
    for login in ["alice", "bob", "carol"] {
        app.new_browser().sign_in(login).await;
    }
    let alice = app.person("alice", &[]).await;
    let bob = app.person("bob", &[Role::Approver]).await;
    let item = app.item_approved_by("Payroll", &bob).await;
    let (_, task) = app.pending_request(&alice, &item, "Needed").await;
    let alice_reads = app.token(&alice, &[Scope::Read, Scope::Approve]).await;
    let bob_reads = app.token(&bob, &[Scope::Read, Scope::Request]).await;

    let (status, kind, _) = problem_of(
        api(&app, &alice_reads, Method::POST, "/api/v1/access-requests")
            .json(&json!({ "item_id": item.id, "justification": "Again" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::FORBIDDEN, "insufficient-scope")
    );
    let (requests,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_requests")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(requests, 1, "no second request");

    let (status, kind, _) = problem_of(
        api(
            &app,
            &bob_reads,
            Method::POST,
            &format!("/api/v1/approvals/{task}/decision"),
        )
        .json(&json!({ "decision": "approve", "comment": "ok" }))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::FORBIDDEN, "insufficient-scope")
    );
    let still = tasks::find(app.db.pool(), &task).await.unwrap().unwrap();
    assert_eq!(still.state, TaskState::Pending);

    // The same token reads what its owner may read.
    let response = api(&app, &bob_reads, Method::GET, "/api/v1/approvals")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_token_stops_working_when_its_owner_is_no_longer_an_admin() {
    let app = TestApp::spawn().await;
    app.new_browser().sign_in("carol").await;
    let carol = app.person("carol", &[Role::Admin]).await;
    let token = app.token(&carol, &Scope::ALL).await;
    let response = api(&app, &token, Method::GET, "/api/v1/access-request-config")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let read: Value = response.json().await.unwrap();

    // The directory takes carol out of the administrators' group.
    let mut tx = app.db.write_tx().await.unwrap();
    groups::set_memberships_by_name(&mut tx, &carol.id, &["staff".to_string()], 1)
        .await
        .unwrap();
    groups::sync_cached_groups(&mut tx, &carol.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let (status, kind, _) = problem_of(
        api(&app, &token, Method::PUT, "/api/v1/access-request-config")
            .json(&json!({ "config": read["config"], "version": read["version"] }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let stored = org_config::load(app.db.pool()).await.unwrap();
    assert_eq!(Some(stored.version), read["version"].as_i64(), "unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_made_before_scopes_existed_keeps_every_scope() {
    let app = TestApp::spawn().await;
    app.new_browser().sign_in("carol").await;
    let carol = app.person("carol", &[Role::Admin]).await;
    // A row as the previous version wrote it: no scopes column named.
    let (id, secret) = ("legacy0token", "legacy-secret-0123456789");
    let now = app::domain::now();
    sqlx::query(
        "INSERT INTO personal_access_tokens (id, user_id, name, secret_hash, created_at, \
         expires_at) VALUES ($1, $2, 'old', $3, $4, $5)",
    )
    .bind(id)
    .bind(&carol.id)
    .bind(hex::encode(Sha256::digest(secret.as_bytes())))
    .bind(now)
    .bind(now + 86_400)
    .execute(app.db.pool())
    .await
    .unwrap();
    let token = format!("cs_{id}_{secret}");
    let read = api(&app, &token, Method::GET, "/api/v1/access-request-config")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    let read: Value = read.json().await.unwrap();
    let write = api(&app, &token, Method::PUT, "/api/v1/access-request-config")
        .json(&json!({ "config": read["config"], "version": read["version"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::OK);
    let row = app::db::tokens::find(app.db.pool(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.scopes().unwrap(), Scope::ALL.to_vec());
}
