//! The real local OIDC provider (npm `oidc-provider`, `end2end/idp/server.js`) as
//! a child process of the test, and a person signing in at its HTML form.

use std::{path::PathBuf, process::Stdio};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

pub const PASSWORD: &str = "countersign-demo";
pub const CLIENT_ID: &str = "countersign";
pub const CLIENT_SECRET: &str = "countersign-test-secret";

pub struct Idp {
    /// The issuer it announces (a fronting proxy's URL when `IDP_ISSUER` is set).
    pub issuer: String,
    /// Where it really listens (`http://host:port`), which is the issuer unless a
    /// proxy fronts it.
    pub listening: String,
    child: Child,
}

impl Idp {
    /// Starts the provider on `port` (0: a free one), trusting `app_origin` as its
    /// client, with extra `IDP_*` variables on top of the test defaults
    /// (`IDP_ISSUER`, `IDP_SIGNING_KEYS`, … see `end2end/idp/server.js`).
    pub async fn start_with(app_origin: &str, port: u16, extra: &[(&str, &str)]) -> Idp {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("end2end");
        assert!(
            root.join("node_modules/oidc-provider").is_dir(),
            "end2end/node_modules is missing: run scripts/setup.sh"
        );
        let mut child = Command::new("node")
            .arg("idp/server.js")
            .current_dir(&root)
            .env("IDP_PORT", port.to_string())
            .env("IDP_CLIENT_ID", CLIENT_ID)
            .env("IDP_CLIENT_SECRET", CLIENT_SECRET)
            .env("IDP_REDIRECT_URIS", format!("{app_origin}/auth/callback"))
            .env(
                "IDP_POST_LOGOUT_REDIRECT_URIS",
                format!("{app_origin}/auth/signed-out"),
            )
            .envs(extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start node end2end/idp/server.js");
        let stdout = child.stdout.take().expect("provider stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut listening = None;
        let issuer = loop {
            match lines.next_line().await.expect("read provider output") {
                Some(line) if line.starts_with("READY ") => break line[6..].to_owned(),
                Some(line) if line.starts_with("LISTENING ") => {
                    listening = Some(line[10..].to_owned());
                }
                Some(_) => continue,
                None => panic!("the provider exited before it was ready"),
            }
        };
        let listening = listening.unwrap_or_else(|| issuer.clone());
        // Keep draining its stdout so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Idp {
            issuer,
            listening,
            child,
        }
    }

    pub fn port(&self) -> u16 {
        url::Url::parse(&self.issuer)
            .ok()
            .and_then(|u| u.port())
            .expect("issuer has a port")
    }

    /// Stops the provider (SIGKILL) and waits until it is gone.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Follows redirects by hand from `url` until one leads to `stop_prefix` (not
/// followed) or a page answers; returns that last response and its URL.
pub async fn follow(
    client: &reqwest::Client,
    mut url: String,
    stop_prefix: &str,
) -> (reqwest::Response, String) {
    for _ in 0..20 {
        let response = client.get(&url).send().await.expect("GET");
        if !response.status().is_redirection() {
            return (response, url);
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("redirect has a Location");
        let next = url::Url::parse(&url)
            .and_then(|base| base.join(location))
            .expect("Location is a URL")
            .to_string();
        if next.starts_with(stop_prefix) {
            return (response, next);
        }
        url = next;
    }
    panic!("too many redirects from {url}");
}

/// Submits the provider's sign-in form found at `form_url` and follows its
/// redirects back to the app's callback, which is returned unvisited.
pub async fn submit_login(
    client: &reqwest::Client,
    form_page: reqwest::Response,
    form_url: &str,
    login: &str,
    password: &str,
    app_origin: &str,
) -> Result<String, String> {
    let html = form_page.text().await.expect("login page");
    let action = html
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .filter(|a| a.ends_with("/login"))
        .ok_or_else(|| format!("no sign-in form at {form_url}: {html}"))?;
    let action = url::Url::parse(form_url)
        .and_then(|u| u.join(action))
        .expect("form action")
        .to_string();
    let response = client
        .post(&action)
        .form(&[("login", login), ("password", password)])
        .send()
        .await
        .expect("POST sign-in form");
    if !response.status().is_redirection() {
        return Err(format!(
            "the provider refused the sign-in: {}",
            response.status()
        ));
    }
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("Location")
        .to_owned();
    let next = url::Url::parse(&action)
        .and_then(|u| u.join(&location))
        .expect("Location is a URL")
        .to_string();
    let callback_prefix = format!("{app_origin}/auth/callback");
    if next.starts_with(&callback_prefix) {
        return Ok(next);
    }
    let (_, callback) = follow(client, next, &callback_prefix).await;
    if callback.starts_with(&callback_prefix) {
        Ok(callback)
    } else {
        Err(format!("did not come back to the app: {callback}"))
    }
}
