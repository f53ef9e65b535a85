//! Every malformed body, unknown attribute, bad filter or path, wrong
//! `If-Match` and missing, revoked or expired token gets the RFC 7644 answer,
//! and changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    scim_client::{ENTERPRISE, GROUP, PATCH_OP, Scim, USER},
    support::TestApp,
};

async fn state(scim: &Scim, user: &str, group: &str) -> (Value, Value, Value) {
    let u = scim.get(&format!("/Users/{user}")).await.body;
    let g = scim.get(&format!("/Groups/{group}")).await.body;
    let all = scim.get("/Users").await.body;
    (u, g, all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refused_request_answers_its_scim_type_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let scim = app.scim().await;
    let user = scim.create_user("kim@example.com", "ext-kim").await;
    let group = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Ops", "members": [{"value": user}]}),
        )
        .await;
    let group = group.body["id"].as_str().unwrap().to_owned();
    let before = state(&scim, &user, &group).await;
    let u = format!("/Users/{user}");
    let g = format!("/Groups/{group}");
    let filter = |f: &str| {
        scim.request(Method::GET, "/Users")
            .query(&[("filter", f.to_owned())])
    };

    for (bad, scim_type) in [
        ("userName eq", "invalidFilter"),
        ("userName eq \"a\" garbage", "invalidFilter"),
        ("shoeSize eq \"9\"", "invalidFilter"),
        ("userName gt \"a\"", "invalidFilter"),
        ("members.value eq \"x\"", "invalidFilter"),
    ] {
        scim.send(filter(bad))
            .await
            .assert_error(400, Some(scim_type));
    }
    let query = |k: &str, v: &str| scim.request(Method::GET, "/Users").query(&[(k, v)]);
    scim.send(query("count", "ten"))
        .await
        .assert_error(400, Some("invalidValue"));
    scim.send(query("attributes", "shoeSize"))
        .await
        .assert_error(400, Some("invalidValue"));

    for (ops, scim_type) in [
        (
            json!([{"op": "replace", "path": "emails[", "value": "x"}]),
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "shoeSize", "value": 9}]),
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "emails[value co \"zzz\"].type", "value": "home"}]),
            "noTarget",
        ),
        (
            json!([{"op": "launch", "path": "title", "value": "x"}]),
            "invalidSyntax",
        ),
        (json!([{"op": "add", "path": "title"}]), "invalidValue"),
        (
            json!([{"op": "replace", "path": "userName", "value": ""}]),
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "perhaps"}]),
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "displayName", "value": "Kim"},
                {"op": "replace", "path": "shoeSize", "value": 9}]),
            "invalidPath",
        ),
    ] {
        scim.patch(&u, ops.clone())
            .await
            .assert_error(400, Some(scim_type));
    }
    scim.put(
        &u,
        json!({"schemas": [USER], "userName": "kim@example.com", "shoeSize": 9}),
    )
    .await
    .assert_error(400, Some("invalidSyntax"));
    scim.put(
        &u,
        json!({"schemas": [USER, ENTERPRISE], "userName": "kim@example.com",
                        ENTERPRISE: {"manager": {"value": "nobody"}}}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    let raw =
        |method: Method, path: &str, body: &str| scim.request(method, path).body(body.to_owned());
    scim.send(raw(Method::POST, "/Users", "{\"schemas\": ["))
        .await
        .assert_error(400, Some("invalidSyntax"));
    scim.send(raw(Method::PATCH, &u, "[]"))
        .await
        .assert_error(400, Some("invalidSyntax"));
    scim.post("/Users", json!({"schemas": [USER]}))
        .await
        .assert_error(400, Some("invalidValue"));
    scim.post(
        "/Users",
        json!({"schemas": [USER], "userName": "KIM@example.com"}),
    )
    .await
    .assert_error(409, Some("uniqueness"));
    scim.post(
        "/Users",
        json!({"schemas": ["urn:example:custom"], "userName": "new@example.com"}),
    )
    .await
    .assert_error(400, Some("invalidValue"));

    let stale =
        |method: Method, path: &str| scim.request(method, path).header("if-match", "W/\"999\"");
    scim.send(stale(Method::PATCH, &u).json(&json!({"schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Other"}]})))
        .await
        .assert_error(412, None);
    scim.send(
        stale(Method::PUT, &u).json(&json!({"schemas": [USER], "userName": "other@example.com"})),
    )
    .await
    .assert_error(412, None);
    scim.send(stale(Method::DELETE, &u))
        .await
        .assert_error(412, None);
    scim.send(stale(Method::DELETE, &g))
        .await
        .assert_error(412, None);
    scim.send(stale(Method::PATCH, &g).json(&json!({"schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Other"}]})))
        .await
        .assert_error(412, None);
    scim.send(stale(Method::PUT, &g).json(&json!({"schemas": [GROUP], "displayName": "Other"})))
        .await
        .assert_error(412, None);

    scim.patch(
        &g,
        json!([{"op": "add", "path": "members", "value": [{"value": "nobody"}]}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    scim.patch(
        &g,
        json!([{"op": "remove", "path": "members[display eq \"Kim\"]"}]),
    )
    .await
    .assert_error(400, Some("invalidPath"));
    scim.post("/Groups", json!({"schemas": [GROUP], "displayName": "Ops"}))
        .await
        .assert_error(409, Some("uniqueness"));

    let wrong_type = reqwest::Client::new()
        .put(app.url(&format!("/scim/v2{u}")))
        .bearer_auth(scim.token())
        .header("content-type", "text/plain")
        .body("{}");
    scim.send(wrong_type).await.assert_error(415, None);
    let huge = format!(
        "{{\"schemas\": [\"{USER}\"], \"userName\": \"{}\"}}",
        "x".repeat(1024 * 1024 + 1)
    );
    // Its own connection: the server answers 413 without reading the body and
    // closes the connection, which a pooled client could otherwise pick again.
    let oversized = reqwest::Client::new()
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(scim.token())
        .header("content-type", "application/scim+json")
        .body(huge);
    let refused = scim.send(oversized).await;
    refused.assert_error(413, None);
    // And the server says it closes that connection.
    assert_eq!(refused.headers["connection"], "close");
    scim.get("/Users/no-such-id").await.assert_error(404, None);
    scim.get("/Bulk").await.assert_error(404, None);

    assert_eq!(state(&scim, &user, &group).await, before, "nothing changed");
    let outcomes: Vec<(String,)> =
        sqlx::query_as("SELECT outcome FROM scim_operations WHERE outcome <> 'ok' ORDER BY at, id")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert!(
        outcomes.len() >= 30,
        "every refusal is logged: {outcomes:?}"
    );
    assert!(outcomes.iter().any(|(o,)| o == "invalidFilter"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_wrong_revoked_or_expired_token_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.directory_token().await;
    let scim = Scim::new(&app, &token);
    let create = json!({"schemas": [USER], "userName": "eve@example.com"});

    let anonymous = reqwest::Client::new()
        .post(app.url("/scim/v2/Users"))
        .header("content-type", "application/scim+json")
        .body(create.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Bearer realm=\"countersign-scim\""
    );
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["status"], "401");

    // The right id with another secret: its last character changed.
    let (head, last) = token.split_at(token.len() - 1);
    let forged = format!("{head}{}", if last == "0" { '1' } else { '0' });
    for bad in [forged.as_str(), "cs_abc_def", "csd_nope_nope", ""] {
        Scim::new(&app, bad)
            .post("/Users", create.clone())
            .await
            .assert_error(401, None);
    }

    let id = token.split('_').nth(1).unwrap().to_owned();
    sqlx::query("UPDATE directory_tokens SET expires_at = 1 WHERE id = $1")
        .bind(&id)
        .execute(app.db.pool())
        .await
        .unwrap();
    scim.post("/Users", create.clone())
        .await
        .assert_error(401, None);

    let fresh = Scim::new(&app, &app.directory_token().await);
    assert!(
        fresh
            .find("/Users", "userName eq \"eve@example.com\"")
            .await
            .is_none(),
        "nothing was created"
    );
    let fresh_token = sqlx::query_as::<_, (String,)>(
        "SELECT id FROM directory_tokens WHERE expires_at > 1 ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
    .0;
    let admin = app::types::CurrentUser {
        id: sqlx::query_as::<_, (String,)>("SELECT created_by FROM directory_tokens WHERE id = $1")
            .bind(&fresh_token)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .0,
        name: "Directory Admin".into(),
        email: None,
        roles: vec![app::types::Role::Admin],
        groups: None,
    };
    app::domain::directory::tokens::revoke(&app.db, &admin, &fresh_token)
        .await
        .unwrap();
    fresh.post("/Users", create).await.assert_error(401, None);
    let unauthenticated: Vec<(Option<String>, i64)> =
        sqlx::query_as("SELECT token_id, status FROM scim_operations WHERE status = 401")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(unauthenticated.len(), 7, "each refused request is logged");
    assert!(unauthenticated.iter().all(|(token, _)| token.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_names_the_version_and_a_stale_one_is_412() {
    let app = TestApp::spawn().await;
    let scim = app.scim().await;
    let id = scim.create_user("lin@example.com", "ext-lin").await;
    let path = format!("/Users/{id}");
    let first = scim.get(&path).await;
    assert_eq!(first.etag(), "W/\"1\"");
    let rename = json!([{"op": "replace", "path": "displayName", "value": "Lin"}]);
    let applied = scim
        .patch_if_match(&path, &first.etag(), rename.clone())
        .await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
    assert_eq!(applied.etag(), "W/\"2\"");
    let stale = scim.patch_if_match(&path, &first.etag(), rename).await;
    stale.assert_error(412, None);
    let unchanged = scim
        .send(
            scim.request(Method::GET, &path)
                .header("if-none-match", "W/\"2\""),
        )
        .await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert_eq!(scim.get(&path).await.body["meta"]["version"], "W/\"2\"");
}
