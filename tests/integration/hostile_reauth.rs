//! Hostile ID tokens at re-authentication, and races on a proof. bob approves a
//! task that must be e-signed; the tampering proxy (`tamper.rs`) in front of the
//! real provider relays everybody's sign-in untouched, and is armed only for bob's
//! re-authentication round trip, whose ID token it swaps for a forged one. The
//! callback must send bob back to the inbox saying why (`?reauth=…`, never
//! `?signed=…`), the challenge must stay unverified, completing it must be refused
//! and nothing may be approved or recorded as approved. Two controls show that the
//! harness can sign at all; then a genuine proof is completed twice at once, and
//! once after it expired.

use std::sync::{Arc, Mutex, PoisonError};

use app::{
    db::{
        assignments,
        audit::{self, AuditFilter},
        challenges, now_epoch, requests, tasks,
    },
    types::{RequestStatus, TaskState},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    hostile_tokens::{Discovery, Forgery, ProxiedProvider, TempPem, now},
    support::{Browser, TestApp},
};

/// What the proxy does to the next ID tokens, switchable while the test runs.
type Switch = Arc<Mutex<Forgery>>;

struct Scene {
    app: TestApp,
    bob: Browser,
    item: String,
    request: String,
    task: String,
    switch: Switch,
    /// The provider's signing key, on disk while it runs.
    _key_file: TempPem,
}

impl Scene {
    /// From now on the proxy hands the app `forgery` instead of the provider's token.
    fn arm(&self, forgery: Forgery) {
        *self.switch.lock().unwrap_or_else(PoisonError::into_inner) = forgery;
    }
}

/// The provider behind the proxy (relaying untouched until armed); carol passes
/// the live provider test and turns re-authenticated approvals on, an item
/// requires it, alice requests it, and bob's task waits.
async fn scene() -> Scene {
    scene_advertising(Discovery::AsPublished).await
}

/// [`scene`], with the provider's discovery document edited as `discovery` says.
async fn scene_advertising(discovery: Discovery) -> Scene {
    let switch: Switch = Arc::new(Mutex::new(Forgery::Untouched));
    let builder = TestApp::builder();
    let armed = switch.clone();
    let proxied = ProxiedProvider::start(builder.origin(), discovery, move |forger, real| {
        let forgery = *armed.lock().unwrap_or_else(PoisonError::into_inner);
        forger.forge(&forgery, real)
    })
    .await;
    let proxy_url = proxied.idp.issuer.clone();
    let (provider, key_file) = proxied.into_parts();
    let app = builder.with_provider(provider).spawn().await;
    assert_eq!(app.issuer(), proxy_url, "the app trusts the proxy's issuer");

    let arranged = crate::reauth::scene(app).await;
    Scene {
        app: arranged.app,
        bob: arranged.bob,
        item: arranged.item.id,
        request: arranged.request,
        task: arranged.task,
        switch,
        _key_file: key_file,
    }
}

fn challenge_in(body: &Value) -> String {
    body["ReauthRequired"]["challenge_id"]
        .as_str()
        .unwrap_or_else(|| panic!("expected ReauthRequired, got {body}"))
        .to_owned()
}

/// bob approves his task; it needs a signature: the challenge.
async fn approve(s: &Scene) -> String {
    let (status, body) = s
        .bob
        .server_fn(
            "/api/inbox/decide",
            &[
                ("task_ids[0]", s.task.as_str()),
                ("decision", "approve"),
                ("comment", "Checked with HR"),
            ],
        )
        .await;
    assert_ne!(status, StatusCode::OK, "{body}");
    challenge_in(&body)
}

async fn reauthenticate(browser: &Browser, challenge: &str, login: &str) -> (StatusCode, String) {
    browser.reauthenticate(challenge, login).await
}

async fn complete(s: &Scene, challenge: &str) -> (StatusCode, Value) {
    s.bob
        .server_fn("/api/signed/complete", &[("challenge_id", challenge)])
        .await
}

