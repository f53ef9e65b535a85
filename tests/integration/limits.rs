//! Body and input limits: a stranger cannot make the server read a large body
//! (anonymous server-function calls are refused before it, every body is
//! bounded), and every search that becomes a SQL `LIKE` is bounded in length.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::TestApp;

const TEN_MB: usize = 10 * 1024 * 1024;

/// How a large body is announced.
#[derive(Clone, Copy, Debug)]
enum Framing {
    ContentLength,
    Chunked,
}

/// POSTs a 10 MB body of zeros to `path` over a raw connection (so the test
/// itself never holds 10 MB), writing it in the background, and returns the
/// status the app answers with.
async fn post_ten_mb(app: &TestApp, path: &str, framing: Framing, headers: &[String]) -> u16 {
    let host = app.origin().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&host).await.expect("connect to the app");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n",
        app.origin()
    );
    match framing {
        Framing::ContentLength => head.push_str(&format!("Content-Length: {TEN_MB}\r\n")),
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
    }
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    let (mut reader, mut writer) = stream.into_split();
    // The server may answer and close before taking it all: write errors are expected.
    let sender = tokio::spawn(async move {
        let chunk = [b'a'; 64 * 1024];
        for _ in 0..TEN_MB / chunk.len() {
            let sent = match framing {
                Framing::ContentLength => writer.write_all(&chunk).await,
                Framing::Chunked => {
                    let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                    framed.extend_from_slice(&chunk);
                    framed.extend_from_slice(b"\r\n");
                    writer.write_all(&framed).await
                }
            };
            if sent.is_err() {
                return;
            }
        }
        if let Framing::Chunked = framing {
            let _ = writer.write_all(b"0\r\n\r\n").await;
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let status_line = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let n = reader.read(&mut buf).await.unwrap_or(0);
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || answer.windows(2).any(|w| w == b"\r\n") {
                break String::from_utf8_lossy(&answer).into_owned();
            }
        }
    })
    .await
    .expect("the app answers");
    sender.abort();
    status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {status_line:?}"))
}

/// The test process's resident memory in KiB (the app runs in it).
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_mb_anonymous_posts_are_refused_unread_and_memory_stays_flat() {
    let app = TestApp::spawn().await;
    // Warm up the code paths (and their allocations) first.
    let _ = app
        .server_fn("/api/inbox/decide", &[("task_ids[0]", "x")])
        .await;
    let before = resident_kib();

    let cases = [
        ("/api/inbox/decide", Framing::Chunked, 401),
        ("/api/inbox/decide", Framing::ContentLength, 413),
        ("/api/session/who_am_i", Framing::ContentLength, 413),
        ("/api/v1/access-requests", Framing::ContentLength, 413),
        ("/api/v1/access-requests", Framing::Chunked, 401),
    ];
    for (path, framing, expected) in cases {
        let status = post_ten_mb(&app, path, framing, &[]).await;
        assert_eq!(status, expected, "{path} with {framing:?}");
    }

    let grown = resident_kib().saturating_sub(before);
    assert!(
        grown < 8 * 1024,
        "memory grew by {grown} KiB while refusing 50 MB of bodies"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_mb_body_from_a_signed_in_person_is_refused_with_413() {
    let app = TestApp::builder().signed_in_as("bob").spawn().await;
    let cookie = app.session_cookie().expect("bob's session");

    let status = post_ten_mb(
        &app,
        "/api/inbox/decide",
        Framing::ContentLength,
        &[format!("Cookie: {cookie}")],
    )
    .await;

    assert_eq!(status, 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_server_function_call_is_refused_with_401() {
    let app = TestApp::spawn().await;

    let (status, body) = app.server_fn("/api/inbox/list", &[]).await;
    let (who_status, who) = app.server_fn("/api/session/who_am_i", &[]).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body, "Unauthenticated");
    assert_eq!(who_status, StatusCode::OK, "who_am_i stays public: {who}");
    assert_eq!(who, serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_longer_than_200_characters_is_refused_with_a_clear_message() {
    let app = TestApp::builder().signed_in_as("carol").spawn().await;
    let long = "a".repeat(201);
    let longest = "a".repeat(200);

    for (path, field) in [
        ("/api/catalog/list", "search"),
        ("/api/items/list", "search"),
        ("/api/people/find", "query"),
    ] {
        let extra = [("kind", ""), ("sort", ""), ("purpose", "owner")];
        let form = [[(field, long.as_str())].as_slice(), &extra].concat();
        let (status, body) = app.server_fn(path, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(
            body.to_string()
                .contains("Search for at most 200 characters."),
            "{path}: {body}"
        );

        let form = [[(field, longest.as_str())].as_slice(), &extra].concat();
        let (status, body) = app.server_fn(path, &form).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{path}: 200 characters are fine: {body}"
        );
    }
}
