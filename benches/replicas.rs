//! Replica figures (`make bench`, scripts/bench_replicas.sh; never `make test`):
//! release replicas over one PostgreSQL behind Debian's nginx.
//!   - decisions per second with one and two replicas (each decision a full
//!     transaction with its audit record), 8 clients;
//!   - p50/p99 latency of the inbox page at 16 clients, one and two replicas;
//!   - time to recover after `kill -9`: from starting the replica again to its
//!     first successful inbox page.
//!
//! Needs `BENCH_DATABASE_URL` (an empty PostgreSQL database). Reuses the
//! integration tests' provider, browser, server and proxy modules.

#[path = "../tests/integration/browser.rs"]
#[allow(dead_code)]
mod browser;
#[path = "../tests/integration/idp.rs"]
#[allow(dead_code)]
mod idp;
#[path = "../tests/integration/nginx.rs"]
#[allow(dead_code)]
mod nginx;
#[path = "../tests/integration/real_server.rs"]
#[allow(dead_code)]
mod real_server;

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use app::{
    db::{Db, tasks, users},
    domain::{
        items::{self, ItemInput},
        requests::{AccessRequestInput, request_access},
        routing::Fallback,
    },
    types::{Approver, CurrentUser, Role},
};
use browser::Browser;
use idp::Idp;
use nginx::Nginx;
use real_server::{RealServer, free_addr};

const DECISIONS: usize = 600;
const DECIDING_CLIENTS: usize = 8;
const INBOX_CLIENTS: usize = 16;
const INBOX_SECONDS: u64 = 10;

struct Bench {
    db: Db,
    fallback: Fallback,
    issuer: String,
    client: reqwest::Client,
    front: String,
}

impl Bench {
    async fn person(&self, login: &str, roles: &[Role]) -> CurrentUser {
        let row = users::find_by_identity(&self.db, &self.issuer, login)
            .await
            .expect("query")
            .expect("signed in once");
        CurrentUser {
            id: row.id,
            name: row.name,
            email: row.email,
            roles: [&[Role::Requester], roles].concat(),
            groups: None,
        }
    }

    /// `count` pending approvals for the approvers' group, one item each.
    async fn backlog(&self, tag: &str, count: usize) -> Vec<String> {
        let carol = self.person("carol", &[Role::Admin]).await;
        let alice = self.person("alice", &[]).await;
        let mut pending = Vec::with_capacity(count);
        for n in 0..count {
            let input = ItemInput {
                kind: "application".into(),
                name: format!("Bench {tag} {n}"),
                description: "replica benchmark".into(),
                owner_id: carol.id.clone(),
                requestable: true,
                enabled: true,
            };
            let item = items::create(&self.db, &carol, &input).await.expect("item");
            let group = Approver::Group {
                group: "countersign-approvers".into(),
            };
            let roles = &self.fallback.roles;
            let steps = (&[group][..], roles);
            let item = items::set_steps(
                &self.db,
                (&carol, "b"),
                (&item.id, item.version),
                steps,
                None,
            )
            .await
            .expect("steps");
            let request = AccessRequestInput {
                item_id: item.id.clone(),
                justification: "benchmark".into(),
                ..Default::default()
            };
            let id = request_access(&self.db, &alice, &request, &self.fallback)
                .await
                .expect("request");
            let task = tasks::of_request(self.db.pool(), &id).await.expect("tasks");
            pending.push(task[0].id.clone());
        }
        pending
    }

    async fn approve(&self, cookie: &str, task: &str) {
        let response = self
            .client
            .post(format!("{}/api/inbox/decide", self.front))
            .header("origin", &self.front)
            .header("cookie", cookie)
            .form(&[("task_ids[0]", task), ("decision", "approve")])
            .send()
            .await
            .expect("the front answers");
        let status = response.status();
        assert!(status.is_success(), "{status}: {:?}", response.text().await);
    }

    /// Decisions per second: `DECIDING_CLIENTS` clients through the front.
    async fn decisions_per_second(&self, cookies: &[String], backlog: &[String]) -> f64 {
        let started = Instant::now();
        let lanes = (0..DECIDING_CLIENTS).map(|lane| async move {
            let cookie = &cookies[lane % cookies.len()];
            for task in backlog.iter().skip(lane).step_by(DECIDING_CLIENTS) {
                self.approve(cookie, task).await;
            }
        });
        futures::future::join_all(lanes).await;
        backlog.len() as f64 / started.elapsed().as_secs_f64()
    }

