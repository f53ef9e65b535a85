//! A person's standing follows them: signing out everywhere ends every session
//! and token at once, and a token acts with the person's current roles.

use app::{
    db::users::SignInProfile,
    domain::identity::{RoleMap, record_sign_in},
};
use reqwest::StatusCode;

use crate::support::TestApp;

fn api_get(app: &TestApp, token: &str, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().get(app.url(path)).bearer_auth(token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_everywhere_ends_every_session_and_revokes_every_token() {
    let app = TestApp::spawn().await;
    let phone = app.new_browser();
    app.sign_in("bob").await;
    phone.sign_in("bob").await;
    let token = app.create_token("bob", "CI").await;
    assert_eq!(phone.get("/inbox").await.status(), StatusCode::OK);

    let out = app
        .client
        .post(app.url("/auth/logout-everywhere"))
        .header("origin", app.origin())
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);

    let phone_now = phone.get("/inbox").await;
    assert_eq!(
        phone_now.status(),
        StatusCode::SEE_OTHER,
        "the other browser is signed out"
    );
    assert!(
        phone_now.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/auth/login")
    );
    let call = api_get(&app, &token, "/api/v1/approvals")
        .send()
        .await
        .unwrap();
    assert_eq!(
        call.status(),
        StatusCode::UNAUTHORIZED,
        "the token is revoked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_everywhere_from_another_site_is_refused() {
    let app = TestApp::builder().signed_in_as("bob").spawn().await;
    let forged = app
        .client
        .post(app.url("/auth/logout-everywhere"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/inbox").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_acts_with_the_persons_current_roles() {
    let app = TestApp::builder().signed_in_as("carol").spawn().await;
    let token = app.create_token("carol", "ops").await;
    let config = "/api/v1/access-request-config";
    assert_eq!(
        api_get(&app, &token, config).send().await.unwrap().status(),
        StatusCode::OK
    );
    // The provider reports carol without the admins' group at her next sign-in.
    let groups = vec!["staff".to_string()];
    record_sign_in(
        &app.db,
        &SignInProfile {
            issuer: &app.issuer(),
            subject: "carol",
            name: "Carol Example",
            email: None,
            login_name: None,
            groups: &groups,
        },
        &RoleMap::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        api_get(&app, &token, config).send().await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "the token lost the admin role with her"
    );
}
