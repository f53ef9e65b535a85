//! The real server binary killed (`kill -9`) between an approval and its
//! provisioning job: after a restart the job runs, exactly once.

use std::process::Stdio;

use app::{
    db::{Db, outbox, test_db::TestDatabase, users},
    domain::{
        items::{self, ItemInput},
        provisioning::{self, target::TargetInput},
        requests::{AccessRequestInput, request_access},
    },
    types::{Approver, CurrentUser, JobState, Role},
};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::{
    idp::{self, Idp},
    provisioning::{KEY, SECRET},
    support::Browser,
    webhook_receiver::Receiver,
};

/// `target/debug/countersign serve`, on `addr`, with its outbox worker looking
/// for due jobs every `interval_ms`.
async fn start_server(db_url: &str, addr: &str, issuer: &str, interval_ms: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_countersign"))
        .arg("serve")
        .env("DATABASE_URL", db_url)
        .env("COUNTERSIGN_ADDR", addr)
        .env("OIDC_ISSUER_URL", issuer)
        .env("OIDC_CLIENT_ID", idp::CLIENT_ID)
        .env("OIDC_CLIENT_SECRET", idp::CLIENT_SECRET)
        .env("COUNTERSIGN_SECRET_KEY", KEY)
        .env("COUNTERSIGN_OUTBOX_INTERVAL_MS", interval_ms)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start target/debug/countersign");
    let stdout = child.stdout.take().expect("server stdout");
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next_line().await.expect("read server output") {
            Some(line) if line.starts_with("Countersign is running") => break,
            Some(_) => continue,
            None => panic!("the server exited before it was ready"),
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

async fn person(db: &Db, issuer: &str, login: &str, roles: &[Role]) -> CurrentUser {
    let row = users::find_by_identity(db, issuer, login)
        .await
        .unwrap()
        .expect("signed in once");
    CurrentUser {
        id: row.id,
        name: row.name,
        email: row.email,
        roles: [&[Role::Requester], roles].concat(),
        groups: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_server_was_killed_runs_after_restart_exactly_once() {
    let database = TestDatabase::create().await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let origin = format!("http://{addr}");
    let provider = Idp::start_with(&origin, 0, &[]).await;
    let receiver = Receiver::start(SECRET).await;
    // The first server's worker runs once at start, then not for ten minutes.
    let mut server = start_server(database.url(), &addr, &provider.issuer, "600000").await;
    let (carol_browser, bob_browser, alice_browser) = (
        Browser::new(origin.clone()),
        Browser::new(origin.clone()),
        Browser::new(origin.clone()),
    );
    carol_browser.sign_in("carol").await;
    bob_browser.sign_in("bob").await;
    alice_browser.sign_in("alice").await;

    let db = Db::connect(database.url()).await.unwrap();
    let carol = person(&db, &provider.issuer, "carol", &[Role::Admin]).await;
    let bob = person(&db, &provider.issuer, "bob", &[Role::Approver]).await;
    let alice = person(&db, &provider.issuer, "alice", &[]).await;
    let item = items::create(
        &db,
        &carol,
        &ItemInput {
            kind: "application".into(),
            name: "Payroll".into(),
            description: String::new(),
            owner_id: carol.id.clone(),
            requestable: true,
            enabled: true,
        },
    )
    .await
    .unwrap();
    // Routed as the server routes it (the default role groups).
    let roles = countersign::config::Config::from_vars(&Default::default())
        .unwrap()
        .roles;
    let fallback = app::domain::routing::Fallback {
        admin_group: roles.admin_groups.first().cloned(),
        roles,
    };
    let steps = [Approver::User {
        user_id: bob.id.clone(),
    }];
    let steps = (&steps[..], &fallback.roles);
    items::set_steps(&db, (&carol, "s"), (&item.id, item.version), steps, None)
        .await
        .unwrap();
    let runtime = provisioning::Provisioning::new(Some(
        provisioning::sealing::SecretKey::parse(KEY).unwrap(),
    ))
    .unwrap();
    let input = TargetInput {
        connector: "webhook".into(),
        url: receiver.url(),
        secret: SECRET.into(),
        fulfillers_group: String::new(),
        ..Default::default()
    };
    let change = provisioning::target::check(&runtime, &item.id, &input).unwrap();
    provisioning::target::save(&db, &runtime, (&carol, "s"), (&item.id, 0), &change, None)
        .await
        .unwrap();
    let input = AccessRequestInput {
        item_id: item.id.clone(),
        justification: "Needed".into(),
        ..Default::default()
    };
    let request = request_access(&db, &alice, &input, &fallback)
        .await
        .unwrap();
    let task = app::db::tasks::of_request(db.pool(), &request)
        .await
        .unwrap()
        .remove(0)
        .id;

    // bob approves through the server; the server dies before its next round.
    let (status, body) = bob_browser
        .server_fn(
            "/api/inbox/decide",
            &[
                ("task_ids[0]", &task),
                ("decision", "approve"),
                ("comment", "ok"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    let job = outbox::of_request(db.pool(), &request)
        .await
        .unwrap()
        .remove(0);
    assert_eq!((job.state, job.attempts), (JobState::Queued, 0));
    assert!(receiver.deliveries().is_empty());

    // Restarted, with its worker on: the job runs, once.
    let _server = start_server(database.url(), &addr, &provider.issuer, "100").await;
    receiver.wait_for(1, 30).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let job = loop {
        let job = outbox::of_request(db.pool(), &request)
            .await
            .unwrap()
            .remove(0);
        if job.state == JobState::Done || tokio::time::Instant::now() > deadline {
            break job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!((job.state, job.attempts), (JobState::Done, 1));
    assert_eq!(receiver.accepted("access.granted").len(), 1);
    assert_eq!(receiver.deliveries().len(), 1, "exactly once");
    db.close().await;
}