    async fn inbox(&self, cookie: &str) -> bool {
        match self
            .client
            .get(format!("{}/inbox", self.front))
            .header("cookie", cookie)
            .send()
            .await
        {
            Ok(response) => {
                let ok = response.status().is_success();
                ok && response.bytes().await.is_ok()
            }
            Err(_) => false,
        }
    }

    /// p50 and p99 of the inbox page with `INBOX_CLIENTS` clients for
    /// `INBOX_SECONDS`, and how many pages were served.
    async fn inbox_latency(&self, cookie: &str) -> (Duration, Duration, usize) {
        let until = Instant::now() + Duration::from_secs(INBOX_SECONDS);
        let lanes = (0..INBOX_CLIENTS).map(|_| async move {
            let mut samples = Vec::new();
            while Instant::now() < until {
                let start = Instant::now();
                assert!(self.inbox(cookie).await, "the inbox failed");
                samples.push(start.elapsed());
            }
            samples
        });
        let mut all: Vec<Duration> = futures::future::join_all(lanes)
            .await
            .into_iter()
            .flatten()
            .collect();
        all.sort();
        let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
        (at(0.50), at(0.99), all.len())
    }
}

#[tokio::main]
async fn main() {
    let url = std::env::var("BENCH_DATABASE_URL").expect("BENCH_DATABASE_URL (PostgreSQL)");
    let listen = free_addr();
    let front = format!("http://{listen}");
    let provider = Idp::start_with(&front, 0, &[]).await;
    let env = [
        ("COUNTERSIGN_PUBLIC_URL", front.as_str()),
        ("COUNTERSIGN_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("COUNTERSIGN_RATE_LIMIT_API_PER_MINUTE", "0"),
        ("RUST_LOG", "warn"),
    ];
    let (a, b) = (free_addr(), free_addr());
    let mut one = RealServer::start(&url, &a, &provider, &env).await;
    let proxy = Nginx::start(&listen, &[&a]).await;

    let vars: HashMap<String, String> = [
        ("DATABASE_URL", url.as_str()),
        ("OIDC_ISSUER_URL", provider.issuer.as_str()),
        ("OIDC_CLIENT_ID", idp::CLIENT_ID),
        ("OIDC_CLIENT_SECRET", idp::CLIENT_SECRET),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = countersign::config::Config::from_vars(&vars).expect("configuration");
    let bench = Bench {
        db: Db::connect(&url).await.expect("database"),
        fallback: Fallback {
            admin_group: config.roles.admin_groups.first().cloned(),
            roles: config.roles.clone(),
        },
        issuer: provider.issuer.clone(),
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client"),
        front: front.clone(),
    };
    let mut cookies = Vec::new();
    for login in ["bob", "dave", "alice", "carol"] {
        let browser = Browser::new(front.clone());
        browser.sign_in(login).await;
        cookies.push(browser.session_cookie().expect("signed in"));
    }
    let approvers = &cookies[..2];
    let first = bench.backlog("one", DECISIONS).await;
    let second = bench.backlog("two", DECISIONS).await;
    // Tasks left in bob's inbox while it is timed (a realistic first page).
    bench.backlog("inbox", 60).await;

    let one_rate = bench.decisions_per_second(approvers, &first).await;
    let (one_p50, one_p99, one_n) = bench.inbox_latency(&cookies[0]).await;
    drop(proxy);

    let two = RealServer::start(&url, &b, &provider, &env).await;
    let proxy = Nginx::start(&listen, &[&a, &b]).await;
    let two_rate = bench.decisions_per_second(approvers, &second).await;
    let (two_p50, two_p99, two_n) = bench.inbox_latency(&cookies[0]).await;
    drop(proxy);
    drop(two);

    // kill -9, then from starting again to the first inbox page served.
    let _proxy = Nginx::start(&listen, &[&a]).await;
    one.child.start_kill().expect("SIGKILL");
    one.child.wait().await.expect("killed");
    let started = Instant::now();
    let _again = RealServer::start(&url, &a, &provider, &env).await;
    while !bench.inbox(&cookies[0]).await {
        tokio::task::yield_now().await;
    }
    let recovered = started.elapsed();

    println!("replicas on PostgreSQL behind nginx (release build, one machine)");
    println!(
        "decisions/s ({DECIDING_CLIENTS} clients, {DECISIONS} each): 1 replica {one_rate:.0}, 2 replicas {two_rate:.0}"
    );
    println!(
        "inbox page at {INBOX_CLIENTS} clients for {INBOX_SECONDS} s: 1 replica p50 {one_p50:?} p99 {one_p99:?} ({one_n} pages); 2 replicas p50 {two_p50:?} p99 {two_p99:?} ({two_n} pages)"
    );
    println!("recovery after kill -9 (start to first inbox page): {recovered:?}");
}
