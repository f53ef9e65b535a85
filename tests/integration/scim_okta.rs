//! Okta's documented SCIM 2.0 sequences, over HTTP, as Okta sends them.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    scim_client::{GROUP, PATCH_OP, USER},
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

/// Okta's Group Push, as its SCIM 2.0 reference sends it: look up by name,
/// create, read without members, rename with a pathless replace naming the
/// group, one PATCH removing one member and adding another, delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_pushes_a_group_renames_it_changes_its_members_then_deletes_it() {
    let app = TestApp::spawn().await;
    let scim = app.scim().await;
    let ada = scim.create_user("ada@example.com", "00u1ada").await;
    let tim = scim.create_user("tim@example.com", "00u1tim").await;

    assert!(
        scim.find("/Groups", "displayName eq \"Finance\"")
            .await
            .is_none()
    );
    let created = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Finance",
                "members": [{"value": ada, "display": "ada@example.com"}]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/Groups/{id}");
    let read = scim
        .send(
            scim.request(reqwest::Method::GET, &path)
                .query(&[("excludedAttributes", "members")]),
        )
        .await;
    assert_eq!(read.body["displayName"], "Finance");
    assert!(read.body.get("members").is_none());

    let renamed = scim
        .patch(
            &path,
            json!([{"op": "replace", "value": {"id": id, "displayName": "Finance EMEA"}}]),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    let members = scim
        .patch(
            &path,
            json!([
                {"op": "remove", "path": format!("members[value eq \"{ada}\"]")},
                {"op": "add", "path": "members", "value": [{"value": tim, "display": "tim@example.com"}]},
            ]),
        )
        .await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.body);
    let read = scim.get(&path).await;
    assert_eq!(read.body["displayName"], "Finance EMEA");
    let ids: Vec<&str> = read.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["value"].as_str())
        .collect();
    assert_eq!(ids, [tim.as_str()]);
    let tim_row = app::db::users::find(&app.db, &tim).await.unwrap().unwrap();
    assert_eq!(tim_row.groups, ["Finance EMEA"]);
    let ada_row = app::db::users::find(&app.db, &ada).await.unwrap().unwrap();
    assert!(ada_row.groups.is_empty());

    // `co` and `or`, on the database the suite runs on.
    let either = scim
        .send(
            scim.request(reqwest::Method::GET, "/Users")
                .query(&[("filter", "userName co \"DA@\" or externalId eq \"00u1tim\"")]),
        )
        .await;
    assert_eq!(either.status, StatusCode::OK, "{}", either.body);
    assert_eq!(either.body["totalResults"], 2);
    let groups = scim
        .send(
            scim.request(reqwest::Method::GET, "/Groups")
                .query(&[("filter", "displayName co \"emea\"")]),
        )
        .await;
    assert_eq!(groups.body["totalResults"], 1);

    let deleted = scim.delete(&path).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(scim.get(&path).await.status, StatusCode::NOT_FOUND);
    let tim_row = app::db::users::find(&app.db, &tim).await.unwrap().unwrap();
    assert!(tim_row.groups.is_empty(), "the group's role goes with it");
}
