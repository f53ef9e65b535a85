//! SIGTERM stops a replica gracefully: the listener closes at once, a request
//! under way still gets its answer, and the process exits 0 within
//! `COUNTERSIGN_SHUTDOWN_GRACE_SECS` even when a client never finishes.

use std::time::Duration;

use app::db::test_db::TestDatabase;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    idp::Idp,
    real_server::{RealServer, free_addr},
    support::Browser,
};

const BODY: &str = "name=build-agent&days=30&scope_read=on";

/// A signed-in person's server-function post whose head and first half of
/// body are sent: the server has it under way (it reads the whole body before
/// answering).
async fn request_under_way(server: &RealServer) -> TcpStream {
    let browser = Browser::new(format!("http://{}", server.addr));
    browser.sign_in("alice").await;
    let cookie = browser.session_cookie().expect("signed in");
    let mut stream = TcpStream::connect(&server.addr).await.expect("connect");
    let head = format!(
        "POST /api/tokens/create HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
         Cookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len}\r\n\
         Connection: close\r\n\r\n{half}",
        addr = server.addr,
        len = BODY.len(),
        half = &BODY[..BODY.len() / 2],
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    stream
}

/// Waits until the server's metrics count `n` requests under way.
async fn wait_for_in_flight(metrics_addr: &str, n: u32) {
    let series = format!("countersign_http_requests_in_flight {n}");
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(response) = reqwest::get(format!("http://{metrics_addr}/metrics")).await
                && let Ok(text) = response.text().await
                && text.lines().any(|line| line == series)
            {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(seen.is_ok(), "the request never reached the server");
}

/// Waits until connecting is refused (the listener is closed).
async fn wait_until_refused(addr: &str) {
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match TcpStream::connect(addr).await {
                Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => return,
                _ => tokio::task::yield_now().await,
            }
        }
    })
    .await;
    assert!(refused.is_ok(), "new connections were still accepted");
}

async fn start(grace_secs: &str) -> (RealServer, String, Idp, TestDatabase) {
    let database = TestDatabase::create().await.unwrap();
    let addr = free_addr();
    let metrics_addr = free_addr();
    let provider = Idp::start_with(&format!("http://{addr}"), 0, &[]).await;
    let server = RealServer::start(
        database.url(),
        &addr,
        &provider,
        &[
            ("COUNTERSIGN_METRICS_ADDR", &metrics_addr),
            ("COUNTERSIGN_SHUTDOWN_GRACE_SECS", grace_secs),
        ],
    )
    .await;
    (server, metrics_addr, provider, database)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_refuses_new_connections_and_finishes_the_request_under_way() {
    let (mut server, metrics_addr, _provider, _database) = start("20").await;
    let mut stream = request_under_way(&server).await;
    wait_for_in_flight(&metrics_addr, 1).await;

    server.terminate().await;
    server
        .wait_for_line("shutting down", Duration::from_secs(10))
        .await;
    wait_until_refused(&server.addr).await;
    stream
        .write_all(&BODY.as_bytes()[BODY.len() / 2..])
        .await
        .expect("the connection under way stays open");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .expect("the whole answer");

    // The server function's own answer, in full: a new token asks its
    // creator to sign in again first.
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    assert!(answer.contains("ReauthRequired"), "{answer}");
    let exit = tokio::time::timeout(Duration::from_secs(20), server.child.wait())
        .await
        .expect("exits within the grace period")
        .expect("exit status");
    assert!(exit.success(), "{exit}");
    server
        .wait_for_line("Countersign stopped", Duration::from_secs(5))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_never_finishes_does_not_hold_the_stop_beyond_the_grace_period() {
    let (mut server, metrics_addr, _provider, _database) = start("1").await;
    let _stuck = request_under_way(&server).await;
    wait_for_in_flight(&metrics_addr, 1).await;

    server.terminate().await;
    let started = std::time::Instant::now();
    let exit = tokio::time::timeout(Duration::from_secs(10), server.child.wait())
        .await
        .expect("exits soon after the grace period")
        .expect("exit status");

    assert!(exit.success(), "{exit}");
    assert!(started.elapsed() >= Duration::from_millis(500));
    server
        .wait_for_line(
            "requests still under way after the grace period were dropped",
            Duration::from_secs(5),
        )
        .await;
}
