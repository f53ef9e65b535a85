//! A webhook receiver as an organisation would run one: an HTTP server on a
//! loopback port that checks each delivery's signature itself (HMAC-SHA256 over
//! `t.body`, compared in constant time, `t` inside a replay window), keeps what
//! it accepted, and answers with the status the test sets. It can be stopped
//! (the port refuses connections) and started again on the same port.
//! [`Receiver::open`] is a chat's incoming webhook instead: no signature, the
//! URL is the credential.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU16, Ordering},
    },
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::Notify;

/// Seconds either side of the receiver's clock a signature may be dated.
pub const WINDOW_SECS: i64 = 300;

/// One delivery the receiver saw.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: Value,
    /// The signature checked out (and was inside the window).
    pub signed: bool,
    /// What the receiver answered.
    pub status: u16,
}

#[derive(Clone)]
struct Shared {
    /// `None`: a chat's incoming webhook, which takes any post.
    secret: Option<Arc<String>>,
    answer: Arc<AtomicU16>,
    seen: Arc<Mutex<Vec<Delivery>>>,
    arrived: Arc<Notify>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
    server: Option<tokio::task::JoinHandle<()>>,
}

/// Checks `X-Countersign-Signature: t=…,v1=…` over `body`, independently of
/// the app's own code.
fn signature_ok(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(header) = headers
        .get("x-countersign-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if (now - t).abs() > WINDOW_SECS {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&v1).is_ok()
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signed = shared
        .secret
        .as_ref()
        .is_some_and(|secret| signature_ok(secret, &headers, &body));
    let status = if signed || shared.secret.is_none() {
        shared.answer.load(Ordering::SeqCst)
    } else {
        401
    };
    let event = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.seen.lock().expect("lock").push(Delivery {
        event,
        signed,
        status,
    });
    shared.arrived.notify_waiters();
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl Receiver {
    /// A receiver sharing `secret`, answering 200, on a free port.
    pub async fn start(secret: &str) -> Receiver {
        Receiver::listen(Some(Arc::new(secret.to_owned()))).await
    }

    /// A chat's incoming webhook, answering 200, on a free port.
    pub async fn open() -> Receiver {
        Receiver::listen(None).await
    }

    async fn listen(secret: Option<Arc<String>>) -> Receiver {
        let shared = Shared {
            secret,
            answer: Arc::new(AtomicU16::new(200)),
            seen: Arc::default(),
            arrived: Arc::new(Notify::new()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        let mut receiver = Receiver {
            addr,
            shared,
            server: None,
        };
        receiver.serve(listener);
        receiver
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(self.shared.clone());
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// What it answers to a well-signed delivery from now on.
    pub fn answer(&self, status: u16) {
        self.shared.answer.store(status, Ordering::SeqCst);
    }

    /// Stops listening: connections to its port are refused.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("bind the receiver's port again");
        self.serve(listener);
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.seen.lock().expect("lock").clone()
    }

    /// The accepted (well-signed, 2xx) events of `kind`.
    pub fn accepted(&self, kind: &str) -> Vec<Value> {
        self.deliveries()
            .into_iter()
            .filter(|d| d.signed && (200..300).contains(&d.status) && d.event["type"] == kind)
            .map(|d| d.event)
            .collect()
    }

    /// The bodies it accepted (2xx), signed or not.
    pub fn posts(&self) -> Vec<Value> {
        self.deliveries()
            .into_iter()
            .filter(|d| (200..300).contains(&d.status))
            .map(|d| d.event)
            .collect()
    }

    /// Waits (up to `secs`) until at least `n` deliveries arrived.
    pub async fn wait_for(&self, n: usize, secs: u64) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let arrived = self.shared.arrived.notified();
            if self.deliveries().len() >= n {
                return;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!(
                    "{n} deliveries expected within {secs}s, got {:?}",
                    self.deliveries()
                );
            }
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
