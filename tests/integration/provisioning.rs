//! Provisioning end to end over HTTP (issue 17): the admin points an item at a
//! webhook receiver the test runs (after "Test connection"), an approval reaches
//! it once with a valid signature, removals and expiry revoke, a receiver that
//! is down is retried until it returns, exhausted retries fail visibly and can
//! be retried, two replicas on one database run each job once, and manual
//! fulfilment goes through the fulfiller's inbox.
//!
//! The app's own worker loop is off (`COUNTERSIGN_OUTBOX_INTERVAL_MS=0`): each
//! test runs due jobs itself at the time it chooses, so retries are driven by
//! moving the clock, never by sleeping.

use app::{
    db::outbox,
    domain::now,
    types::{AccessItem, JobState, JobView, Role},
};
use countersign::{Countersign, config::Config};
use serde_json::Value;

use crate::{
    support::{Browser, TestApp},
    webhook_receiver::Receiver,
};

pub const KEY: &str = "6f1d7c0a9b8e4f3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d";
pub const SECRET: &str = "receiver-shared-secret-0123456789";

pub async fn app() -> TestApp {
    TestApp::builder()
        .with_config(&[
            ("COUNTERSIGN_SECRET_KEY", KEY),
            ("COUNTERSIGN_OUTBOX_INTERVAL_MS", "0"),
        ])
        .spawn()
        .await
}

pub struct People {
    pub carol: Browser,
    pub bob: Browser,
    pub alice: Browser,
}

pub async fn people(app: &TestApp) -> People {
    let (carol, bob, alice) = (app.new_browser(), app.new_browser(), app.new_browser());
    carol.sign_in("carol").await;
    bob.sign_in("bob").await;
    alice.sign_in("alice").await;
    People { carol, bob, alice }
}

/// carol points `item` at `url` with `secret` through the Provisioning tab.
async fn send_to(carol: &Browser, item: &AccessItem, url: &str, secret: &str) -> (u16, Value) {
    let (status, body) = carol
        .server_fn(
            "/api/provisioning/save",
            &[
                ("id", &item.id),
                ("version", "0"),
                ("connector", "webhook"),
                ("url", url),
                ("secret", secret),
            ],
        )
        .await;
    (status.as_u16(), body)
}

/// alice asks for `item` and bob approves it through his inbox.
pub async fn approved(app: &TestApp, p: &People, item: &AccessItem) -> String {
    let alice = app.person("alice", &[]).await;
    let (request, task) = app.pending_request(&alice, item, "Needed").await;
    decide(&p.bob, &[task]).await;
    request
}

async fn decide(bob: &Browser, tasks: &[String]) {
    let mut form: Vec<(String, String)> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("task_ids[{i}]"), t.clone()))
        .collect();
    form.push(("decision".into(), "approve".into()));
    form.push(("comment".into(), "ok".into()));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body) = bob.server_fn("/api/inbox/decide", &form).await;
    assert_eq!(status, 200, "{body}");
}

pub async fn jobs(app: &TestApp, request: &str) -> Vec<JobView> {
    outbox::of_request(app.db.pool(), request).await.unwrap()
}

