//! One identity: a person the directory pushed and the same person signing in
//! through the real OIDC provider are one user (both match keys); with the
//! directory as the truth, sign-in changes no groups and a stranger stays
//! out; a group change over SCIM moves roles at the next request; and the
//! directory's token itself needs an administrator's step-up.

use app::db::users;
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    scim_client::{GROUP, Scim, audit_of},
    support::TestApp,
};

async fn push(scim: &Scim, user_name: &str, external_id: &str) -> String {
    scim.create_user(user_name, external_id).await
}

async fn user_count(app: &TestApp) -> i64 {
    sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM users")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_directory_token_needs_an_administrator_and_step_up() {
    let app = TestApp::builder().signed_in_as("carol").spawn().await;
    let form = [("name", "Okta"), ("days", "365")];
    let bob = app.new_browser();
    bob.sign_in("bob").await;
    let (status, _) = bob.server_fn("/api/directory/tokens/create", &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only administrators");

    let (status, body) = app.server_fn("/api/directory/tokens/create", &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "step-up first: {body}");
    let challenge = body["ReauthRequired"]["challenge_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (listed, tokens) = app.server_fn("/api/directory/tokens/list", &[]).await;
    assert_eq!(listed, StatusCode::OK);
    assert_eq!(tokens, json!([]), "nothing created before the signature");
    let (_, back) = app.reauthenticate(&challenge, "carol").await;
    assert_eq!(back, format!("/admin/directory?signed={challenge}"));
    let (status, done) = app
        .server_fn("/api/signed/complete", &[("challenge_id", &challenge)])
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let secret = done["secret"].as_str().unwrap();
    assert!(secret.starts_with("csd_"));

    let scim = Scim::new(&app, secret);
    assert_eq!(scim.get("/Users").await.status, StatusCode::OK);
    let (_, tokens) = app.server_fn("/api/directory/tokens/list", &[]).await;
    assert_eq!(tokens[0]["name"], "Okta");
    assert_eq!(tokens[0]["created_by"], "Carol Example");
    let (_, status_view) = app.server_fn("/api/directory/status", &[]).await;
    assert_eq!(status_view["endpoint_url"], app.url("/scim/v2").as_str());
    assert_eq!(status_view["mode"], "Oidc");
    assert_eq!(status_view["operations"][0]["path"], "/scim/v2/Users");
    assert!(status_view["last_success_at"].is_i64());

    let id = tokens[0]["id"].as_str().unwrap();
    let (status, _) = app
        .server_fn("/api/directory/tokens/revoke", &[("id", id)])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(scim.get("/Users").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_pushed_by_externalid_then_signing_in_is_one_user() {
    let app = TestApp::spawn().await;
    let scim = app.scim().await;
    let pushed = push(&scim, "alice@example.com", "alice").await;
    let before = user_count(&app).await;
    app.sign_in("alice").await;
    assert_eq!(user_count(&app).await, before, "no second user");
    let row = users::find_by_identity(&app.db, &app.issuer(), "alice")
        .await
        .unwrap()
        .expect("linked");
    assert_eq!(row.id, pushed);
    let actions = audit_of(&app, &pushed).await;
    assert!(
        actions.iter().any(|(a, _)| a == "user.linked"),
        "{actions:?}"
    );
    // Still the directory's: it sees the same person.
    assert_eq!(
        scim.get(&format!("/Users/{pushed}")).await.body["userName"],
        "alice@example.com"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_pushed_by_user_name_then_signing_in_is_one_user() {
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_SCIM_MATCH", "user_name")])
        .spawn()
        .await;
    let scim = app.scim().await;
    // Entra ID: userName is the UPN, which the provider sends as preferred_username.
    let pushed = push(&scim, "Bob", "entra-object-id-of-bob").await;
    app.sign_in("bob").await;
    let row = users::find_by_identity(&app.db, &app.issuer(), "bob")
        .await
        .unwrap()
        .expect("linked");
    assert_eq!(row.id, pushed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_adopts_a_person_who_signed_in_before() {
    let app = TestApp::spawn().await;
    app.sign_in("dave").await;
    let known = users::find_by_identity(&app.db, &app.issuer(), "dave")
        .await
        .unwrap()
        .unwrap();
    let scim = app.scim().await;
    let before = user_count(&app).await;
    let adopted = push(&scim, "dave@example.com", "dave").await;
    assert_eq!(adopted, known.id, "the same row, not a duplicate");
    assert_eq!(user_count(&app).await, before);
    let actions = audit_of(&app, &known.id).await;
    assert!(
        actions
            .iter()
            .any(|(a, _)| a == "user.adopted_by_directory")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_directory_as_truth_sign_in_keeps_its_groups_and_strangers_stay_out() {
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_DIRECTORY", "scim")])
        .spawn()
        .await;
    let scim = app.scim().await;
    let bob = push(&scim, "bob@example.com", "bob").await;
    let group = scim
        .post("/Groups", json!({"schemas": [GROUP], "displayName": "payroll-approvers", "members": [{"value": bob}]}))
        .await;
    assert_eq!(group.status, StatusCode::CREATED);
    app.sign_in("bob").await;
    let row = users::find(&app.db, &bob).await.unwrap().unwrap();
    assert_eq!(
        row.groups,
        vec!["payroll-approvers".to_owned()],
        "the ID token's groups (staff, countersign-approvers) are not taken"
    );
    assert_eq!(row.name, "Test bob@example.com", "nor its name");

    let stranger = app.new_browser();
    let callback = stranger
        .callback_for("erin", crate::idp::PASSWORD)
        .await
        .unwrap();
    let refused = stranger.client.get(&callback).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Not in the directory"), "{page}");
    assert!(
        users::find_by_identity(&app.db, &app.issuer(), "erin")
            .await
            .unwrap()
            .is_none()
    );
    let (status, _) = stranger.server_fn("/api/session/who_am_i", &[]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_the_admins_group_over_scim_takes_the_role_away_at_the_next_request() {
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_DIRECTORY", "scim")])
        .spawn()
        .await;
    let scim = app.scim().await;
    let carol = push(&scim, "carol@example.com", "carol").await;
    let admins = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "countersign-admins", "members": [{"value": carol}]}),
        )
        .await;
    let admins = admins.body["id"].as_str().unwrap().to_owned();
    let browser = app.new_browser();
    browser.sign_in("carol").await;
    let (status, _) = browser.server_fn("/api/directory/status", &[]).await;
    assert_eq!(status, StatusCode::OK, "an administrator");

    let removed = scim
        .patch(
            &format!("/Groups/{admins}"),
            json!([{"op": "remove", "path": format!("members[value eq \"{carol}\"]")}]),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let (status, _) = browser.server_fn("/api/directory/status", &[]).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the role is gone at the next request"
    );
    // And deactivating ends the session itself.
    let off = scim
        .patch(
            &format!("/Users/{carol}"),
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK);
    let (status, _) = browser.server_fn("/api/directory/status", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
