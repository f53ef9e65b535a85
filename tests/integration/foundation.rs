use reqwest::StatusCode;

use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_reports_a_reachable_database() {
    let app = TestApp::spawn().await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.db.close().await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_page_is_rendered_on_the_server_with_the_shell() {
    let app = TestApp::builder().signed_in_as("alice").spawn().await;

    let response = app.get("/").await;

    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("<title>Home · Countersign</title>"), "{html}");
    for nav in ["Catalog", "My requests", "Inbox"] {
        assert!(html.contains(nav), "navigation lacks {nav}");
    }
    assert!(
        !html.contains(">Admin<"),
        "alice is no admin: no Admin link leading to a 403"
    );
    // The build's names, hashed or not (src/assets.rs).
    assert!(html.contains("<link rel=\"stylesheet\" id=\"countersign\" href=\"/pkg/countersign"));
    assert!(html.contains("_bg.wasm") && html.contains("/pkg/countersign"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_see_the_admin_and_audit_links() {
    let app = TestApp::builder().signed_in_as("carol").spawn().await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(
        html.contains(">Admin<") && html.contains(">Audit<"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_page_answers_404_with_a_page_that_says_so() {
    let app = TestApp::builder().signed_in_as("alice").spawn().await;

    let response = app.get("/no/such/page").await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_post_is_refused_before_it_reaches_a_handler() {
    let app = TestApp::spawn().await;

    let response = app
        .client
        .post(app.url("/api/anything"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_twice_without_harm() {
    let app = TestApp::spawn().await;

    app.db
        .migrate()
        .await
        .expect("second migration run is a no-op");

    assert_eq!(app::db::users::count(&app.db).await.unwrap(), 0);
}
