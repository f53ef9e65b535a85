//! What an operator's proxy and monitoring see: `/readyz` says why a replica
//! must not take traffic, `/metrics` is never public by default and its numbers
//! move with the work the app does.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    reauth::{approve, challenge_in, reauthenticate, scene},
    support::TestApp,
};

const TOKEN: &str = "metrics-token-0123456789abcdef0123456789";

async fn not_ready_because(app: &TestApp) -> String {
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    body["reason"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_ready_with_the_database_current_and_the_provider_answering() {
    let app = TestApp::spawn().await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.db.close().await;

    let reason = not_ready_because(&app).await;

    assert!(reason.starts_with("database unreachable"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_503_while_a_migration_has_not_run() {
    let app = TestApp::spawn().await;
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(app.db.pool())
    .await
    .unwrap();

    let reason = not_ready_because(&app).await;

    assert!(reason.contains("1 migration(s) not run"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_503_when_a_newer_release_migrated_the_database() {
    let app = TestApp::spawn().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations \
           (version, description, installed_on, success, checksum, execution_time) \
         SELECT 99990101000001, 'from a newer release', installed_on, success, checksum, \
                execution_time \
         FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(app.db.pool())
    .await
    .unwrap();

    let reason = not_ready_because(&app).await;

    assert!(reason.contains("newer than this release"), "{reason}");
    assert!(reason.contains("99990101000001"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_503_when_provider_discovery_is_not_fresh_and_recovers() {
    let mut app = TestApp::spawn().await;
    // Nothing asked the provider yet: no discovery document at all.
    let port = app.stop_provider().await;

    let reason = not_ready_because(&app).await;
    assert!(
        reason.starts_with("identity provider discovery not fresh"),
        "{reason}"
    );

    app.start_provider(port, &[]).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_not_served_on_the_public_address_by_default() {
    let app = TestApp::spawn().await;

    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_the_public_address_need_the_bearer_token() {
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_METRICS_TOKEN", TOKEN)])
        .spawn()
        .await;
    let scrape = |token: Option<String>| {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    let anonymous = scrape(None).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Bearer realm=\"metrics\""
    );
    let wrong = scrape(Some(format!("{TOKEN}x"))).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = scrape(Some(TOKEN.to_owned())).await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("# TYPE countersign_http_requests counter")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listen_on_their_own_address_and_stay_off_the_public_one() {
    let metrics_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_METRICS_ADDR", &metrics_addr)])
        .spawn()
        .await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    let scraped = scrape(&format!("http://{metrics_addr}/metrics")).await;

    assert!(
        scraped.contains(
            "countersign_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{scraped}"
    );
    assert!(scraped.contains("countersign_db_pool_connections_idle"));
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}

async fn scrape(url: &str) -> String {
    let response = reqwest::get(url).await.expect("the metrics listener");
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

fn value_of(scraped: &str, series: &str) -> f64 {
    scraped
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{scraped}"))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_with_an_e_signed_approval() {
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_METRICS_TOKEN", TOKEN)])
        .spawn()
        .await;
    let s = scene(app).await;
    let metrics = || async {
        let response = s
            .app
            .client
            .get(s.app.url("/metrics"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        response.text().await.unwrap()
    };
    let before = metrics().await;
    assert_eq!(value_of(&before, "countersign_approval_tasks_pending"), 1.0);
    assert_eq!(
        value_of(
            &before,
            "countersign_reauth_outcomes_total{outcome=\"tested\"}"
        ),
        1.0
    );

    let (status, body) = approve(&s).await;
    assert_ne!(status, StatusCode::OK);
    let challenge = challenge_in(&body);
    reauthenticate(&s.bob, &challenge, "bob").await;
    let (status, body) = s
        .bob
        .server_fn(
            "/api/signed/complete",
            &[("challenge_id", challenge.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let after = metrics().await;
    assert_eq!(value_of(&after, "countersign_approval_tasks_pending"), 0.0);
    assert_eq!(
        value_of(
            &after,
            "countersign_reauth_outcomes_total{outcome=\"verified\"}"
        ),
        1.0
    );
    // Counted by the route's template; the challenge id never becomes a label.
    assert!(
        after.contains("route=\"/auth/reauth/{challenge_id}\""),
        "{after}"
    );
    assert!(!after.contains(&challenge));
    assert!(after.contains("countersign_http_request_duration_seconds_bucket"));
}
