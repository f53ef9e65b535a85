//! Sign-in through the real local OIDC provider, over HTTP.

use std::sync::{Arc, Mutex, PoisonError};

use app::db::users;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::StatusCode;

use crate::{
    hostile_tokens::{Discovery, ProxiedProvider},
    idp,
    support::TestApp,
};

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn signed_in_count(app: &TestApp) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE data LIKE '%signed_in%'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_demo_user_signs_in_with_the_roles_of_their_groups() {
    let expected = [
        ("alice", "Alice Example", "(requester)"),
        ("bob", "Bob Example", "(requester, approver)"),
        ("dave", "Dave Example", "(requester, approver)"),
        ("carol", "Carol Example", "(requester, admin)"),
        ("erin", "Erin Example", "(requester, auditor)"),
    ];
    for (login, name, roles) in expected {
        let app = TestApp::spawn().await;
        app.sign_in(login).await;

        let html = app.get("/").await.text().await.unwrap();

        assert!(html.contains(name), "{login}: header lacks the name");
        assert!(html.contains(roles), "{login}: header lacks {roles}");
        let issuer = app.issuer();
        let user = users::find_by_identity(&app.db, &issuer, login)
            .await
            .unwrap();
        assert_eq!(user.map(|u| u.name), Some(name.to_owned()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_asked_for_anonymously_leads_to_sign_in_and_back() {
    let app = TestApp::spawn().await;

    let response = app.get("/inbox?page=2").await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/auth/login?next=%2Finbox%3Fpage%3D2");
    let (form, form_url) = app.open_sign_in("%2Finbox%3Fpage%3D2").await;
    let callback = idp::submit_login(
        &app.client,
        form,
        &form_url,
        "alice",
        idp::PASSWORD,
        &app.origin(),
    )
    .await
    .unwrap();
    let back = app.client.get(&callback).send().await.unwrap();
    assert_eq!(location(&back), "/inbox?page=2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_rotates_the_session_id() {
    let app = TestApp::spawn().await;
    let callback = app.callback_for("alice", idp::PASSWORD).await.unwrap();
    let before = app
        .session_cookie()
        .expect("a session holds the pending sign-in");

    app.client.get(&callback).send().await.unwrap();

    let after = app.session_cookie().expect("signed-in session");
    assert_ne!(before, after);
    let old = app.get_with_cookie("/", &before).await;
    assert_eq!(
        old.status(),
        StatusCode::SEE_OTHER,
        "the pre-login id must not be signed in"
    );
    let new = app.get_with_cookie("/", &after).await;
    assert_eq!(new.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_is_http_only_and_same_site_lax() {
    let app = TestApp::spawn().await;

    let response = app.get("/auth/login").await;

    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("countersign_session="))
        .expect("session cookie set")
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain-http demo cannot use Secure: {cookie}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_ends_the_session_on_the_server() {
    let app = TestApp::builder().signed_in_as("bob").spawn().await;
    let cookie = app.session_cookie().unwrap();

    let response = app
        .client
        .post(app.url("/auth/logout"))
        .header("origin", app.origin())
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let issuer = app.issuer();
    assert!(
        location(&response).starts_with(&format!("{issuer}/session/end")),
        "{}",
        location(&response)
    );
    let replay = app.get_with_cookie("/", &cookie).await;
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in_count(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_cross_site_sign_out_is_refused() {
    let app = TestApp::builder().signed_in_as("bob").spawn().await;

    let response = app
        .client
        .post(app.url("/auth/logout"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_cross_site_server_function_call_is_refused() {
    let app = TestApp::builder().signed_in_as("carol").spawn().await;

    let forged = app
        .client
        .post(app.url("/api/session/who_am_i"))
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    let own = app
        .client
        .post(app.url("/api/session/who_am_i"))
        .header("origin", app.origin())
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();

    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(own.status(), StatusCode::OK);
    assert!(own.text().await.unwrap().contains("Carol Example"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_pages_answer_403_to_people_without_the_admin_role() {
    let app = TestApp::builder().signed_in_as("alice").spawn().await;

    let response = app.get("/admin").await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("You do not have access to this page")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_pages_open_for_admins() {
    let app = TestApp::builder().signed_in_as("carol").spawn().await;

    let response = app.get("/admin").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("Administration"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_at_the_provider_says_so_and_signs_nobody_in() {
    let app = TestApp::spawn().await;
    let (form, form_url) = app.open_sign_in("/").await;
    let html = form.text().await.unwrap();
    assert!(html.contains("/abort"));
    let abort = format!("{form_url}/abort");

    let response = app.client.post(&abort).send().await.unwrap();
    let (page, _) = idp::follow(&app.client, location_abs(&abort, &response), "never:").await;

    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Sign-in cancelled"));
    assert_eq!(app.get("/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(users::count(&app.db).await.unwrap(), 0);
}

fn location_abs(base: &str, response: &reqwest::Response) -> String {
    url::Url::parse(base)
        .unwrap()
        .join(&location(response))
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused_by_the_provider() {
    let app = TestApp::spawn().await;

    let result = app.callback_for("alice", "not-the-password").await;

    assert!(result.is_err());
    assert_eq!(users::count(&app.db).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_whose_state_does_not_match_is_refused() {
    let app = TestApp::spawn().await;
    let callback = app.callback_for("alice", idp::PASSWORD).await.unwrap();
    let mut forged = url::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let forged = k == "state";
            (
                k.into_owned(),
                if forged {
                    "forged".into()
                } else {
                    v.into_owned()
                },
            )
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);

    let response = app.client.get(forged.as_str()).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("Sign-in refused"));
    assert_eq!(users::count(&app.db).await.unwrap(), 0);
    assert_eq!(app.get("/").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_used_twice_signs_in_once() {
    let app = TestApp::spawn().await;
    let callback = app.callback_for("alice", idp::PASSWORD).await.unwrap();
    assert_eq!(
        app.client.get(&callback).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );

    let again = app.client.get(&callback).send().await.unwrap();

    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("Sign-in expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_code_is_refused_by_the_provider() {
    let app = TestApp::spawn().await;
    let stolen = app.callback_for("alice", idp::PASSWORD).await.unwrap();
    assert_eq!(
        app.client.get(&stolen).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    // An attacker with the used code starts a sign-in of their own, so the state matches.
    let attacker = app.new_browser();
    let start = attacker.get("/auth/login").await;
    let state = url::Url::parse(&location(&start))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let mut replay = url::Url::parse(&stolen).unwrap();
    let code = replay
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    replay
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", &state);

    let response = attacker.client.get(replay.as_str()).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(signed_in_count(&app).await, 1, "only alice's own session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_down_gives_a_503_page_and_signed_in_people_keep_working() {
    let mut app = TestApp::builder().signed_in_as("alice").spawn().await;
    let port = app.stop_provider().await;

    let stranger = app.new_browser();
    let refused = stranger.get("/auth/login").await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.text().await.unwrap().contains("cannot be reached"));
    assert_eq!(
        app.get("/").await.status(),
        StatusCode::OK,
        "alice keeps working"
    );

    // Back again (new process, new signing key): sign-in works, the new key is fetched.
    app.start_provider(port, &[]).await;
    let other = app.new_browser();
    other.sign_in("bob").await;
    assert!(
        other
            .get("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("Bob Example")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_that_browsers_would_take_to_another_site_returns_home_after_sign_in() {
    // As an attacker would put them in a link: a tab, a backslash and an encoded
    // slash each turn `/…/evil.example` into `//evil.example` in a browser.
    for next in [
        "/%09/evil.example",
        "/%5C/evil.example",
        "/%252F/evil.example",
    ] {
        let app = TestApp::spawn().await;
        let (form, form_url) = app.open_sign_in(next).await;
        let callback = idp::submit_login(
            &app.client,
            form,
            &form_url,
            "alice",
            idp::PASSWORD,
            &app.origin(),
        )
        .await
        .unwrap();

        let back = app.client.get(&callback).send().await.unwrap();

        assert_eq!(back.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&back), "/", "{next} must not lead off the site");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_sends_the_sign_ins_id_token_as_id_token_hint() {
    // The proxy relays the provider's ID tokens untouched and remembers them.
    let issued: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = issued.clone();
    let builder = TestApp::builder();
    let proxied =
        ProxiedProvider::start(builder.origin(), Discovery::AsPublished, move |_, real| {
            seen.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(real.to_owned());
            real.to_owned()
        })
        .await;
    let (provider, _key_file) = proxied.into_parts();
    let app = builder.with_provider(provider).spawn().await;
    app.sign_in("alice").await;

    let response = app
        .client
        .post(app.url("/auth/logout"))
        .header("origin", app.origin())
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let end_session = url::Url::parse(&location(&response)).unwrap();
    assert!(
        end_session
            .as_str()
            .starts_with(&format!("{}/session/end", app.issuer())),
        "{end_session}"
    );
    let hint = end_session
        .query_pairs()
        .find(|(k, _)| k == "id_token_hint")
        .map(|(_, v)| v.into_owned())
        .expect("the sign-out names the sign-in's ID token");
    let issued = issued
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert_eq!(issued, vec![hint.clone()], "the one token of the sign-in");
    let claims: serde_json::Value = hint
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .expect("the hint is a JWT");
    assert_eq!(claims["sub"], "alice");
}

/// The idle limit ends sessions nobody uses, never one in use: a request made
/// when the window was last pushed back minutes ago pushes it back again (and
/// sends the cookie with its new lifetime); requests in between write nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_in_use_has_its_idle_window_pushed_back() {
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_SESSION_IDLE_MINUTES", "60")])
        .signed_in_as("alice")
        .spawn()
        .await;
    let now = chrono::Utc::now().timestamp();
    // Alice last used it 50 minutes ago: ten minutes of the window are left.
    let (id, data): (String, String) =
        sqlx::query_as("SELECT id, data FROM sessions WHERE data LIKE '%signed_in%'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    let mut data: serde_json::Value = serde_json::from_str(&data).unwrap();
    data["touched_at"] = serde_json::json!(now - 50 * 60);
    sqlx::query("UPDATE sessions SET data = $1, expires_at = $2 WHERE id = $3")
        .bind(data.to_string())
        .bind(now + 10 * 60)
        .bind(&id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let expires_at = || async {
        let (at,): (i64,) = sqlx::query_as("SELECT expires_at FROM sessions WHERE id = $1")
            .bind(&id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        at
    };
    let sets_cookie = |response: &reqwest::Response| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|c| c.to_str().ok())
            .any(|c| c.starts_with("countersign_session=") && c.contains("Max-Age="))
    };

    let used = app.get("/catalog").await;
    assert_eq!(used.status(), StatusCode::OK);
    assert!(sets_cookie(&used), "the cookie's lifetime is renewed");
    let renewed = expires_at().await;
    assert!(
        renewed >= now + 59 * 60,
        "a whole idle window from now: {}",
        renewed - now
    );

    let again = app.get("/catalog").await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(!sets_cookie(&again), "nothing to renew a moment later");
    assert_eq!(expires_at().await, renewed, "no write a moment later");
}

/// A session nobody used for its whole idle window is over: the next request
/// finds nobody signed in and is sent to sign in again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_unused_for_its_idle_window_is_signed_out() {
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_SESSION_IDLE_MINUTES", "60")])
        .signed_in_as("alice")
        .spawn()
        .await;
    assert_eq!(app.get("/catalog").await.status(), StatusCode::OK);
    // Alice last used it an hour and a second ago.
    let now = chrono::Utc::now().timestamp();
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE data LIKE '%signed_in%'")
        .bind(now - 1)
        .execute(app.db.pool())
        .await
        .unwrap();

    let idle = app.get("/catalog").await;

    assert_eq!(idle.status(), StatusCode::SEE_OTHER);
    assert!(
        idle.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/auth/login"),
        "sent to sign in again"
    );
}