async fn task_state(s: &Scene) -> TaskState {
    tasks::find(s.app.db.pool(), &s.task)
        .await
        .expect("query the task")
        .expect("the task exists")
        .state
}

/// How many approvals the audit trail records.
async fn approvals_recorded(s: &Scene) -> usize {
    let filter = AuditFilter {
        action: Some("approval.approved".into()),
        ..Default::default()
    };
    audit::list(s.app.db.pool(), &filter, None, 100)
        .await
        .expect("query the audit trail")
        .len()
}

/// Nothing is approved: the task and the request wait, alice holds nothing, and
/// the audit trail records no approval.
async fn assert_nothing_approved(s: &Scene) {
    assert_eq!(task_state(s).await, TaskState::Pending, "the task waits");
    let request = requests::find(s.app.db.pool(), &s.request)
        .await
        .expect("query the request")
        .expect("the request exists");
    assert_eq!(request.status, RequestStatus::Pending, "the request waits");
    let holds = assignments::holds(s.app.db.pool(), &request.beneficiary_id, &s.item)
        .await
        .expect("query the assignments");
    assert!(!holds, "nobody was granted the item");
    assert_eq!(approvals_recorded(s).await, 0, "no approval is recorded");
}

/// bob re-authenticates for his approval with the proxy handing the app `forgery`:
/// the callback must send him back saying `reason`, and change nothing.
async fn assert_refused(forgery: Forgery, reason: &str) {
    assert_refused_advertised(forgery, Discovery::AsPublished, reason).await;
}

async fn assert_refused_advertised(forgery: Forgery, discovery: Discovery, reason: &str) {
    let s = scene_advertising(discovery).await;
    let challenge = approve(&s).await;
    s.arm(forgery);

    let (status, back) = reauthenticate(&s.bob, &challenge, "bob").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the callback redirects");
    assert!(!back.contains("signed="), "not signed: {back}");
    assert_eq!(back, format!("/inbox?reauth={reason}"));

    let row = challenges::find(s.app.db.pool(), &challenge)
        .await
        .expect("query the challenge")
        .expect("the challenge exists");
    assert_eq!(row.verified_at, None, "the challenge is not verified");
    assert_eq!(row.evidence_json, None, "no evidence is kept");

    let (status, body) = complete(&s, &challenge).await;
    assert_ne!(status, StatusCode::OK, "completion must be refused: {body}");
    assert_nothing_approved(&s).await;
}

