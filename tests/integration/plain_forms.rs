//! Forms posted without JavaScript (plain HTML posts, `Accept: text/html`), as
//! before the WebAssembly arrives: an error goes back to the form's page with a
//! `303`, and an approval that must be e-signed goes on to its
//! re-authentication at the provider, then completes by one more plain post.

use app::{
    db::tasks,
    types::{Role, TaskState},
};
use reqwest::StatusCode;

use crate::support::{Browser, TestApp};

/// Posts `form` to the server function at `path` as a plain HTML form on
/// `page` does; returns the status and where it sends the browser.
async fn post_form(
    browser: &Browser,
    page: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let answer = browser
        .client
        .post(browser.url(path))
        .header("origin", browser.origin())
        .header("referer", browser.url(page))
        .header("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
        .form(form)
        .send()
        .await
        .expect("server function reachable");
    let location = answer
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (answer.status(), location)
}

async fn task_state(app: &TestApp, request: &str) -> TaskState {
    tasks::of_request(app.db.pool(), request)
        .await
        .expect("tasks")
        .remove(0)
        .state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_form_approval_is_signed_at_the_provider_and_errors_come_back_to_the_page() {
    let app = TestApp::spawn().await;
    app.sign_in("carol").await;
    let bob = app.new_browser();
    bob.sign_in("bob").await;
    let alice_browser = app.new_browser();
    alice_browser.sign_in("alice").await;
    let approver = app.person("bob", &[Role::Approver]).await;
    let alice = app.person("alice", &[]).await;
    app.turn_reauth_on().await;
    let item = app.item_approved_by("Ledger", &approver).await;
    let item = app.require_reauth(&item).await;
    let (request, task) = app.pending_request(&alice, &item, "Month end.").await;

    // A denial without a reason: back to the inbox, which shows the error.
    let (status, back) = post_form(
        &bob,
        "/inbox",
        "/api/inbox/act",
        &[("task_id", &task), ("act", "deny"), ("comment", "")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "followed, not shown as JSON");
    assert!(
        back.contains("/inbox?") && back.contains("__err="),
        "{back}"
    );
    assert_eq!(task_state(&app, &request).await, TaskState::Pending);

    // The approval: straight on to the re-authentication; nothing decided yet.
    let (status, to_provider) = post_form(
        &bob,
        "/inbox",
        "/api/inbox/act",
        &[
            ("task_id", &task),
            ("act", "approve"),
            ("comment", "Checked."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let challenge = to_provider
        .strip_prefix("/auth/reauth/")
        .unwrap_or_else(|| panic!("to the re-authentication, not {to_provider}"))
        .to_owned();
    assert_eq!(task_state(&app, &request).await, TaskState::Pending);

    let (_, signed) = bob.reauthenticate(&challenge, "bob").await;
    assert_eq!(signed, format!("/inbox?signed={challenge}"));
    let (status, done) = post_form(
        &bob,
        &signed,
        "/api/signed/complete",
        &[("challenge_id", &challenge)],
    )
    .await;
    assert!(status.is_redirection(), "{status}");
    assert!(done.ends_with(&signed), "back to the inbox: {done}");
    assert_eq!(task_state(&app, &request).await, TaskState::Approved);
    let (_, pending) = bob
        .server_fn("/api/signed/pending", &[("challenge_id", &challenge)])
        .await;
    assert_eq!(
        pending,
        serde_json::Value::Bool(false),
        "the page says done"
    );
}

/// The new token in a page's HTML (`data-testid="new-token"`), if shown.
fn shown_token(html: &str) -> Option<String> {
    let tag = html.find("data-testid=\"new-token\"")?;
    let start = tag + html[tag..].find('>')? + 1;
    let end = html[start..].find('<')?;
    Some(html[start..start + end].to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_form_token_is_created_after_signing_in_again_and_its_secret_shown_once() {
    let app = TestApp::spawn().await;
    let alice = app.new_browser();
    alice.sign_in("alice").await;

    // Create: straight on to the re-authentication; no token yet.
    let (status, to_provider) = post_form(
        &alice,
        "/tokens",
        "/api/tokens/create",
        &[
            ("name", "Nightly export"),
            ("days", "30"),
            ("scope_read", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let challenge = to_provider
        .strip_prefix("/auth/reauth/")
        .unwrap_or_else(|| panic!("to the re-authentication, not {to_provider}"))
        .to_owned();
    let (_, signed) = alice.reauthenticate(&challenge, "alice").await;
    assert_eq!(signed, format!("/tokens?signed={challenge}"));

    // Complete by a plain post: back to the page, which shows the secret once.
    let (status, back) = post_form(
        &alice,
        &signed,
        "/api/signed/complete",
        &[("challenge_id", &challenge)],
    )
    .await;
    assert!(status.is_redirection(), "{status}");
    assert!(back.ends_with(&signed), "back to the tokens page: {back}");
    let first = alice.get(&signed).await.text().await.expect("the page");
    let secret = shown_token(&first).unwrap_or_else(|| panic!("the secret is shown: {first}"));
    let api = reqwest::Client::new()
        .get(app.url("/api/v1/access-items"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("the API answers");
    assert_eq!(
        api.status(),
        StatusCode::OK,
        "the shown secret is the token"
    );

    let again = alice.get(&signed).await.text().await.expect("the page");
    assert_eq!(shown_token(&again), None, "shown once, never again");
    assert!(
        again.contains("Signed and done"),
        "the page says it is done"
    );
}
