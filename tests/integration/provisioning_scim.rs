//! The SCIM 2.0 client connector against a real SCIM server (`scim2-server`,
//! `scim_server.rs`), over HTTP: "Test connection" proves the token and the
//! group; an approval creates the user in the application when it is missing
//! and adds them to the group, expiry removes them; an existing user is found,
//! not created twice; OAuth 2.0 client credentials get the token from a token
//! endpoint the test runs (which checks the client's id and secret), and a
//! wrong client secret fails with the endpoint's own words.

use std::net::SocketAddr;

use app::{domain::now, types::JobState};
use axum::{
    Form, Json, Router,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use serde_json::{Value, json};

use crate::{
    provisioning::{People, app, approved, jobs, people},
    scim_server::ScimServer,
    support::TestApp,
};

const TOKEN: &str = "scim-bearer-token-0123456789";
const CLIENT_ID: &str = "countersign-client";
const CLIENT_SECRET: &str = "oauth-client-secret-0123456789";

async fn save(p: &People, fields: &[(&str, &str)]) -> (u16, Value) {
    let (status, body) = p.carol.server_fn("/api/provisioning/save", fields).await;
    (status.as_u16(), body)
}

async fn expire(app: &TestApp, item_id: &str) {
    sqlx::query("UPDATE assignments SET end_date = $1 WHERE item_id = $2")
        .bind(now() - 1)
        .bind(item_id)
        .execute(app.db.pool())
        .await
        .unwrap();
    app::domain::assignments::expire_assignments(&app.db)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_creates_the_missing_user_and_adds_them_to_the_group_and_expiry_removes_them() {
    let app = app().await;
    let p = people(&app).await;
    let scim = ScimServer::start(TOKEN).await;
    let group = scim.create_group("Payroll").await;
    let bob = app.person("bob", &[app::types::Role::Approver]).await;
    let item = app.item_approved_by("Payroll", &bob).await;
    let mut fields = vec![
        ("id", item.id.as_str()),
        ("connector", "scim"),
        ("scim_base_url", scim.base_url.as_str()),
        ("scim_auth", "bearer"),
        ("scim_secret", "not-the-token"),
        ("scim_group", "Payroll"),
        ("scim_group_by", "display_name"),
        ("scim_user_name", "user_name"),
    ];

    // "Test connection" proves the token and the group before saving.
    let (status, body) = p.carol.server_fn("/api/provisioning/test", &fields).await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("HTTP 401"), "{body}");
    fields[4].1 = TOKEN;
    fields[5].1 = "Ledger";
    let (status, body) = p.carol.server_fn("/api/provisioning/test", &fields).await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("no group named Ledger"), "{body}");
    fields[5].1 = "Payroll";
    let (status, body) = p.carol.server_fn("/api/provisioning/test", &fields).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains(&group), "{body}");

    fields.push(("version", "0"));
    let (status, body) = save(&p, &fields).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.to_string().contains(TOKEN));

    assert!(scim.users().await.is_empty());
    let request = approved(&app, &p, &item).await;
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    let users = scim.users().await;
    assert_eq!(users.len(), 1, "the user was created");
    assert_eq!(users[0]["userName"], "alice");
    assert_eq!(users[0]["emails"][0]["value"], "alice@example.com");
    assert_eq!(users[0]["active"], true);
    let alice = users[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(scim.members(&group).await, vec![alice.clone()]);
    assert_eq!(jobs(&app, &request).await[0].state, JobState::Done);
    let export = p
        .carol
        .get("/audit/export.json")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        export.contains("created the user and added alice"),
        "{export}"
    );
    assert!(!export.contains(TOKEN));

    expire(&app, &item.id).await;
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    assert!(scim.members(&group).await.is_empty());
    assert_eq!(
        scim.users().await.len(),
        1,
        "the user stays; only the membership ends"
    );
}

/// An OAuth 2.0 token endpoint (RFC 6749 §4.4) that knows one client, which
/// authenticates with HTTP Basic, and hands out `token`.
async fn token_endpoint(token: &'static str) -> SocketAddr {
    let issue = move |headers: HeaderMap, Form(form): Form<Vec<(String, String)>>| async move {
        let expected = format!(
            "Basic {}",
            B64.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
        );
        let grant = form
            .iter()
            .any(|(k, v)| k == "grant_type" && v == "client_credentials");
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                Json(
                    json!({"error": "invalid_client", "error_description": "Client authentication failed"}),
                ),
            );
        }
        if !grant {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "unsupported_grant_type"})),
            );
        }
        (
            StatusCode::OK,
            Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600})),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, Router::new().route("/token", post(issue))).await;
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_client_credentials_an_existing_user_is_found_and_not_created_twice() {
    let app = app().await;
    let p = people(&app).await;
    let scim = ScimServer::start(TOKEN).await;
    let group = scim.create_group("Payroll").await;
    let existing = scim.create_user("alice@example.com").await;
    let token_url = format!("http://{}/token", token_endpoint(TOKEN).await);
    let bob = app.person("bob", &[app::types::Role::Approver]).await;
    let item = app.item_approved_by("Payroll", &bob).await;
    let mut fields = vec![
        ("id", item.id.as_str()),
        ("connector", "scim"),
        ("scim_base_url", scim.base_url.as_str()),
        ("scim_auth", "client_credentials"),
        ("scim_token_url", token_url.as_str()),
        ("scim_client_id", CLIENT_ID),
        ("scim_secret", "wrong-client-secret"),
        ("scim_group", group.as_str()),
        ("scim_group_by", "id"),
        ("scim_user_name", "email"),
        ("version", "0"),
    ];
    let (status, body) = p.carol.server_fn("/api/provisioning/test", &fields).await;
    assert_eq!(status, 400);
    assert!(
        body.to_string()
            .contains("HTTP 401 (invalid_client): Client authentication failed"),
        "{body}"
    );
    // Saved with the wrong secret, a grant fails with the endpoint's words.
    let (status, body) = save(&p, &fields).await;
    assert_eq!(status, 200, "{body}");
    let request = approved(&app, &p, &item).await;
    app.worker.run_due(now()).await.unwrap();
    let job = jobs(&app, &request).await.remove(0);
    assert_eq!(job.state, JobState::Failed);
    assert!(
        job.describe().contains("invalid_client"),
        "{}",
        job.describe()
    );

    // The secret is fixed (and a changed token URL alone would need it again).
    fields[6].1 = CLIENT_SECRET;
    fields[10].1 = "1";
    let (status, body) = p.carol.server_fn("/api/provisioning/test", &fields).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = save(&p, &fields).await;
    assert_eq!(status, 200, "{body}");
    let moved = format!("http://{}/token", token_endpoint(TOKEN).await);
    let mut elsewhere = fields.clone();
    elsewhere[4].1 = moved.as_str();
    elsewhere[6].1 = "";
    elsewhere[10].1 = "2";
    let (status, body) = save(&p, &elsewhere).await;
    assert_eq!(
        status, 400,
        "the stored secret does not follow a new token URL: {body}"
    );
    assert!(body.to_string().contains("scim_secret"), "{body}");

    let (status, body) = p
        .carol
        .server_fn("/api/provisioning/retry", &[("id", &job.id)])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    assert_eq!(
        scim.users().await.len(),
        1,
        "found by userName, not created again"
    );
    assert_eq!(scim.members(&group).await, vec![existing]);
}