async fn webhook_item(app: &TestApp, p: &People, name: &str, receiver: &Receiver) -> AccessItem {
    let bob = app.person("bob", &[Role::Approver]).await;
    let item = app.item_approved_by(name, &bob).await;
    let (status, body) = send_to(&p.carol, &item, &receiver.url(), SECRET).await;
    assert_eq!(status, 200, "{body}");
    item
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_reaches_the_webhook_once_with_a_valid_signature() {
    let app = app().await;
    let p = people(&app).await;
    let receiver = Receiver::start(SECRET).await;
    let bob = app.person("bob", &[Role::Approver]).await;
    let item = app.item_approved_by("Payroll", &bob).await;

    // "Test connection" proves the URL and the secret before anything is saved.
    let wrong = [
        ("id", item.id.as_str()),
        ("connector", "webhook"),
        ("url", &receiver.url()),
        ("secret", "not-the-receivers-secret-at-all"),
    ];
    let (status, body) = p.carol.server_fn("/api/provisioning/test", &wrong).await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("HTTP 401"), "{body}");
    let mut right = wrong;
    right[3].1 = SECRET;
    let (status, body) = p.carol.server_fn("/api/provisioning/test", &right).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(receiver.accepted("countersign.ping").len(), 1);
    let (status, _) = p.bob.server_fn("/api/provisioning/test", &right).await;
    assert_eq!(status, 403, "only administrators test targets");

    let (status, body) = send_to(&p.carol, &item, &receiver.url(), SECRET).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.to_string().contains(SECRET),
        "the secret is never sent back"
    );
    let request = approved(&app, &p, &item).await;
    assert_eq!(jobs(&app, &request).await[0].state, JobState::Queued);

    let report = app.worker.run_due(now()).await.unwrap();
    assert_eq!(report.done, 1);
    let granted = receiver.accepted("access.granted");
    assert_eq!(granted.len(), 1);
    let event = &granted[0];
    assert_eq!(event["item"]["name"], "Payroll");
    assert_eq!(event["person"]["userName"], "alice");
    assert_eq!(event["person"]["email"], "alice@example.com");
    assert_eq!(event["request_id"], request.as_str());
    assert!(event["time"].as_i64().is_some());
    // Nothing more is due: the event went out once.
    assert_eq!(
        app.worker.run_due(now() + 86_400).await.unwrap().attempts(),
        0
    );
    assert_eq!(
        receiver.deliveries().len(),
        3,
        "the refused test, the accepted one, and the grant"
    );

    // The request page and My access say it is done.
    let (_, page) = p
        .alice
        .server_fn("/api/requests/get", &[("id", &request)])
        .await;
    assert_eq!(page["jobs"][0]["state"], "done", "{page}");
    let (_, access) = p.alice.server_fn("/api/access/mine", &[]).await;
    assert_eq!(access[0]["provisioning_state"], "done", "{access}");
    // The secret is in no audit record and no page.
    let export = p
        .carol
        .get("/audit/export.json")
        .await
        .text()
        .await
        .unwrap();
    assert!(!export.contains(SECRET));
    assert!(export.contains("provisioning.attempted"));
    let tab = p
        .carol
        .get(&format!("/admin/items/{}?tab=provisioning", item.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(tab.contains("A secret is stored") && !tab.contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_removal_and_an_expiry_send_access_revoked() {
    let app = app().await;
    let p = people(&app).await;
    let receiver = Receiver::start(SECRET).await;
    let item = webhook_item(&app, &p, "Payroll", &receiver).await;
    approved(&app, &p, &item).await;
    app.worker.run_due(now()).await.unwrap();

    let (status, body) = p
        .alice
        .server_fn(
            "/api/access/remove",
            &[("item_id", &item.id), ("justification", "Changed teams")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let task = app::db::tasks::of_request(app.db.pool(), body.as_str().unwrap())
        .await
        .unwrap()
        .remove(0)
        .id;
    decide(&p.bob, &[task]).await;
    app.worker.run_due(now()).await.unwrap();
    let revoked = receiver.accepted("access.revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["reason"], "removal_approved");

    // Expiry: granted again, then its end date passes.
    let other = webhook_item(&app, &p, "Ledger", &receiver).await;
    approved(&app, &p, &other).await;
    sqlx::query("UPDATE assignments SET end_date = $1 WHERE item_id = $2")
        .bind(now() - 1)
        .bind(&other.id)
        .execute(app.db.pool())
        .await
        .unwrap();
    app::domain::assignments::expire_assignments(&app.db)
        .await
        .unwrap();
    app.worker.run_due(now()).await.unwrap();
    let revoked = receiver.accepted("access.revoked");
    assert_eq!(revoked.len(), 2);
    assert_eq!(revoked[1]["reason"], "expired");
    assert_eq!(revoked[1]["item"]["name"], "Ledger");
}

/// Leaving (issue 16 with 17): the directory deactivates alice and what she
/// holds is taken away at the target, once, reason "left"; nothing is left for
/// an administrator to remove by hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaver_loses_their_access_at_the_target() {
    let app = app().await;
    let p = people(&app).await;
    let receiver = Receiver::start(SECRET).await;
    let item = webhook_item(&app, &p, "Payroll", &receiver).await;
    approved(&app, &p, &item).await;
    app.worker.run_due(now()).await.unwrap();
    assert_eq!(receiver.accepted("access.granted").len(), 1);
    let alice = app.person("alice", &[]).await;

    let scim = app.scim().await;
    let left = scim
        .patch(
            &format!("/Users/{}", alice.id),
            serde_json::json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(left.status, 200, "{}", left.body);
    assert!(
        !app::db::assignments::holds(app.db.pool(), &alice.id, &item.id)
            .await
            .unwrap()
    );
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    let revoked = receiver.accepted("access.revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["reason"], "left");
    assert_eq!(revoked[0]["item"]["name"], "Payroll");
    // Once: a second deactivation changes nothing and sends nothing.
    let again = scim
        .patch(
            &format!("/Users/{}", alice.id),
            serde_json::json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 0);
    assert_eq!(receiver.accepted("access.revoked").len(), 1);
    let (status, body) = p
        .carol
        .server_fn("/api/directory/leavers_access", &[])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["rows"],
        serde_json::json!([]),
        "nothing left to remove"
    );
}

/// An administrator's revoke from the item's Provisioning tab: only
/// administrators, a clear 404 for access nobody holds, and the target is told
/// once (reason "revoked").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrators_revoke_reaches_the_target() {
    let app = app().await;
    let p = people(&app).await;
    let receiver = Receiver::start(SECRET).await;
    let item = webhook_item(&app, &p, "Payroll", &receiver).await;
    approved(&app, &p, &item).await;
    app.worker.run_due(now()).await.unwrap();
    let alice = app.person("alice", &[]).await;

    // The tab lists her, provisioned.
    let tab = p
        .carol
        .get(&format!("/admin/items/{}?tab=provisioning", item.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(tab.contains("People with this access"), "{tab}");
    assert!(
        tab.contains("Revoke Alice"),
        "a Revoke named for her: {tab}"
    );
    let (status, page) = p
        .carol
        .server_fn("/api/provisioning/holders", &[("item_id", &item.id)])
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["rows"][0]["user_id"], alice.id.as_str());
    assert_eq!(page["rows"][0]["provisioning_state"], "done");

    let form = [
        ("user_id", alice.id.as_str()),
        ("item_id", item.id.as_str()),
    ];
    // Not an administrator: refused, nothing changes.
    let (status, body) = p.bob.server_fn("/api/provisioning/revoke", &form).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = p
        .bob
        .server_fn("/api/provisioning/holders", &[("item_id", &item.id)])
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        app::db::assignments::holds(app.db.pool(), &alice.id, &item.id)
            .await
            .unwrap()
    );

    let (status, body) = p.carol.server_fn("/api/provisioning/revoke", &form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    let revoked = receiver.accepted("access.revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["reason"], "revoked");
    let carol = app.person("carol", &[]).await;
    let (actor,): (String,) = sqlx::query_as(
        "SELECT actor_id FROM audit_log WHERE action = 'assignment.revoked' AND target_id = $1",
    )
    .bind(format!("{}:{}", alice.id, item.id))
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(actor, carol.id, "audited as carol's");

    // Again: she holds nothing now, a clear 404, and nothing is sent.
    let (status, body) = p.carol.server_fn("/api/provisioning/revoke", &form).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 0);
    let (_, page) = p
        .carol
        .server_fn("/api/provisioning/holders", &[("item_id", &item.id)])
        .await;
    assert_eq!(page["rows"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_is_down_is_retried_and_done_when_it_returns() {
    let app = app().await;
    let p = people(&app).await;
    let mut receiver = Receiver::start(SECRET).await;
    let item = webhook_item(&app, &p, "Payroll", &receiver).await;
    let request = approved(&app, &p, &item).await;

    receiver.stop().await;
    let t0 = now();
    assert_eq!(app.worker.run_due(t0).await.unwrap().retrying, 1);
    let job = jobs(&app, &request).await.remove(0);
    assert!(
        job.describe().contains("connection refused"),
        "{}",
        job.describe()
    );

    receiver.restart().await;
    receiver.answer(503);
    let t1 = job.next_attempt_at;
    assert!(t1 > t0);
    assert_eq!(app.worker.run_due(t1).await.unwrap().retrying, 1);
    let job = jobs(&app, &request).await.remove(0);
    assert!(job.describe().contains("HTTP 503"), "{}", job.describe());
    assert_eq!(job.attempts, 2);

    receiver.answer(200);
    assert_eq!(
        app.worker.run_due(job.next_attempt_at).await.unwrap().done,
        1
    );
    assert_eq!(jobs(&app, &request).await[0].state, JobState::Done);
    assert_eq!(receiver.accepted("access.granted").len(), 1);
    let (_, page) = p
        .alice
        .server_fn("/api/requests/get", &[("id", &request)])
        .await;
    assert_eq!(page["jobs"][0]["attempts"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_fail_visibly_and_an_administrators_retry_completes_them() {
    let app = app().await;
    let p = people(&app).await;
    let receiver = Receiver::start(SECRET).await;
    receiver.answer(500);
    let item = webhook_item(&app, &p, "Payroll", &receiver).await;
    let request = approved(&app, &p, &item).await;
    let mut t = now();
    for _ in 0..8 {
        app.worker.run_due(t).await.unwrap();
        t += 4 * 3600;
    }
    let job = jobs(&app, &request).await.remove(0);
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(receiver.deliveries().len(), 8);

    // Visible: the admin page, the request page, the command line.
    let page = p
        .carol
        .get("/admin/provisioning")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Failed after 8 attempts: HTTP 500"), "{page}");
    assert!(page.contains("Grant Payroll to Alice Example"));
    let (status, _) = p
        .bob
        .server_fn("/api/provisioning/jobs", &[("state", "failed")])
        .await;
    assert_eq!(status, 403);
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_countersign"))
        .args(["provisioning", "status"])
        .env("DATABASE_URL", app.database_url())
        .output()
        .expect("run countersign provisioning status");
    let out = String::from_utf8_lossy(&cli.stdout);
    assert_eq!(cli.status.code(), Some(1), "a failed job exits 1: {out}");
    assert!(out.contains("failed=1") && out.contains(&job.id), "{out}");

    // Retry, once the receiver is fixed.
    receiver.answer(200);
    let (status, body) = p
        .bob
        .server_fn("/api/provisioning/retry", &[("id", &job.id)])
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = p
        .carol
        .server_fn("/api/provisioning/retry", &[("id", &job.id)])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    assert_eq!(jobs(&app, &request).await[0].state, JobState::Done);
    assert_eq!(receiver.accepted("access.granted").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_one_database_run_each_job_once() {
    let app = app().await;
    let p = people(&app).await;
    let receiver = Receiver::start(SECRET).await;
    let bob = app.person("bob", &[Role::Approver]).await;
    let alice = app.person("alice", &[]).await;
    let mut tasks = Vec::new();
    for n in 0..24 {
        let item = app.item_approved_by(&format!("App {n}"), &bob).await;
        send_to(&p.carol, &item, &receiver.url(), SECRET).await;
        tasks.push(app.pending_request(&alice, &item, "Needed").await.1);
    }
    decide(&p.bob, &tasks).await;
    // A second replica: its own pool and worker, the same database.
    let vars = [
        ("DATABASE_URL", app.database_url()),
        ("COUNTERSIGN_SECRET_KEY", KEY),
        ("COUNTERSIGN_OUTBOX_INTERVAL_MS", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let second = Countersign::build(Config::from_vars(&vars).unwrap())
        .await
        .unwrap();
    let t = now();
    let (a, b) = tokio::join!(app.worker.run_due(t), second.worker.run_due(t));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.done + b.done, 24, "{a:?} {b:?}");
    let granted = receiver.accepted("access.granted");
    let mut ids: Vec<&str> = granted.iter().filter_map(|e| e["id"].as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 24);
    assert_eq!(receiver.deliveries().len(), 24, "no event delivered twice");
    second.state.db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_fulfilment_goes_through_the_owners_inbox_and_shows_on_the_request() {
    let app = app().await;
    let p = people(&app).await;
    let bob = app.person("bob", &[Role::Approver]).await;
    // No connector: carol, the owner, fulfils by hand.
    let item = app.item_approved_by("Badge access", &bob).await;
    let request = approved(&app, &p, &item).await;
    assert_eq!(app.worker.run_due(now()).await.unwrap().attempts(), 0);
    let (_, page) = p
        .alice
        .server_fn("/api/requests/get", &[("id", &request)])
        .await;
    assert_eq!(page["jobs"][0]["state"], "manual");
    let (_, waiting) = p.bob.server_fn("/api/provisioning/waiting", &[]).await;
    assert_eq!(waiting, Value::Array(vec![]), "not bob's task");
    let (_, waiting) = p.carol.server_fn("/api/provisioning/waiting", &[]).await;
    let job = waiting[0]["id"].as_str().unwrap().to_owned();
    let inbox = p.carol.get("/inbox").await.text().await.unwrap();
    assert!(
        inbox.contains("Fulfilment tasks") && inbox.contains("Grant Badge access to Alice Example")
    );

    let (status, _) = p
        .alice
        .server_fn(
            "/api/provisioning/done",
            &[("id", &job), ("note", "self-service")],
        )
        .await;
    assert_eq!(status, 403, "nobody fulfils their own access");
    let (status, body) = p
        .carol
        .server_fn("/api/provisioning/done", &[("id", &job), ("note", "")])
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = p
        .carol
        .server_fn(
            "/api/provisioning/done",
            &[("id", &job), ("note", "Badge 4711 enabled for building B")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, page) = p
        .alice
        .server_fn("/api/requests/get", &[("id", &request)])
        .await;
    assert_eq!(page["jobs"][0]["state"], "done");
    assert_eq!(page["jobs"][0]["note"], "Badge 4711 enabled for building B");
    assert_eq!(page["jobs"][0]["done_by_name"], "Carol Example");
    let html = p
        .alice
        .get(&format!("/requests/{request}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Done by hand by Carol Example"), "{html}");
}
