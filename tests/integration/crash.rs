//! Crash safety: approvers work through a backlog of e-signed approvals on the
//! real binary, which is killed with SIGKILL mid-way (no shutdown, no flush) and
//! started again. Every decision is whole (task, request, assignment, and its
//! audit record with the e-signature) or absent; nothing is stuck (each task
//! left pending is decided after the restart); `countersign audit verify`
//! passes. On PostgreSQL and on SQLite (WAL, one server); and PostgreSQL itself
//! killed with SIGKILL under the same load and started again.

use std::time::Duration;

use app::{
    db::{assignments, audit, requests, tasks},
    domain::items::{self, ItemInput, ReauthRule},
    types::{AccessItem, Approver, RequestStatus, Role, TaskState},
};
use reqwest::StatusCode;

use crate::{
    audit::audit_cli_with,
    idp::Idp,
    postgres_server::PostgresServer,
    real_server::{RealServer, free_addr},
    support::{Browser, TestApp},
};

/// Approvals in the backlog, and after how many recorded decisions the
/// server is killed.
const BACKLOG: usize = 48;
const KILL_AFTER: i64 = 12;

/// An item for the approvers' group whose approval is e-signed, one sign-in
/// covering an hour of approvals (so the load is not all sign-ins).
async fn signed_item(app: &TestApp, name: &str) -> AccessItem {
    let carol = app.person("carol", &[Role::Admin]).await;
    let item = items::create(
        &app.db,
        &carol,
        &ItemInput {
            kind: "application".into(),
            name: name.into(),
            description: format!("{name} for the crash tests"),
            owner_id: carol.id.clone(),
            requestable: true,
            enabled: true,
        },
    )
    .await
    .expect("item");
    let group = Approver::Group {
        group: "countersign-approvers".into(),
    };
    let item = items::set_steps(
        &app.db,
        (&carol, "arrange"),
        (&item.id, item.version),
        (&[group], &app.fallback.roles),
        None,
    )
    .await
    .expect("steps");
    let rule = ReauthRule {
        require: true,
        window_minutes: Some(60),
    };
    items::set_reauth(
        &app.db,
        &carol,
        "arrange",
        (&item.id, item.version),
        rule,
        None,
    )
    .await
    .expect("e-signed approvals")
}

pub struct Scene {
    pub app: TestApp,
    pub server: RealServer,
    pub origin: String,
    pub database_url: String,
    /// (request, task, item) of every approval in the backlog.
    pub backlog: Vec<(String, String, String)>,
    /// bob's and dave's session cookies, each with a fresh sign-in.
    pub approvers: Vec<String>,
}

/// The real server over the in-process app's database (the test's own, or
/// `database` when given); bob and dave signed in and re-authenticated once
/// (their first approval); the backlog waiting.
pub async fn scene(database: Option<&str>) -> Scene {
    let addr = free_addr();
    let origin = format!("http://{addr}");
    let provider = Idp::start_with(&origin, 0, &[]).await;
    let mut builder = TestApp::builder().with_provider(provider);
    if let Some(url) = database {
        builder = builder.with_config(&[("DATABASE_URL", url)]);
    }
    let app = builder.spawn().await;
    let database_url = database.unwrap_or(app.database_url()).to_owned();
    let env = [("COUNTERSIGN_PUBLIC_URL", origin.as_str())];
    let server = RealServer::start(
        &database_url,
        &addr,
        app.idp.as_ref().expect("provider"),
        &env,
    )
    .await;
    let browsers = [Browser::new(origin.clone()), Browser::new(origin.clone())];
    browsers[0].sign_in("bob").await;
    browsers[1].sign_in("dave").await;
    for login in ["alice", "carol"] {
        Browser::new(origin.clone()).sign_in(login).await;
    }
    app.turn_reauth_on().await;
    let alice = app.person("alice", &[]).await;
    let mut backlog = Vec::new();
    for n in 0..BACKLOG + 2 {
        let item = signed_item(&app, &format!("Ledger {n}")).await;
        let (request, task) = app.pending_request(&alice, &item, "Audit season").await;
        backlog.push((request, task, item.id));
    }
    for (browser, login) in browsers.iter().zip(["bob", "dave"]) {
        let (_, task, _) = backlog.pop().expect("a task for the sign-in");
        first_signed_approval(browser, login, &task).await;
    }
    let approvers = browsers
        .iter()
        .map(|b| b.session_cookie().expect("signed in"))
        .collect();
    Scene {
        app,
        server,
        origin,
        database_url,
        backlog,
        approvers,
    }
}

async fn first_signed_approval(browser: &Browser, login: &str, task: &str) {
    let form = [
        ("task_ids[0]", task),
        ("decision", "approve"),
        ("comment", "signed"),
    ];
    let (status, body) = browser.server_fn("/api/inbox/decide", &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let challenge = body["ReauthRequired"]["challenge_id"]
        .as_str()
        .unwrap_or_else(|| panic!("expected ReauthRequired, got {body}"))
        .to_owned();
    let (status, _) = browser.reauthenticate(&challenge, login).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, done) = browser
        .server_fn("/api/signed/complete", &[("challenge_id", &challenge)])
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
}

/// Approves `task` as the session `cookie`: `Some(true)` when the server said
/// it is done, `Some(false)` when it refused, `None` when it never answered.
pub async fn approve(
    client: &reqwest::Client,
    origin: &str,
    cookie: &str,
    task: &str,
) -> Option<bool> {
    let response = client
        .post(format!("{origin}/api/inbox/decide"))
        .header("origin", origin)
        .header("cookie", cookie)
        .form(&[
            ("task_ids[0]", task),
            ("decision", "approve"),
            ("comment", "under load"),
        ])
        .send()
        .await
        .ok()?;
    let ok = response.status() == StatusCode::OK;
    response.text().await.ok()?;
    Some(ok)
}

