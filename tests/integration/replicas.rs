//! Replicas: two real `countersign serve` processes over one PostgreSQL behind
//! Debian's nginx (round robin), as an organisation runs them when one machine
//! is not enough. A person bounced between them stays signed in and e-signs an
//! approval whose re-authentication starts on one and returns on the other;
//! two approvers racing on one step through the two replicas decide it once;
//! the audit chain never forks under parallel decisions on both.
//!
//! On SQLite one server owns the file, so there are no replicas: the same tests
//! run against that one server (the in-process app), where the race is between
//! two connections of one pool (`BEGIN IMMEDIATE`) — the same assertions, never
//! a test that passes doing nothing.

use std::collections::BTreeSet;

use app::{
    db::{audit, tasks},
    types::{Approver, Role, TaskState},
};
use reqwest::StatusCode;

use crate::{
    audit::audit_cli,
    idp::Idp,
    nginx::Nginx,
    real_server::{RealServer, free_addr},
    support::{Browser, TestApp},
};

const APPROVERS: &str = "countersign-approvers";

pub struct Cluster {
    /// The in-process app on the same database: it arranges the test's starting
    /// point through the domain (and on SQLite it is the one server).
    pub app: TestApp,
    /// The origin people use: nginx, or the one server on SQLite.
    pub front: String,
    /// The replicas' own origins, for clients that talk to each directly.
    pub doors: [String; 2],
    proxy: Option<Nginx>,
    _replicas: Vec<RealServer>,
}

pub fn on_postgres() -> bool {
    std::env::var("COUNTERSIGN_TEST_DATABASE").as_deref() == Ok("postgres")
}

impl Cluster {
    pub async fn start() -> Cluster {
        if !on_postgres() {
            let app = TestApp::spawn().await;
            let front = app.origin();
            return Cluster {
                doors: [front.clone(), front.clone()],
                front,
                app,
                proxy: None,
                _replicas: Vec::new(),
            };
        }
        let listen = free_addr();
        let front = format!("http://{listen}");
        let provider = Idp::start_with(&front, 0, &[]).await;
        let app = TestApp::builder().with_provider(provider).spawn().await;
        let idp = app.idp.as_ref().expect("provider");
        let env = [
            ("COUNTERSIGN_PUBLIC_URL", front.as_str()),
            ("COUNTERSIGN_TRUSTED_PROXIES", "127.0.0.1/32"),
            ("COUNTERSIGN_RATE_LIMIT_API_PER_MINUTE", "0"),
        ];
        let (a, b) = (free_addr(), free_addr());
        let (one, two) = tokio::join!(
            RealServer::start(app.database_url(), &a, idp, &env),
            RealServer::start(app.database_url(), &b, idp, &env),
        );
        let proxy = Nginx::start(&listen, &[&a, &b]).await;
        Cluster {
            app,
            front,
            doors: [format!("http://{a}"), format!("http://{b}")],
            proxy: Some(proxy),
            _replicas: vec![one, two],
        }
    }

    /// A person's browser at the front door, signed in as `login`.
    pub async fn signed_in(&self, login: &str) -> Browser {
        let browser = Browser::new(self.front.clone());
        browser.sign_in(login).await;
        browser
    }

    /// The replicas (their `addr:port`) that answered requests whose URI starts
    /// with `prefix`, in order; on SQLite the one server's.
    fn served(&self, prefix: &str) -> Vec<String> {
        match &self.proxy {
            Some(proxy) => proxy
                .served()
                .into_iter()
                .filter(|s| s.uri.starts_with(prefix))
                .map(|s| s.replica)
                .collect(),
            None => vec![self.front.trim_start_matches("http://").to_owned()],
        }
    }
}

/// An item whose one step any member of the approvers' group decides.
async fn group_item(app: &TestApp, name: &str) -> app::types::AccessItem {
    let carol = app.person("carol", &[Role::Admin]).await;
    let step = Approver::Group {
        group: APPROVERS.into(),
    };
    app.item_owned_by(&carol, name, &[step]).await
}

/// `count` requests by alice, each for an item of its own: (request, task).
async fn backlog(cluster: &Cluster, count: usize) -> Vec<(String, String)> {
    let alice = cluster.app.person("alice", &[]).await;
    let mut pending = Vec::with_capacity(count);
    for n in 0..count {
        let item = group_item(&cluster.app, &format!("Reports {n}")).await;
        pending.push(
            cluster
                .app
                .pending_request(&alice, &item, "Quarterly close")
                .await,
        );
    }
    pending
}

