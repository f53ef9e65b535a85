//! The real `countersign serve` binary as a child process, as an operator runs
//! it: its standard output read line by line, so a test waits for what the
//! server says (listening, shutting down, stopped) instead of sleeping.

use std::{process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::mpsc,
};

use crate::idp::{self, Idp};

pub struct RealServer {
    pub child: Child,
    pub addr: String,
    lines: mpsc::UnboundedReceiver<String>,
}

/// A free loopback address (bound, then released for the server to take).
pub fn free_addr() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a loopback port")
        .to_string()
}

impl RealServer {
    /// `countersign serve` on `addr` over `db_url`, trusting `provider`, with
    /// `extra` variables; returns once it says it is running.
    pub async fn start(db_url: &str, addr: &str, provider: &Idp, extra: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_countersign"))
            .arg("serve")
            .env("DATABASE_URL", db_url)
            .env("COUNTERSIGN_ADDR", addr)
            .env("OIDC_ISSUER_URL", &provider.issuer)
            .env("OIDC_CLIENT_ID", idp::CLIENT_ID)
            .env("OIDC_CLIENT_SECRET", idp::CLIENT_SECRET)
            .env("COUNTERSIGN_LOG_FORMAT", "text")
            .env("RUST_LOG", "info,sqlx=warn,tower_sessions=warn")
            .envs(extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start target/debug/countersign");
        let stdout = child.stdout.take().expect("server stdout");
        let (send, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = RealServer {
            child,
            addr: addr.to_owned(),
            lines,
        };
        server
            .wait_for_line("Countersign is running", Duration::from_secs(60))
            .await;
        server
    }

    /// Waits until the server prints a line containing `text`; fails after
    /// `bound` or when its output ends first.
    pub async fn wait_for_line(&mut self, text: &str, bound: Duration) {
        let found = tokio::time::timeout(bound, async {
            while let Some(line) = self.lines.recv().await {
                if line.contains(text) {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(
            found,
            Ok(true),
            "the server did not say {text:?} within {bound:?}"
        );
    }

    /// Sends SIGTERM, as systemd or an orchestrator does to stop a replica.
    pub async fn terminate(&self) {
        let pid = self.child.id().expect("the server is running");
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .expect("run kill");
        assert!(status.success());
    }
}
