//! A real SCIM 2.0 service provider: PyPI's `scim2-server` (the reference
//! server for testing SCIM clients), from the virtual environment
//! `scripts/setup.sh` makes, run by the test on a free loopback port with a
//! static bearer token. Read back over its own SCIM API. Its resources live in
//! memory, so each test gets a fresh one.

use std::{path::PathBuf, process::Stdio, time::Duration};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// Where `scripts/setup.sh` puts the virtual environment.
pub fn venv() -> PathBuf {
    if let Some(dir) = std::env::var_os("COUNTERSIGN_VENV") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").expect("HOME is set");
    PathBuf::from(home).join(".cache/countersign/venv")
}

pub struct ScimServer {
    pub base_url: String,
    token: String,
    http: reqwest::Client,
    _child: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl ScimServer {
    /// Starts a server that accepts only `token`.
    pub async fn start(token: &str) -> ScimServer {
        let program = venv().join("bin/scim2-server");
        assert!(
            program.exists(),
            "{} is missing: run scripts/setup.sh (PyPI scim2-server in a venv)",
            program.display()
        );
        // The port is chosen here and handed over: another process may take it
        // in between, so a server that cannot listen is started again.
        for _ in 0..3 {
            let port = free_port();
            let mut child = Command::new(&program)
                .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
                .args(["--bearer-token", token])
                .env("PYTHONUNBUFFERED", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("start scim2-server");
            let stdout = child.stdout.take().expect("scim2-server stdout");
            let mut lines = BufReader::new(stdout).lines();
            let ready = tokio::time::timeout(Duration::from_secs(20), async {
                while let Ok(Some(line)) = lines.next_line().await {
                    if line.starts_with("Serving SCIM on") {
                        return true;
                    }
                }
                false
            })
            .await
            .unwrap_or(false);
            if !ready {
                continue;
            }
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return ScimServer {
                base_url: format!("http://127.0.0.1:{port}/v2"),
                token: token.to_owned(),
                http: reqwest::Client::new(),
                _child: child,
            };
        }
        panic!("scim2-server did not start");
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request
            .bearer_auth(&self.token)
            .header("content-type", "application/scim+json")
            .send()
            .await
            .expect("SCIM request");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "SCIM answered {status}: {body}");
        body
    }

    /// Creates a group; returns its id.
    pub async fn create_group(&self, name: &str) -> String {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name,
        });
        let created = self
            .send(
                self.http
                    .post(format!("{}/Groups", self.base_url))
                    .json(&body),
            )
            .await;
        created["id"].as_str().expect("group id").to_owned()
    }

    /// Creates a user; returns its id.
    pub async fn create_user(&self, user_name: &str) -> String {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
        });
        let created = self
            .send(
                self.http
                    .post(format!("{}/Users", self.base_url))
                    .json(&body),
            )
            .await;
        created["id"].as_str().expect("user id").to_owned()
    }

    /// Every user, as the server holds them.
    pub async fn users(&self) -> Vec<Value> {
        let list = self
            .send(self.http.get(format!("{}/Users", self.base_url)))
            .await;
        list["Resources"].as_array().cloned().unwrap_or_default()
    }

    /// The ids of the group's members.
    pub async fn members(&self, group_id: &str) -> Vec<String> {
        let group = self
            .send(
                self.http
                    .get(format!("{}/Groups/{group_id}", self.base_url)),
            )
            .await;
        group["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|v| v["value"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}
