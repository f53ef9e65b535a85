//! Security headers on every kind of response, the CSP nonce on every inline
//! script, and the no-JavaScript error round trip (`?__err=`) that must not
//! render text an attacker chose.

use base64::{Engine, engine::general_purpose::URL_SAFE};
use reqwest::{StatusCode, header::HeaderMap};

use crate::support::TestApp;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

fn assert_secured(what: &str, headers: &HeaderMap) {
    let csp = header(headers, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{what}: {csp}");
    assert!(csp.contains("'nonce-"), "{what}: {csp}");
    assert!(csp.contains("style-src 'self';"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(
        header(headers, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    assert_eq!(header(headers, "referrer-policy"), "same-origin", "{what}");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "{what}: no HSTS over plain http"
    );
}

fn nonce_of(headers: &HeaderMap) -> String {
    let csp = header(headers, "content-security-policy");
    csp.split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the CSP")
        .to_owned()
}

/// Every `<script …>` tag of the page carries exactly `nonce`.
fn assert_scripts_carry(page: &str, nonce: &str) {
    let tags: Vec<&str> = page
        .split("<script")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or_default())
        .collect();
    assert!(!tags.is_empty(), "the page has scripts: {page}");
    for tag in tags {
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "<script{tag}> lacks the response's nonce {nonce}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let anonymous = app.new_browser();
    app.sign_in("bob").await;

    let page = app.get("/").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_secured("a page", page.headers());
    assert_secured("/healthz", app.get("/healthz").await.headers());
    let server_fn = app
        .client
        .post(app.url("/api/session/who_am_i"))
        .header("origin", app.origin())
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(server_fn.status(), StatusCode::OK);
    assert_secured("a server function", server_fn.headers());
    let api = anonymous.get("/api/v1/access-items").await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_secured("/api/v1", api.headers());
    let missing = app.get("/no-such-page").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_secured("a 404", missing.headers());
    assert_secured("/pkg", app.get("/pkg/countersign.css").await.headers());
    let refused = anonymous.server_fn("/api/inbox/list", &[]).await;
    assert_eq!(refused.0, StatusCode::UNAUTHORIZED);
    let refused = anonymous
        .client
        .post(anonymous.url("/api/inbox/list"))
        .send()
        .await
        .unwrap();
    assert_secured("a refused server function", refused.headers());
    let redirect = anonymous.get("/inbox").await;
    assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
    assert_secured("a redirect to sign in", redirect.headers());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csp_nonce_is_on_every_script_and_new_on_every_response() {
    let app = TestApp::builder().signed_in_as("bob").spawn().await;

    let first = app.get("/inbox").await;
    let first_nonce = nonce_of(first.headers());
    let first_page = first.text().await.unwrap();
    let second = app.get("/inbox").await;
    let second_nonce = nonce_of(second.headers());
    let second_page = second.text().await.unwrap();
    // A page the sign-in edge renders itself (an expired sign-in).
    let problem = app.new_browser().get("/auth/callback?state=x&code=y").await;
    let problem_nonce = nonce_of(problem.headers());
    let problem_page = problem.text().await.unwrap();

    assert_scripts_carry(&first_page, &first_nonce);
    assert_scripts_carry(&second_page, &second_nonce);
    assert_scripts_carry(&problem_page, &problem_nonce);
    assert_ne!(first_nonce, second_nonce);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_PUBLIC_URL", "https://countersign.example")])
        .spawn()
        .await;

    let response = app.get("/healthz").await;

    assert_eq!(
        header(response.headers(), "strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crafted_form_error_link_shows_no_attacker_text_and_navigates_nowhere() {
    let app = TestApp::builder().signed_in_as("bob").spawn().await;
    let attacker = "Your approval failed: call +1 555 0100 with your password";
    for error in [
        serde_json::json!({ "Invalid": attacker }),
        serde_json::json!({ "Conflict": attacker }),
        serde_json::json!({ "Field": { "field": "comment", "message": attacker } }),
        serde_json::json!({ "ReauthRequired": { "challenge_id": "../../evil" } }),
    ] {
        let err = URL_SAFE.encode(error.to_string());
        let crafted = format!("/inbox?__path=%2Fapi%2Finbox%2Fdecide&__err={err}");

        let response = app.get(&crafted).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{error}");
        let sanitised = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(!sanitised.contains(&err), "{sanitised}");
        let page = app.get(&sanitised).await;
        assert_eq!(page.status(), StatusCode::OK, "{sanitised}");
        let html = page.text().await.unwrap();

        assert!(
            !html.contains("555 0100"),
            "attacker text rendered: {error}"
        );
        assert!(!html.contains("evil"), "attacker path rendered: {error}");
    }
}