/// Four clients (bob and dave twice each) approve the backlog, each its own
/// share, until they finish or the server goes away; returns the tasks the
/// server said it approved.
pub async fn load(scene: &Scene) -> Vec<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let lanes = (0..4).map(|lane| {
        let (client, scene) = (&client, scene);
        async move {
            let cookie = &scene.approvers[lane % 2];
            let mut approved = Vec::new();
            for (_, task, _) in scene.backlog.iter().skip(lane).step_by(4) {
                match approve(client, &scene.origin, cookie, task).await {
                    Some(true) => approved.push(task.clone()),
                    Some(false) | None => break,
                }
            }
            approved
        }
    });
    futures::future::join_all(lanes)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Waits until the audit trail holds `n` more records than at `from`.
pub async fn wait_for_records(app: &TestApp, from: i64, n: i64) {
    let reached = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let (seq, _) = audit::head(app.db.pool()).await.expect("audit head");
            if seq >= from + n {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(reached.is_ok(), "the load never reached {n} decisions");
}

/// Every approval in the backlog is whole or absent; returns the tasks still
/// pending.
pub async fn whole_or_absent(scene: &Scene, acknowledged: &[String]) -> Vec<String> {
    let pool = scene.app.db.pool();
    let mut pending = Vec::new();
    for (request_id, task_id, item_id) in &scene.backlog {
        let task = tasks::find(pool, task_id).await.unwrap().unwrap();
        let request = requests::find(pool, request_id).await.unwrap().unwrap();
        let held = assignments::holds(pool, &request.beneficiary_id, item_id)
            .await
            .unwrap();
        let records = audit::of_request(
            pool,
            request_id,
            &["approval.approved", "approval.denied"],
            10,
        )
        .await
        .unwrap();
        match task.state {
            TaskState::Approved => {
                assert_eq!(request.status, RequestStatus::Approved, "{request_id}");
                assert!(held, "{request_id}: approved but not held");
                assert_eq!(records.len(), 1, "{request_id}");
                let signature = &records[0].details["e_signature"];
                assert!(
                    signature["id_token"].is_string(),
                    "{request_id}: no e-signature: {signature}"
                );
            }
            TaskState::Pending => {
                assert!(
                    !acknowledged.contains(task_id),
                    "{task_id}: the server said it approved this, but it is not recorded"
                );
                assert_eq!(request.status, RequestStatus::Pending, "{request_id}");
                assert!(!held, "{request_id}: held without a decision");
                assert!(
                    records.is_empty(),
                    "{request_id}: a record without a decision"
                );
                pending.push(task_id.clone());
            }
            other => panic!("{task_id}: {other:?} after a crash"),
        }
    }
    pending
}

/// After the restart: each task left pending is approved through `origin`,
/// then every approval is whole and the audit chain verifies.
pub async fn nothing_stuck(scene: &Scene, pending: &[String]) {
    let client = reqwest::Client::new();
    for task in pending {
        let done = approve(&client, &scene.origin, &scene.approvers[0], task).await;
        assert_eq!(done, Some(true), "{task} is stuck after the restart");
    }
    assert!(whole_or_absent(scene, &[]).await.is_empty());
    let (ok, out) = audit_cli_with(&scene.database_url, &scene.app.issuer(), &["verify"]);
    assert!(ok, "{out}");
}

/// `kill -9`: no signal handler runs, nothing is flushed.
pub async fn kill_9(pid: u32) {
    let status = tokio::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .await
        .expect("run kill");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_load_leaves_each_decision_whole_or_absent() {
    let mut scene = scene(None).await;
    let from = audit::head(scene.app.db.pool()).await.unwrap().0;

    let pid = scene.server.child.id().expect("running");
    let (acknowledged, ()) = tokio::join!(load(&scene), async {
        wait_for_records(&scene.app, from, KILL_AFTER).await;
        kill_9(pid).await;
    });
    scene.server.child.wait().await.expect("killed");
    let pending = whole_or_absent(&scene, &acknowledged).await;
    assert!(
        !pending.is_empty(),
        "the kill came after the whole backlog was decided"
    );

    let addr = scene.server.addr.clone();
    let idp = scene.app.idp.as_ref().expect("provider");
    let origin = scene.origin.clone();
    scene.server = RealServer::start(
        &scene.database_url,
        &addr,
        idp,
        &[("COUNTERSIGN_PUBLIC_URL", origin.as_str())],
    )
    .await;
    nothing_stuck(&scene, &pending).await;
}

/// Runs whatever database the suite runs on: PostgreSQL is a server of this
/// test's own, killed and started again under the replica's feet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_mid_load_leaves_each_decision_whole_or_absent() {
    let mut postgres = PostgresServer::start().await;
    let scene = scene(Some(&postgres.url)).await;
    let from = audit::head(scene.app.db.pool()).await.unwrap().0;

    let (acknowledged, ()) = tokio::join!(load(&scene), async {
        wait_for_records(&scene.app, from, KILL_AFTER).await;
        postgres.kill_9().await;
    });
    postgres.run().await;

    let pending = whole_or_absent(&scene, &acknowledged).await;
    assert!(
        !pending.is_empty(),
        "the kill came after the whole backlog was decided"
    );
    // The same replica, never restarted, works again once its database does.
    nothing_stuck(&scene, &pending).await;
}
