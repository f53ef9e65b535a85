//! The headline, end to end over HTTP against the real provider: an approval of a
//! sensitive grant is refused until the approver signs in again at the provider
//! (`prompt=login`, `max_age=0`), completes only with that proof, and is recorded
//! as an e-signature whose ID token verifies against the provider's keys.

use app::{
    db::{assignments, audit, requests, tasks},
    types::{AccessItem, RequestStatus, Role, TaskState},
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    idp,
    support::{Browser, TestApp},
};

/// POSTs a server function as the browser's own page would.
async fn server_fn(browser: &Browser, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = browser
        .client
        .post(browser.url(path))
        .header("origin", browser.origin())
        .form(form)
        .send()
        .await
        .expect("server function reachable");
    let status = response.status();
    let body = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

pub fn challenge_in(body: &Value) -> String {
    body["ReauthRequired"]["challenge_id"]
        .as_str()
        .unwrap_or_else(|| panic!("expected ReauthRequired, got {body}"))
        .to_owned()
}

/// Signs in again at the provider for `challenge` as `login`; returns where the
/// app sent the browser afterwards.
pub async fn reauthenticate(browser: &Browser, challenge: &str, login: &str) -> String {
    let (status, location) = browser.reauthenticate(challenge, login).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    location
}

pub struct Scene {
    pub app: TestApp,
    pub carol: Browser,
    pub bob: Browser,
    pub item: AccessItem,
    pub request: String,
    pub task: String,
}

/// carol turns re-authenticated approvals on (after the live provider test, over
/// HTTP), an item requires it, alice requests it; bob's task waits.
pub async fn scene(app: TestApp) -> Scene {
    let carol = app.new_browser();
    carol.sign_in("carol").await;
    let bob = app.new_browser();
    bob.sign_in("bob").await;
    app.sign_in("alice").await;
    let bob_user = app.person("bob", &[Role::Approver]).await;
    let alice_user = app.person("alice", &[]).await;

    // The live test, then the switch.
    let (status, body) = server_fn(&carol, "/api/settings/test_reauth", &[]).await;
    assert_ne!(status, StatusCode::OK);
    let test = challenge_in(&body);
    let back = reauthenticate(&carol, &test, "carol").await;
    assert_eq!(back, "/admin/settings?reauth=tested");
    let (status, body) = server_fn(
        &carol,
        "/api/settings/save",
        &[
            ("settings[version]", "1"),
            ("settings[reauthorization_enabled]", "on"),
            ("settings[default_reauth_window_minutes]", "0"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let item = app.item_approved_by("Payroll", &bob_user).await;
    let item = app.require_reauth(&item).await;
    let (request, task) = app
        .pending_request(&alice_user, &item, "Month-end payroll run")
        .await;
    Scene {
        app,
        carol,
        bob,
        item,
        request,
        task,
    }
}

/// bob approves his task (it needs a signature): the app's answer.
pub async fn approve(s: &Scene) -> (StatusCode, Value) {
    server_fn(
        &s.bob,
        "/api/inbox/decide",
        &[
            ("task_ids[0]", s.task.as_str()),
            ("decision", "approve"),
            ("comment", "Checked with HR"),
        ],
    )
    .await
}

async fn task_state(s: &Scene) -> TaskState {
    tasks::find(s.app.db.pool(), &s.task)
        .await
        .expect("query")
        .expect("task")
        .state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_e_signed_by_signing_in_again_at_the_provider() {
    let s = scene(TestApp::spawn().await).await;

    let (status, body) = approve(&s).await;
    assert_ne!(status, StatusCode::OK);
    let challenge = challenge_in(&body);
    assert_eq!(
        task_state(&s).await,
        TaskState::Pending,
        "nothing decided before the proof"
    );

    let back = reauthenticate(&s.bob, &challenge, "bob").await;
    assert_eq!(back, format!("/inbox?signed={challenge}"));
    let (status, body) = server_fn(
        &s.bob,
        "/api/signed/complete",
        &[("challenge_id", challenge.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    assert_eq!(task_state(&s).await, TaskState::Approved);
    let request = requests::find(s.app.db.pool(), &s.request)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request.status, RequestStatus::Approved);
    assert!(
        assignments::holds(s.app.db.pool(), &request.beneficiary_id, &s.item.id)
            .await
            .unwrap()
    );

    let record = audit::for_target(s.app.db.pool(), "approval_task", &s.task)
        .await
        .unwrap()
        .unwrap();
    let sig = &record.details["e_signature"];
    assert_eq!(sig["signer_name"], "Bob Example");
    assert_eq!(sig["signer_subject"], "bob");
    assert_eq!(sig["signer_issuer"], s.app.issuer());
    assert_eq!(sig["meaning"], "approved");
    assert_eq!(sig["justification"], "Month-end payroll run");
    assert_eq!(sig["comment"], "Checked with HR");
    let token = sig["id_token"].as_str().expect("the ID token is kept");
    let jwks = countersign::audit_cli::fetch_jwks(&s.app.issuer())
        .await
        .expect("provider keys");
    countersign::audit_cli::check_signature(token, &jwks)
        .expect("the evidence verifies against the provider's keys");
    assert_eq!(
        app::domain::audit::verify_chain(&s.app.db)
            .await
            .unwrap()
            .broken,
        None
    );

    // The request page says who signed, and when they re-authenticated.
    let page = s
        .app
        .get(&format!("/requests/{}", s.request))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Approved by Bob Example — re-authenticated at"),
        "{page}"
    );

    // The proof is spent: completing it again (a reloaded page) runs nothing more.
    let records = audit::head(s.app.db.pool()).await.unwrap().0;
    let (status, body) = server_fn(
        &s.bob,
        "/api/signed/complete",
        &[("challenge_id", challenge.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["message"],
        "Already done: this signed action was completed."
    );
    assert_eq!(audit::head(s.app.db.pool()).await.unwrap().0, records);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_at_the_provider_approves_nothing_and_says_so() {
    let s = scene(TestApp::spawn().await).await;
    let challenge = challenge_in(&approve(&s).await.1);

    let (form, form_url) = idp::follow(
        &s.bob.client,
        s.bob.url(&format!("/auth/reauth/{challenge}")),
        "never:",
    )
    .await;
    assert!(
        form.text().await.unwrap().contains("Please sign in again"),
        "prompt=login shows the form again"
    );
    let abort = s
        .bob
        .client
        .post(format!("{form_url}/abort"))
        .send()
        .await
        .unwrap();
    let (_, back) = idp::follow(
        &s.bob.client,
        url::Url::parse(&form_url)
            .unwrap()
            .join(abort.headers()["location"].to_str().unwrap())
            .unwrap()
            .to_string(),
        &s.bob.origin(),
    )
    .await;
    let landing = s.bob.client.get(&back).send().await.unwrap();
    assert_eq!(
        landing.headers()["location"].to_str().unwrap(),
        "/inbox?reauth=cancelled"
    );
    let (status, _) = server_fn(
        &s.bob,
        "/api/signed/complete",
        &[("challenge_id", challenge.as_str())],
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    assert_eq!(task_state(&s).await, TaskState::Pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_call_with_another_sessions_proof_is_refused() {
    let s = scene(TestApp::spawn().await).await;
    let challenge = challenge_in(&approve(&s).await.1);
    reauthenticate(&s.bob, &challenge, "bob").await;

    // bob in a second browser (another sign-in) cannot use the first one's proof.
    let other = s.app.new_browser();
    other.sign_in("bob").await;
    let (status, _) = server_fn(
        &other,
        "/api/signed/complete",
        &[("challenge_id", challenge.as_str())],
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    // Nor can carol.
    let (status, _) = server_fn(
        &s.carol,
        "/api/signed/complete",
        &[("challenge_id", challenge.as_str())],
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    assert_eq!(task_state(&s).await, TaskState::Pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_as_someone_else_at_the_provider_does_not_sign() {
    let s = scene(TestApp::spawn().await).await;
    let challenge = challenge_in(&approve(&s).await.1);
    // bob's browser is sent to the provider; dave signs in there (on a device
    // without bob's provider session) and the answer comes back to bob's session.
    let start = s.bob.get(&format!("/auth/reauth/{challenge}")).await;
    let authorize = start.headers()["location"].to_str().unwrap().to_owned();
    let device = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (form, form_url) = idp::follow(&device, authorize, "never:").await;
    let callback = idp::submit_login(
        &device,
        form,
        &form_url,
        "dave",
        idp::PASSWORD,
        &s.bob.origin(),
    )
    .await
    .expect("dave signs in");
    let back = s.bob.client.get(&callback).send().await.unwrap();
    assert_eq!(
        back.headers()["location"].to_str().unwrap(),
        "/inbox?reauth=wrong-person"
    );
    assert_eq!(task_state(&s).await, TaskState::Pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_ignores_max_age_cannot_pass_an_approval() {
    let app = TestApp::builder()
        .with_provider_env(&[("IDP_IGNORE_REAUTH", "1")])
        .with_config(&[("COUNTERSIGN_REAUTH_SKEW_SECS", "0")])
        .spawn()
        .await;
    let origin = app.origin();
    // The live provider test refuses such a provider: carol's sign-in is not renewed.
    let carol = app.new_browser();
    carol.sign_in("carol").await;
    wait_for_the_next_second().await;
    let (_, body) = server_fn(&carol, "/api/settings/test_reauth", &[]).await;
    let test = challenge_in(&body);
    let (page, url) = idp::follow(
        &carol.client,
        carol.url(&format!("/auth/reauth/{test}")),
        &origin,
    )
    .await;
    assert!(
        page.status().is_redirection(),
        "no sign-in form: the provider signed carol in silently"
    );
    let landing = carol.client.get(&url).send().await.unwrap();
    assert_eq!(
        landing.headers()["location"].to_str().unwrap(),
        "/admin/settings?reauth=not-fresh"
    );
    let (status, body) = server_fn(
        &carol,
        "/api/settings/save",
        &[
            ("settings[version]", "0"),
            ("settings[reauthorization_enabled]", "on"),
            ("settings[default_reauth_window_minutes]", "0"),
        ],
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    assert!(
        body.to_string().contains("Test re-authentication"),
        "{body}"
    );
}

/// A provider that ignores `prompt=login` returns the sign-in's own `auth_time`.
/// Right after signing in, that lies within the re-authentication skew (5 s by
/// default) of a new challenge; it must still be refused, because it is not
/// newer than the sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_ignores_prompt_login_fails_the_live_test_even_right_after_sign_in() {
    let app = TestApp::builder()
        .with_provider_env(&[("IDP_IGNORE_REAUTH", "1")])
        .spawn()
        .await;
    let origin = app.origin();
    let carol = app.new_browser();
    carol.sign_in("carol").await;
    let (_, body) = server_fn(&carol, "/api/settings/test_reauth", &[]).await;
    let test = challenge_in(&body);
    let (page, url) = idp::follow(
        &carol.client,
        carol.url(&format!("/auth/reauth/{test}")),
        &origin,
    )
    .await;
    assert!(page.status().is_redirection(), "signed in silently");
    let landing = carol.client.get(&url).send().await.unwrap();
    assert_eq!(
        landing.headers()["location"].to_str().unwrap(),
        "/admin/settings?reauth=not-fresh"
    );
    let passed = app::db::org_config::load(app.db.pool())
        .await
        .unwrap()
        .reauth_test_passed_at;
    assert_eq!(passed, None, "the live test did not pass");
}

/// `auth_time` has whole seconds: let the clock pass the second of the last
/// sign-in, so that an old authentication is older than a new challenge.
async fn wait_for_the_next_second() {
    let start = app::db::now_epoch();
    while app::db::now_epoch() == start {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The `<input …>` tag of the settings form's field `name`.
fn input_tag<'a>(html: &'a str, name: &str) -> &'a str {
    let at = html
        .find(&format!("name=\"settings[{name}]\""))
        .unwrap_or_else(|| panic!("no field {name} in the page"));
    let start = html[..at].rfind('<').expect("the tag's start");
    let end = at + html[at..].find('>').expect("the tag's end");
    &html[start..=end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_switch_stays_disabled_with_its_reason_until_the_live_test_passes() {
    let app = TestApp::spawn().await;
    let carol = app.new_browser();
    carol.sign_in("carol").await;
    const REASON: &str = "Cannot be turned on yet: run “Test re-authentication” above";

    let page = carol.get("/admin/settings").await.text().await.unwrap();
    assert!(
        input_tag(&page, "reauthorization_enabled").contains("disabled"),
        "{page}"
    );
    assert!(page.contains(REASON), "{page}");
    // Its plain label, with the configuration's name as secondary text.
    assert!(page.contains("Re-authenticated approvals"), "{page}");
    assert!(page.contains(">reauthorizationEnabled</code>"), "{page}");

    let (status, body) = server_fn(&carol, "/api/settings/test_reauth", &[]).await;
    assert_ne!(status, StatusCode::OK);
    let back = reauthenticate(&carol, &challenge_in(&body), "carol").await;
    assert_eq!(back, "/admin/settings?reauth=tested");

    let page = carol.get(&back).await.text().await.unwrap();
    assert!(
        !input_tag(&page, "reauthorization_enabled").contains("disabled"),
        "{page}"
    );
    assert!(!page.contains(REASON), "{page}");
}
