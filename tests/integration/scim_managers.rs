//! Managers and versions as the directory pushes them over SCIM: a manager
//! step goes to the manager the directory names, follows a change of
//! manager, and a deleted manager leaves no reference behind; a person's
//! version (ETag) moves when a group change alters the groups they show.

use app::types::{AccessItem, Approver, CurrentUser, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    scim_client::{ENTERPRISE, GROUP, Scim, audit_of},
    support::TestApp,
};

/// A person pushed by the directory, as the domain sees them acting.
async fn pushed(scim: &Scim, login: &str, roles: &[Role]) -> CurrentUser {
    let id = scim
        .create_user(&format!("{login}@example.com"), login)
        .await;
    CurrentUser {
        id,
        name: format!("Test {login}@example.com"),
        email: Some(format!("{login}@example.com")),
        roles: [&[Role::Requester], roles].concat(),
        groups: None,
    }
}

async fn manager_step_item(app: &TestApp, owner: &CurrentUser) -> AccessItem {
    app.item_owned_by(owner, "Payroll", &[Approver::Manager])
        .await
}

async fn set_manager(scim: &Scim, who: &str, manager: &str) {
    let answer = scim
        .patch(
            &format!("/Users/{who}"),
            json!([{"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": manager}]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

/// Who the request's open task is given to now: (user, group). A move closes
/// a task and opens its step again, so the task is found by its request.
async fn assignee(app: &TestApp, request: &str) -> (Option<String>, Option<String>) {
    sqlx::query_as(
        "SELECT approver_user_id, approver_group FROM approval_tasks \
         WHERE request_id = $1 AND state = 'pending'",
    )
    .bind(request)
    .fetch_one(app.db.pool())
    .await
    .expect("one open task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_step_follows_the_manager_the_directory_pushes_and_forgets_a_deleted_one() {
    let app = TestApp::spawn().await;
    let scim = app.scim().await;
    let alice = pushed(&scim, "alice", &[]).await;
    let (bob, dave) = (
        pushed(&scim, "bob", &[]).await,
        pushed(&scim, "dave", &[]).await,
    );
    let owner = pushed(&scim, "olga", &[Role::Admin]).await;
    set_manager(&scim, &alice.id, &bob.id).await;
    let item = manager_step_item(&app, &owner).await;
    let (request, _) = app.pending_request(&alice, &item, "Month-end").await;
    assert_eq!(assignee(&app, &request).await.0.as_deref(), Some(&*bob.id));

    set_manager(&scim, &alice.id, &dave.id).await;
    assert_eq!(
        assignee(&app, &request).await.0.as_deref(),
        Some(&*dave.id),
        "the open task follows the new manager"
    );

    let before = scim.get(&format!("/Users/{}", alice.id)).await;
    assert_eq!(
        before.body[ENTERPRISE]["manager"]["value"],
        dave.id.as_str()
    );
    let deleted = scim.delete(&format!("/Users/{}", dave.id)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);

    let after = scim.get(&format!("/Users/{}", alice.id)).await;
    assert!(
        after
            .body
            .get(ENTERPRISE)
            .is_none_or(|e| e.get("manager").is_none()),
        "no manager that no longer exists: {}",
        after.body
    );
    assert_ne!(after.etag(), before.etag(), "her representation changed");
    let (manager_id,): (Option<String>,) =
        sqlx::query_as("SELECT manager_id FROM users WHERE id = $1")
            .bind(&alice.id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(manager_id, None);
    let changes: Vec<String> = audit_of(&app, &alice.id)
        .await
        .into_iter()
        .map(|(action, _)| action)
        .filter(|action| action == "user.manager_changed")
        .collect();
    assert_eq!(changes.len(), 3, "set, changed, cleared: each audited");
    assert_eq!(
        assignee(&app, &request).await.0.as_deref(),
        Some(&*owner.id),
        "a deleted manager's task goes to the fallback, the item's owner"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_change_gives_each_member_a_new_version() {
    let app = TestApp::spawn().await;
    let scim = app.scim().await;
    let kim = scim.create_user("kim@example.com", "ext-kim").await;
    let path = format!("/Users/{kim}");
    let first = scim.get(&path).await;
    assert_eq!(first.etag(), "W/\"1\"");

    let group = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Ops", "members": [{"value": kim}]}),
        )
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let group = group.body["id"].as_str().unwrap().to_owned();
    let joined = scim.get(&path).await;
    assert_eq!(joined.body["groups"][0]["display"], "Ops");
    assert_ne!(joined.etag(), first.etag(), "joining shows in her groups");
    // A client holding the old version is told it is stale.
    let rename = json!([{"op": "replace", "path": "displayName", "value": "Kim"}]);
    let stale = scim.patch_if_match(&path, &first.etag(), rename).await;
    stale.assert_error(412, None);

    let renamed = scim
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "replace", "path": "displayName", "value": "Operations"}]),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    let after_rename = scim.get(&path).await;
    assert_eq!(after_rename.body["groups"][0]["display"], "Operations");
    assert_ne!(after_rename.etag(), joined.etag());

    let left = scim
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "remove", "path": format!("members[value eq \"{kim}\"]")}]),
        )
        .await;
    assert_eq!(left.status, StatusCode::OK, "{}", left.body);
    let after_leaving = scim.get(&path).await;
    assert_eq!(
        after_leaving.body["groups"].as_array().map_or(0, Vec::len),
        0,
        "{}",
        after_leaving.body
    );
    assert_ne!(after_leaving.etag(), after_rename.etag());

    let back = scim
        .patch(
            &format!("/Groups/{group}"),
            json!([{"op": "add", "path": "members", "value": [{"value": kim}]}]),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    let rejoined = scim.get(&path).await;
    assert_ne!(rejoined.etag(), after_leaving.etag());
    let deleted = scim.delete(&format!("/Groups/{group}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let after_delete: Value = scim.get(&path).await.body;
    assert_eq!(after_delete["groups"].as_array().map_or(0, Vec::len), 0);
    assert_ne!(
        after_delete["meta"]["version"].as_str(),
        Some(rejoined.etag().as_str()),
        "a deleted group leaves her groups too"
    );
}
