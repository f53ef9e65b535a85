//! The audit trail over HTTP and from the command line: export of the current
//! filter, who may read it, and `countersign audit verify` finding tampering.

use app::{
    db::audit::{AuditFilter, list},
    domain::items::{self, ItemInput},
    types::Role,
};
use reqwest::StatusCode;

use crate::support::TestApp;

async fn with_items(app: &TestApp, n: usize) {
    app.sign_in("carol").await;
    with_items_named(app, "Role", n).await;
}

/// `n` items made by carol (who must have signed in).
async fn with_items_named(app: &TestApp, prefix: &str, n: usize) {
    let carol = app.person("carol", &[Role::Admin]).await;
    for i in 0..n {
        items::create(
            &app.db,
            &carol,
            &ItemInput {
                kind: "role".into(),
                name: format!("{prefix} {i}, \"quoted\""),
                description: "=cmd|' /C calc'!A0".into(),
                owner_id: String::new(),
                requestable: false,
                enabled: true,
            },
        )
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_exactly_the_filtered_records() {
    let app = TestApp::spawn().await;
    with_items(&app, 3).await;
    let erin = app.new_browser();
    erin.sign_in("erin").await;
    let filter = AuditFilter {
        action: Some("item.created".into()),
        ..Default::default()
    };
    let expected = list(app.db.pool(), &filter, None, 1000).await.unwrap();
    assert_eq!(expected.len(), 3);

    let json = erin.get("/audit/export.json?action=item.created").await;
    assert_eq!(json.status(), StatusCode::OK);
    let records: Vec<app::types::AuditRecord> = json.json().await.unwrap();
    assert_eq!(records, expected);

    let csv = erin
        .get("/audit/export.csv?action=item.created")
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("seq,at_utc,actor_name"));
    assert_eq!(lines.len(), 1 + 3, "a header and one line per record");
    assert!(
        csv.contains(r#"\""quoted\"""#),
        "quotes are doubled inside a quoted cell"
    );
    let none = erin
        .get("/audit/export.json?action=no.such")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(none, "[]", "an empty export is still valid JSON");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_is_refused_to_people_who_are_not_auditors_or_admins() {
    let app = TestApp::builder().signed_in_as("alice").spawn().await;
    assert_eq!(
        app.get("/audit/export.csv").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/audit").await.status(), StatusCode::FORBIDDEN);
    let call = app
        .client
        .post(app.url("/api/audit/list"))
        .header("origin", app.origin())
        .form(&[
            ("action", ""),
            ("item_id", ""),
            ("request_id", ""),
            ("actor_id", ""),
            ("from", ""),
            ("until", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(call.status(), StatusCode::OK);
    assert!(call.text().await.unwrap().contains("Forbidden"));
}

/// Runs `countersign audit <args>` against the app's database and provider;
/// whether it succeeded, and what it printed.
pub fn audit_cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    audit_cli_with(app.database_url(), &app.issuer(), args)
}

/// [`audit_cli`] trusting the provider at `issuer` (which may be down).
pub fn audit_cli_with(database_url: &str, issuer: &str, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_countersign"))
        .arg("audit")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("OIDC_ISSUER_URL", issuer)
        .env("OIDC_CLIENT_ID", crate::idp::CLIENT_ID)
        .env("OIDC_CLIENT_SECRET", crate::idp::CLIENT_SECRET)
        .env("RUST_LOG", "error")
        .output()
        .expect("run countersign");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_passes_a_clean_chain_and_names_the_first_tampered_record() {
    let app = TestApp::spawn().await;
    with_items(&app, 4).await;
    let (ok, out) = audit_cli(&app, &["verify"]);
    assert!(ok, "{out}");
    // carol's sign-in and her four items
    assert!(out.contains("audit chain OK: 5 records"), "{out}");

    // Someone with the database owner's rights: the append-only triggers go first.
    app::db::test_db::drop_audit_guard(&app.db).await.unwrap();
    sqlx::query("UPDATE audit_log SET details_json = '{}' WHERE seq = 3")
        .execute(app.db.pool())
        .await
        .unwrap();
    let (ok, out) = audit_cli(&app, &["verify"]);
    assert!(!ok);
    assert!(out.contains("BROKEN at record 3"), "{out}");

    let (ok, export) = audit_cli(&app, &["export"]);
    assert!(ok);
    assert_eq!(export.lines().count(), 5);
}

async fn tamper(app: &TestApp, sql: &str) {
    app::db::test_db::drop_audit_guard(&app.db).await.unwrap();
    sqlx::query(sql).execute(app.db.pool()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_names_the_record_whose_actor_was_changed() {
    let app = TestApp::spawn().await;
    with_items(&app, 2).await;
    let (last, _) = app::db::audit::head(app.db.pool()).await.unwrap();

    tamper(
        &app,
        &format!("UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = {last}"),
    )
    .await;
    let (ok, out) = audit_cli(&app, &["verify"]);

    assert!(!ok, "{out}");
    assert!(out.contains(&format!("BROKEN at record {last}")), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_head_anchors_the_chain_and_a_rewritten_tail_fails_verify() {
    let app = TestApp::spawn().await;
    with_items(&app, 3).await;
    let (ok, head) = audit_cli(&app, &["head"]);
    assert!(ok, "{head}");
    let head = head.trim().to_owned();
    let (seq, hash) = head.split_once(':').expect("seq:hash");
    let seq: i64 = seq.parse().unwrap();
    assert_eq!(hash.len(), 64, "{head}");
    let (ok, out) = audit_cli(&app, &["verify", "--expect-head", &head]);
    assert!(ok, "{out}");

    // Rewritten from the second-last record on, consistently: the chain alone
    // cannot tell.
    let keep = seq - 2;
    let kept = app::db::audit::find(app.db.pool(), keep)
        .await
        .unwrap()
        .unwrap();
    tamper(&app, &format!("DELETE FROM audit_log WHERE seq > {keep}")).await;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(keep)
        .bind(&kept.hash)
        .execute(app.db.pool())
        .await
        .unwrap();
    with_items_named(&app, "Forged", 3).await;
    let (ok, out) = audit_cli(&app, &["verify"]);
    assert!(ok, "the chain is consistent again: {out}");

    let (ok, out) = audit_cli(&app, &["verify", "--expect-head", &head]);

    assert!(!ok, "{out}");
    assert!(out.contains(&format!("BROKEN at record {seq}")), "{out}");
    assert!(out.contains(&head), "names the anchor: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_treats_empty_filters_as_none_and_refuses_bad_times_clearly() {
    let app = TestApp::spawn().await;
    with_items(&app, 2).await;
    let erin = app.new_browser();
    erin.sign_in("erin").await;

    // What the audit page's links send with no filter chosen: every field, empty.
    let empty = erin
        .get("/audit/export.json?action=&item=&request=&actor=&from=&until=")
        .await;
    assert_eq!(empty.status(), StatusCode::OK);
    let all: Vec<app::types::AuditRecord> = empty.json().await.unwrap();
    let expected = list(app.db.pool(), &AuditFilter::default(), None, 1000)
        .await
        .unwrap();
    assert_eq!(all, expected, "empty filters mean no filter");

    let dated = erin
        .get("/audit/export.json?action=item.created&from=2000-01-01&until=")
        .await;
    assert_eq!(dated.status(), StatusCode::OK);
    let dated: Vec<app::types::AuditRecord> = dated.json().await.unwrap();
    assert_eq!(dated.len(), 2, "a UTC date is a time bound too");

    for bad in ["from=yesterday", "until=12abc", "from=2026-13-01"] {
        let answer = erin.get(&format!("/audit/export.csv?{bad}")).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{bad}");
        let text = answer.text().await.unwrap();
        assert!(
            text.contains("must be a UTC date (YYYY-MM-DD) or Unix seconds"),
            "{bad}: {text}"
        );
        assert!(!text.contains("cannot parse integer"), "{bad}: {text}");
    }
}
