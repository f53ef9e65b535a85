//! Sign-in and the API are rate limited per client address (and the API per
//! token): over the limit, `429` with `Retry-After`; `X-Forwarded-For` counts
//! only when a trusted proxy sends it.

use reqwest::StatusCode;

use crate::support::TestApp;

/// GET `path` with this `X-Forwarded-For` (none: without the header).
async fn get_from(app: &TestApp, path: &str, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    request.send().await.expect("the app answers")
}

fn assert_throttled(response: &reqwest::Response) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_sign_ins_is_answered_429_with_retry_after() {
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_RATE_LIMIT_SIGN_IN_PER_MINUTE", "3")])
        .spawn()
        .await;
    for _ in 0..3 {
        let response = get_from(&app, "/auth/login", None).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }

    assert_throttled(&get_from(&app, "/auth/login", None).await);
    // The callback shares the sign-in budget; other pages are not limited.
    assert_throttled(&get_from(&app, "/auth/callback?code=x&state=y", None).await);
    assert_eq!(
        get_from(&app, "/healthz", None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_RATE_LIMIT_SIGN_IN_PER_MINUTE", "2")])
        .spawn()
        .await;
    get_from(&app, "/auth/login", Some("203.0.113.1")).await;
    get_from(&app, "/auth/login", Some("203.0.113.2")).await;

    // A new address claimed each time: still the same peer, still limited.
    assert_throttled(&get_from(&app, "/auth/login", Some("203.0.113.3")).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_s_forwarded_for_names_the_client() {
    let app = TestApp::builder()
        .with_config(&[
            ("COUNTERSIGN_RATE_LIMIT_SIGN_IN_PER_MINUTE", "2"),
            ("COUNTERSIGN_TRUSTED_PROXIES", "127.0.0.1/32"),
        ])
        .spawn()
        .await;
    for _ in 0..2 {
        let response = get_from(&app, "/auth/login", Some("203.0.113.1")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }

    assert_throttled(&get_from(&app, "/auth/login", Some("203.0.113.1")).await);
    // Another client behind the same proxy has its own budget, whatever the
    // first one wrote to the left of the header.
    let other = get_from(&app, "/auth/login", Some("198.51.100.9, 203.0.113.2")).await;
    assert_eq!(other.status(), StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_api_token_is_limited_from_any_address() {
    let app = TestApp::builder()
        .with_config(&[
            ("COUNTERSIGN_RATE_LIMIT_API_PER_MINUTE", "2"),
            ("COUNTERSIGN_TRUSTED_PROXIES", "127.0.0.1"),
        ])
        .spawn()
        .await;
    let call = |from: &'static str| {
        app.client
            .get(app.url("/api/v1/access-items"))
            .header("x-forwarded-for", from)
            .bearer_auth("cs_pat_guessing")
            .send()
    };
    assert_eq!(
        call("203.0.113.1").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call("203.0.113.2").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    assert_throttled(&call("203.0.113.3").await.unwrap());
}
