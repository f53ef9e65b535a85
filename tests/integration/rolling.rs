//! A rolling restart: two real replicas over one database behind Debian's
//! nginx, each stopped (SIGTERM) and started again in turn while a person keeps
//! loading pages through the proxy. No request is lost: a stopping replica
//! finishes what it has and accepts nothing new, and the proxy retries an
//! idempotent request that found it gone on the other replica.
//!
//! Both databases: two processes share one PostgreSQL, or one SQLite file (WAL)
//! on one machine, which is how a single machine restarts without downtime.
//! Waits are on what the load has seen (answers counted), never on sleeps.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::sync::watch;

use crate::{
    idp::Idp,
    nginx::Nginx,
    real_server::{RealServer, free_addr},
    support::{Browser, TestApp},
};

/// Clients loading pages at once.
const CLIENTS: usize = 4;
/// Answers to see in each phase before going on.
const PER_PHASE: usize = 20;

/// Waits until `answered` reaches `target`; fails after a bound.
async fn answers(answered: &mut watch::Receiver<usize>, target: usize) {
    let seen =
        tokio::time::timeout(Duration::from_secs(60), answered.wait_for(|n| *n >= target)).await;
    assert!(
        matches!(seen, Ok(Ok(_))),
        "the load stopped getting answers before {target}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_load_loses_no_request() {
    let listen = free_addr();
    let front = format!("http://{listen}");
    let provider = Idp::start_with(&front, 0, &[]).await;
    let app = TestApp::builder().with_provider(provider).spawn().await;
    let idp = app.idp.as_ref().expect("provider");
    let env = [
        ("COUNTERSIGN_PUBLIC_URL", front.as_str()),
        ("COUNTERSIGN_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("COUNTERSIGN_SHUTDOWN_GRACE_SECS", "20"),
    ];
    let addrs = [free_addr(), free_addr()];
    let db = app.database_url();
    let mut replicas = [
        RealServer::start(db, &addrs[0], idp, &env).await,
        RealServer::start(db, &addrs[1], idp, &env).await,
    ];
    let _proxy = Nginx::start(&listen, &[&addrs[0], &addrs[1]]).await;
    let alice = Browser::new(front.clone());
    alice.sign_in("alice").await;

    // Alice's pages, loaded without pause by a few clients; every answer that
    // is not a whole 200 page is kept.
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let (count, mut answered) = watch::channel(0usize);
    let count = Arc::new(count);
    let mut load = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url) = (alice.client.clone(), alice.url("/catalog"));
        let (stop, failures, count) = (stop.clone(), failures.clone(), count.clone());
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let outcome = match client.get(&url).send().await {
                    Ok(page) if page.status() == StatusCode::OK => match page.text().await {
                        Ok(text) if text.contains("</html>") => Ok(()),
                        Ok(_) => Err("a page cut short".to_owned()),
                        Err(err) => Err(format!("a body lost: {err}")),
                    },
                    Ok(page) => Err(format!("answered {}", page.status())),
                    Err(err) => Err(format!("no answer: {err}")),
                };
                if let Err(failure) = outcome {
                    failures.lock().expect("failures").push(failure);
                }
                count.send_modify(|n| *n += 1);
            }
        }));
    }

    let mut target = PER_PHASE;
    answers(&mut answered, target).await;
    for (i, addr) in addrs.iter().enumerate() {
        // Stopped as an orchestrator stops it; it exits cleanly.
        replicas[i].terminate().await;
        let exit = tokio::time::timeout(Duration::from_secs(30), replicas[i].child.wait())
            .await
            .expect("the replica stops within its grace period")
            .expect("its exit status");
        assert!(exit.success(), "replica {i} exited with {exit}");
        // Pages keep coming from the other one meanwhile.
        target += PER_PHASE;
        answers(&mut answered, target).await;
        // The new release of it takes its place.
        replicas[i] = RealServer::start(db, addr, idp, &env).await;
        target += PER_PHASE;
        answers(&mut answered, target).await;
    }
    stop.store(true, Ordering::SeqCst);
    for client in load {
        client.await.expect("a load client");
    }

    let failures = failures.lock().expect("failures").clone();
    assert!(
        failures.is_empty(),
        "{} of {} requests lost during the rolling restart: {failures:?}",
        failures.len(),
        *answered.borrow()
    );
    assert!(*answered.borrow() >= 5 * PER_PHASE);
}
