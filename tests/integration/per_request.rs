//! What one request costs the database, counted statement by statement
//! (`statements.rs`): a page's queries do not grow with its rows, the caller's
//! row is read once, a gated page renders (and queries) once, and reading the
//! API does not write on every call.

use app::types::Role;
use reqwest::StatusCode;

use crate::{statements::Statements, support::TestApp};

/// The guard's read of the caller: the person's row by id.
const USER_ROW: &str = "FROM users WHERE id = $1";

/// Carol (admin) and Bob (approver) have signed in; Bob approves `items` items,
/// and Carol waits for two of them.
async fn organisation(items: usize) -> TestApp {
    let app = TestApp::builder().signed_in_as("carol").spawn().await;
    app.new_browser().sign_in("bob").await;
    let carol = app.person("carol", &[Role::Admin]).await;
    let bob = app.person("bob", &[Role::Approver]).await;
    for i in 0..items {
        let item = app.item_approved_by(&format!("Item {i:02}"), &bob).await;
        if i < 2 {
            app.pending_request(&carol, &item, "For the quarterly report")
                .await;
        }
    }
    app
}

async fn statements_of(app: &TestApp, path: &str) -> crate::statements::Counted {
    let mut statements = Statements::watch();
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("the whole page");
    statements.of_next(path).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalog_page_costs_the_same_few_statements_however_many_rows_it_shows() {
    let few = organisation(3).await;
    let many = organisation(20).await;

    let with_few = statements_of(&few, "/catalog").await;
    let with_many = statements_of(&many, "/catalog").await;

    assert_eq!(with_few.count(), with_many.count(), "{with_few}{with_many}");
    // The session, the caller, the navigation (inbox count, reports), the page
    // of items and the caller's standing on them, the organisation's
    // configuration (whether approvals are e-signed).
    assert!(with_many.count() <= 7, "{with_many}");
    assert_eq!(with_many.matching(USER_ROW), 1, "{with_many}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_row_is_read_once_per_page() {
    let app = organisation(2).await;

    for path in ["/", "/inbox", "/tokens"] {
        let counted = statements_of(&app, path).await;
        assert_eq!(counted.matching(USER_ROW), 1, "{counted}");
    }
}

/// Bob (signed in) approves `pending` requests of Carol's, one per item.
async fn inbox_of(pending: usize) -> TestApp {
    let app = TestApp::builder().signed_in_as("bob").spawn().await;
    app.new_browser().sign_in("carol").await;
    let carol = app.person("carol", &[Role::Admin]).await;
    let bob = app.person("bob", &[Role::Approver]).await;
    for i in 0..pending {
        let item = app.item_approved_by(&format!("Item {i:02}"), &bob).await;
        app.pending_request(&carol, &item, "For the quarterly report")
            .await;
    }
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_costs_the_same_statements_however_many_tasks_wait_and_reads_the_configuration_once()
 {
    let few = inbox_of(2).await;
    let many = inbox_of(30).await;

    let with_few = statements_of(&few, "/inbox").await;
    let with_many = statements_of(&many, "/inbox").await;

    assert_eq!(with_few.count(), with_many.count(), "{with_few}{with_many}");
    assert_eq!(with_many.matching("FROM org_config"), 1, "{with_many}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_is_read_once_per_page() {
    let app = organisation(1).await;

    let counted = statements_of(&app, "/audit").await;

    assert_eq!(counted.matching("FROM audit_log"), 1, "{counted}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokens_use_is_written_once_in_a_few_minutes_not_on_every_read() {
    let app = TestApp::builder().signed_in_as("carol").spawn().await;
    let token = app.create_token("carol", "CI").await;
    let client = reqwest::Client::new();
    let read = || async {
        let mut statements = Statements::watch();
        let response = client
            .get(app.url("/api/v1/access-items"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("the API answers");
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.expect("the body");
        statements.of_next("/api/v1/access-items").await
    };
    const WRITE: &str = "UPDATE personal_access_tokens SET last_used_at";

    let first = read().await;
    let second = read().await;

    assert_eq!(
        first.matching(WRITE),
        1,
        "the first use is recorded: {first}"
    );
    assert_eq!(
        second.matching(WRITE),
        0,
        "a moment later, no write: {second}"
    );
    let (used,): (Option<i64>,) = sqlx::query_as("SELECT last_used_at FROM personal_access_tokens")
        .fetch_one(app.db.pool())
        .await
        .expect("the token");
    assert!(used.is_some(), "the token's page shows when it was used");

    // Minutes later, a use is recorded again.
    sqlx::query("UPDATE personal_access_tokens SET last_used_at = last_used_at - 600")
        .execute(app.db.pool())
        .await
        .expect("set the last use back");
    let later = read().await;
    assert_eq!(later.matching(WRITE), 1, "{later}");
}

/// Carol (signed in) has asked for `requests` items, each approved by Bob.
async fn requests_of(requests: usize) -> TestApp {
    let app = TestApp::builder().signed_in_as("carol").spawn().await;
    app.new_browser().sign_in("bob").await;
    let carol = app.person("carol", &[Role::Admin]).await;
    let bob = app.person("bob", &[Role::Approver]).await;
    for i in 0..requests {
        let item = app.item_approved_by(&format!("Item {i:02}"), &bob).await;
        app.pending_request(&carol, &item, "For the quarterly report")
            .await;
    }
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_requests_cost_the_same_statements_however_many_rows_the_page_shows() {
    let few = requests_of(2).await;
    let many = requests_of(12).await;

    let with_few = statements_of(&few, "/requests").await;
    let with_many = statements_of(&many, "/requests").await;

    assert_eq!(with_few.count(), with_many.count(), "{with_few}{with_many}");
    // Every row's steps, with their approvers' names, in one statement.
    assert_eq!(
        with_many.matching("WHERE t.request_id IN"),
        1,
        "{with_many}"
    );
    // The session, the caller, the navigation (reports, inbox count), the page
    // of requests, their steps; the session's idle window pushed back.
    assert!(with_many.count() <= 7, "{with_many}");
}
