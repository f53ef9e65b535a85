//! A real SMTP server on loopback: PyPI's `aiosmtpd` from the virtual
//! environment `scripts/setup.sh` makes, running `scripts/smtp_sink.py`, which
//! accepts every mail and prints it as one JSON line (envelope, headers, the
//! decoded plain-text and HTML parts). Stopped by dropping it.

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::Deserialize;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::scim_server::venv;

/// One mail as the server received it.
#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub rcpt_to: Vec<String>,
    pub to: String,
    pub subject: String,
    pub headers: std::collections::HashMap<String, String>,
    pub text: String,
    pub html: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first link under `origin` in the plain-text part.
    pub fn link_under(&self, origin: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|w| w.starts_with(origin))
            .map(str::to_owned)
    }
}

pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    _child: Child,
}

/// A loopback port nobody listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl SmtpSink {
    /// Starts a sink on `port` (0: any free port).
    pub async fn start(port: u16) -> SmtpSink {
        let python = venv().join("bin/python");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/smtp_sink.py");
        assert!(
            python.exists(),
            "{} is missing: run scripts/setup.sh (PyPI aiosmtpd in a venv)",
            python.display()
        );
        let mut child = Command::new(&python)
            .args([script, "--json", "--port", &port.to_string()])
            .env("PYTHONUNBUFFERED", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP sink");
        let stdout = child.stdout.take().expect("sink stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(port) = line.strip_prefix("READY ") {
                    return port.trim().parse::<u16>().ok();
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .expect("the SMTP sink (aiosmtpd) did not start");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = mails.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(mail) = serde_json::from_str::<Mail>(&line) {
                    store.lock().expect("mails").push(mail);
                }
            }
        });
        SmtpSink {
            port: ready,
            mails,
            _child: child,
        }
    }

    /// The settings that send the app's mail here.
    pub fn config(port: u16) -> Vec<(&'static str, String)> {
        vec![
            (
                "COUNTERSIGN_SMTP_URL",
                format!("smtp://127.0.0.1:{port}?tls=none"),
            ),
            (
                "COUNTERSIGN_SMTP_FROM",
                "Countersign <countersign@example.com>".into(),
            ),
        ]
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("mails").clone()
    }

    /// Waits until `n` mails arrived (the worker's run has returned when the
    /// server accepted them, but its output is read asynchronously).
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        for _ in 0..400 {
            if self.mails().len() >= n {
                return self.mails();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("expected {n} mails, got {:#?}", self.mails());
    }
}