/// bob re-authenticates with the proxy handing the app `forgery`, and completes.
async fn assert_signs(forgery: Forgery) {
    let s = scene().await;
    let challenge = approve(&s).await;
    s.arm(forgery);

    let (status, back) = reauthenticate(&s.bob, &challenge, "bob").await;
    assert_eq!(
        (status, back),
        (StatusCode::SEE_OTHER, format!("/inbox?signed={challenge}"))
    );
    let (status, body) = complete(&s, &challenge).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(task_state(&s).await, TaskState::Approved);
    assert_eq!(approvals_recorded(&s).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reauthentication_token_passed_through_untouched_signs_the_approval() {
    assert_signs(Forgery::Untouched).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reauthentication_token_re_signed_with_the_providers_key_signs_the_approval() {
    assert_signs(Forgery::Resigned).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reauthentication_token_with_a_wrong_nonce_is_refused() {
    assert_refused(
        Forgery::Claims(|claims| {
            claims.insert("nonce".into(), json!("not-the-nonce-of-this-round-trip"));
        }),
        "refused",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reauthentication_token_for_another_audience_is_refused() {
    assert_refused(
        Forgery::Claims(|claims| {
            claims.insert("aud".into(), json!("another-client"));
        }),
        "refused",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reauthentication_token_from_another_issuer_is_refused() {
    assert_refused(
        Forgery::Claims(|claims| {
            claims.insert("iss".into(), json!("https://evil.example"));
        }),
        "refused",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reauthentication_token_signed_by_another_key_is_refused() {
    assert_refused(Forgery::OtherKeySameKid, "refused").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reauthentication_token_signed_by_an_unknown_key_is_refused() {
    assert_refused(Forgery::OtherKeyUnknownKid, "refused").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_alg_none_reauthentication_token_is_refused() {
    assert_refused(Forgery::AlgNone, "refused").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hs256_reauthentication_token_signed_with_the_client_secret_is_refused() {
    assert_refused(Forgery::Hs256WithClientSecret, "refused").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs256_signed_id_token_is_refused_at_reauthentication_even_when_discovery_lists_hs256() {
    assert_refused_advertised(
        Forgery::Hs256WithClientSecret,
        Discovery::AlsoSymmetricAndNone,
        "refused",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reauthentication_token_with_a_stale_auth_time_is_refused() {
    assert_refused(
        Forgery::Claims(|claims| {
            claims.insert("auth_time".into(), json!(now() - 3600));
        }),
        "not-fresh",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reauthentication_token_without_auth_time_is_refused() {
    assert_refused(
        Forgery::Claims(|claims| {
            claims.remove("auth_time");
        }),
        "no-auth-time",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reauthentication_token_for_another_subject_is_refused() {
    assert_refused(
        Forgery::Claims(|claims| {
            claims.insert("sub".into(), json!("dave"));
        }),
        "wrong-person",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_reauthentication_token_is_refused() {
    assert_refused(
        Forgery::Claims(|claims| {
            claims.insert("iat".into(), json!(now() - 7200));
            claims.insert("exp".into(), json!(now() - 3600));
        }),
        "refused",
    )
    .await;
}

/// A genuine re-authentication for bob's approval; returns the verified challenge.
async fn genuinely_signed(s: &Scene) -> String {
    let challenge = approve(s).await;
    let (status, back) = reauthenticate(&s.bob, &challenge, "bob").await;
    assert_eq!(
        (status, back),
        (StatusCode::SEE_OTHER, format!("/inbox?signed={challenge}"))
    );
    challenge
}

// Two worker threads: the two completions really run at the same time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_completions_of_one_proof_approve_once() {
    let s = scene().await;
    let challenge = genuinely_signed(&s).await;

    let (first, second) = tokio::join!(complete(&s, &challenge), complete(&s, &challenge));
    // One runs the approval; the other either finds it done already or, when
    // both read the proof unspent, is refused by the conditional consume. Never
    // a server error, never two approvals.
    let statuses = [first.0, second.0];
    assert!(
        statuses.contains(&StatusCode::OK),
        "one completion counts: {first:?} / {second:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || s.is_client_error()),
        "the other is refused or already done, not failed: {first:?} / {second:?}"
    );

    assert_eq!(task_state(&s).await, TaskState::Approved);
    assert_eq!(approvals_recorded(&s).await, 1, "approved once");
    let row = challenges::find(s.app.db.pool(), &challenge)
        .await
        .expect("query the challenge")
        .expect("the challenge exists");
    assert!(row.consumed_at.is_some(), "the proof is spent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_challenge_cannot_be_completed() {
    let s = scene().await;
    let challenge = genuinely_signed(&s).await;

    let expired = sqlx::query("UPDATE reauth_challenges SET expires_at = $1 WHERE id = $2")
        .bind(now_epoch() - 60)
        .bind(challenge.as_str())
        .execute(s.app.db.pool())
        .await
        .expect("expire the challenge");
    assert_eq!(expired.rows_affected(), 1, "the challenge is expired");

    let (status, body) = complete(&s, &challenge).await;
    assert_ne!(status, StatusCode::OK, "completion must be refused: {body}");
    assert_nothing_approved(&s).await;
    let row = challenges::find(s.app.db.pool(), &challenge)
        .await
        .expect("query the challenge")
        .expect("the challenge exists");
    assert_eq!(row.consumed_at, None, "the expired proof is not spent");
}
