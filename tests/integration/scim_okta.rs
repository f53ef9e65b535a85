//! Okta's documented SCIM 2.0 sequences, over HTTP, as Okta sends them.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    scim_client::{PATCH_OP, USER},
    support::TestApp,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_creates_a_person_then_deactivates_them() {
    let app = TestApp::spawn().await;
    let scim = app.scim().await;

    // 1. Is the person there? (Okta looks before it creates.)
    let look = scim
        .send(scim.request(reqwest::Method::GET, "/Users").query(&[
            ("filter", "userName eq \"ada@example.com\""),
            ("startIndex", "1"),
            ("count", "100"),
        ]))
        .await;
    assert_eq!(look.status, StatusCode::OK);
    assert_eq!(look.headers["content-type"], "application/scim+json");
    assert_eq!(look.body["totalResults"], 0);
    assert_eq!(look.body["Resources"], json!([]));
    assert_eq!(
        look.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );

    // 2. Create them.
    let created = scim
        .post(
            "/Users",
            json!({
                "schemas": [USER],
                "userName": "ada@example.com",
                "externalId": "00u1ada",
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "emails": [{"primary": true, "value": "ada@example.com", "type": "work"}],
                "displayName": "Ada Lovelace",
                "locale": "en-GB",
                "active": true,
                "password": "never stored",
                "groups": [],
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.headers["location"],
        app.url(&format!("/scim/v2/Users/{id}")).as_str()
    );
    assert_eq!(created.etag(), "W/\"1\"");
    assert_eq!(created.body["meta"]["version"], "W/\"1\"");
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body["locale"], "en-GB");
    assert!(created.body.get("password").is_none());

    // 3. Found by the same filter now.
    let found = scim
        .find("/Users", "userName eq \"ADA@example.com\"")
        .await
        .unwrap();
    assert_eq!(found["id"], id.as_str());

    // 4. Deactivate: a pathless replace.
    let patched = scim
        .send(
            scim.request(reqwest::Method::PATCH, &format!("/Users/{id}"))
                .json(&json!({
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "value": {"active": false}}],
                })),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["active"], false);

    // 5. Read back.
    let read = scim.get(&format!("/Users/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["active"], false);
    assert_eq!(read.body["userName"], "ada@example.com");
    let row = app::db::users::find(&app.db, &id).await.unwrap().unwrap();
    assert!(row.disabled_at.is_some(), "deactivated here too");
}