/// A decision posted straight to one replica's `door` as the person whose
/// session `cookie` is, from a page of the public origin `front`.
async fn decide_at(
    client: &reqwest::Client,
    (door, front): (&str, &str),
    cookie: &str,
    task: &str,
    decision: &str,
) -> (StatusCode, String) {
    let response = client
        .post(format!("{door}/api/inbox/decide"))
        .header("origin", front)
        .header("cookie", cookie)
        .form(&[
            ("task_ids[0]", task),
            ("decision", decision),
            ("comment", "race"),
        ])
        .send()
        .await
        .expect("the replica answers");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

/// The decision records of `request` (approved or denied).
async fn decisions(app: &TestApp, request: &str) -> usize {
    audit::of_request(
        app.db.pool(),
        request,
        &["approval.approved", "approval.denied"],
        10,
    )
    .await
    .expect("audit records")
    .len()
}

fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_bounced_between_replicas_stays_signed_in_and_e_signs_across_them() {
    let cluster = Cluster::start().await;
    let bob = cluster.signed_in("bob").await;
    cluster.signed_in("alice").await;
    cluster.signed_in("carol").await;
    let app = &cluster.app;
    app.turn_reauth_on().await;
    let bob_user = app.person("bob", &[Role::Approver]).await;
    let item = app.item_approved_by("Payroll", &bob_user).await;
    let item = app.require_reauth(&item).await;
    let alice = app.person("alice", &[]).await;
    let (_, task) = app
        .pending_request(&alice, &item, "Month-end payroll")
        .await;

    // Round robin: his inbox comes from both replicas, and he stays signed in.
    for _ in 0..4 {
        let page = bob.get("/inbox").await;
        assert_eq!(page.status(), StatusCode::OK, "signed out on a replica");
    }
    let inbox_servers: BTreeSet<String> = cluster.served("/inbox").into_iter().collect();
    assert_eq!(inbox_servers.len(), if on_postgres() { 2 } else { 1 });

    let (status, body) = bob
        .server_fn(
            "/api/inbox/decide",
            &[
                ("task_ids[0]", task.as_str()),
                ("decision", "approve"),
                ("comment", "Checked with HR"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let challenge = body["ReauthRequired"]["challenge_id"]
        .as_str()
        .unwrap_or_else(|| panic!("expected ReauthRequired, got {body}"))
        .to_owned();
    let (status, back) = bob.reauthenticate(&challenge, "bob").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(back, format!("/inbox?signed={challenge}"));
    let (status, done) = bob
        .server_fn("/api/signed/complete", &[("challenge_id", &challenge)])
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");

    // The round trip left from one replica and came back to the other.
    let started = cluster.served(&format!("/auth/reauth/{challenge}"));
    let returned = cluster.served("/auth/callback");
    if on_postgres() {
        assert_ne!(
            started.last(),
            returned.last(),
            "the re-authentication started and returned on one replica"
        );
    }
    let decided = tasks::find(app.db.pool(), &task).await.unwrap().unwrap();
    assert_eq!(decided.state, TaskState::Approved);
    let record = audit::for_target(app.db.pool(), "approval_task", &task)
        .await
        .unwrap()
        .expect("the decision's record");
    assert_eq!(record.details["e_signature"]["signer_subject"], "bob");
    let (ok, out) = audit_cli(app, &["verify"]);
    assert!(ok, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_approvers_racing_on_one_step_through_two_replicas_decide_it_once() {
    let cluster = Cluster::start().await;
    let bob = cluster.signed_in("bob").await.session_cookie().unwrap();
    let dave = cluster.signed_in("dave").await.session_cookie().unwrap();
    cluster.signed_in("alice").await;
    cluster.signed_in("carol").await;
    let pending = backlog(&cluster, 100).await;
    let client = plain_client();
    let front = cluster.front.as_str();

    for (round, (request, task)) in pending.iter().enumerate() {
        // Each round the two swap replicas, so both win and lose on both.
        let (bob_door, dave_door) = (&cluster.doors[round % 2], &cluster.doors[1 - round % 2]);
        let ((bob_status, bob_body), (dave_status, dave_body)) = tokio::join!(
            decide_at(&client, (bob_door, front), &bob, task, "approve"),
            decide_at(&client, (dave_door, front), &dave, task, "deny"),
        );
        let winners = [bob_status, dave_status]
            .iter()
            .filter(|s| **s == StatusCode::OK)
            .count();
        assert_eq!(winners, 1, "round {round}: {bob_body} / {dave_body}");
        let loser = if bob_status == StatusCode::OK {
            dave_body
        } else {
            bob_body
        };
        assert!(loser.contains("already"), "round {round}: {loser}");
        assert_eq!(decisions(&cluster.app, request).await, 1, "round {round}");
        let state = tasks::find(cluster.app.db.pool(), task)
            .await
            .unwrap()
            .unwrap()
            .state;
        assert!(matches!(state, TaskState::Approved | TaskState::Denied));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_chain_never_forks_under_parallel_decisions_on_both_replicas() {
    let cluster = Cluster::start().await;
    let bob = cluster.signed_in("bob").await.session_cookie().unwrap();
    let dave = cluster.signed_in("dave").await.session_cookie().unwrap();
    cluster.signed_in("alice").await;
    cluster.signed_in("carol").await;
    let pending = backlog(&cluster, 40).await;
    let before = audit::head(cluster.app.db.pool()).await.unwrap().0;
    let client = plain_client();
    let front = cluster.front.as_str();

    // Four clients at once: bob and dave on each replica, each its own tasks.
    let lanes = (0..4).map(|lane| {
        let (client, pending) = (&client, &pending);
        let cookie = if lane % 2 == 0 { &bob } else { &dave };
        let door = &cluster.doors[lane / 2];
        async move {
            for (_, task) in pending.iter().skip(lane).step_by(4) {
                let (status, body) =
                    decide_at(client, (door, front), cookie, task, "approve").await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
        }
    });
    futures::future::join_all(lanes).await;

    for (request, _) in &pending {
        assert_eq!(decisions(&cluster.app, request).await, 1);
    }
    let after = audit::head(cluster.app.db.pool()).await.unwrap().0;
    assert!(after >= before + 40, "{before} → {after}");
    let (ok, out) = audit_cli(&cluster.app, &["verify"]);
    assert!(ok, "{out}");
}
