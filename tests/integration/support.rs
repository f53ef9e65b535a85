//! Shared set-up: the real Countersign app on a random loopback port over a fresh
//! database of its own (SQLite or PostgreSQL, see `app::db::test_db`) that is
//! removed when the test ends, trusting a real local OIDC provider, with its logs
//! printed only when the test fails. `TestApp::spawn()` for the defaults,
//! `TestApp::builder()` for anything else.

use std::{collections::HashMap, ops::Deref};

use app::db::{Db, test_db::TestDatabase};
use countersign::{Countersign, config::Config};

pub use crate::browser::Browser;
use crate::{
    idp::{self, Idp},
    server_logs::ServerLogs,
};

pub struct TestApp {
    pub db: Db,
    /// Where approval work goes, as the running app routes it (its role map).
    pub fallback: app::domain::routing::Fallback,
    /// The app's outbox worker: tests run due jobs with `worker.run_due(now)`
    /// (set `COUNTERSIGN_OUTBOX_INTERVAL_MS=0` so the app's own loop stays off).
    pub worker: app::domain::outbox::Worker,
    /// The real OIDC provider this app trusts (taken out to stop it).
    pub idp: Option<Idp>,
    /// The test's first browser; `new_browser` gives more.
    pub browser: Browser,
    server: tokio::task::JoinHandle<()>,
    // Dropped in this order, after the server is stopped: the logs are printed
    // while the database they speak of still exists.
    logs: ServerLogs,
    database: TestDatabase,
}

impl Deref for TestApp {
    type Target = Browser;
    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// How a test wants its app: extra configuration, the provider, who is signed
/// in. Made by [`TestApp::builder`], which binds the app's port first, so a
/// provider the test starts itself can be told the app's origin.
pub struct TestAppBuilder {
    listener: std::net::TcpListener,
    origin: String,
    config: Vec<(String, String)>,
    provider: Provider,
    signed_in: Option<String>,
}

enum Provider {
    /// The local provider, started with these extra `IDP_*` variables.
    Local(Vec<(String, String)>),
    /// One the test started (behind the tampering proxy, say).
    Started(Box<Idp>),
}

fn owned(vars: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
    vars.iter().map(|(k, v)| (k.to_string(), v.to_string()))
}

impl TestApp {
    /// The app with the test defaults and the local provider.
    pub async fn spawn() -> TestApp {
        TestApp::builder().spawn().await
    }

    pub fn builder() -> TestAppBuilder {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        TestAppBuilder {
            listener,
            origin: format!("http://{addr}"),
            config: Vec::new(),
            provider: Provider::Local(Vec::new()),
            signed_in: None,
        }
    }

    /// Another browser with cookies of its own (another person, or an attacker).
    /// What the app has logged so far.
    pub fn server_log(&self) -> String {
        self.logs.text()
    }

    pub fn new_browser(&self) -> Browser {
        Browser::new(self.browser.origin())
    }

    pub fn issuer(&self) -> String {
        self.idp.as_ref().expect("provider running").issuer.clone()
    }

    /// The database's URL, for the command-line tool.
    pub fn database_url(&self) -> &str {
        self.database.url()
    }

    /// Stops the provider; returns the port it listened on.
    pub async fn stop_provider(&mut self) -> u16 {
        let idp = self.idp.take().expect("provider running");
        let port = idp.port();
        idp.stop().await;
        port
    }

    /// Starts a new provider (new process, new signing key) on `port`, with these
    /// extra `IDP_*` variables.
    pub async fn start_provider(&mut self, port: u16, provider_env: &[(&str, &str)]) {
        self.idp = Some(Idp::start_with(&self.origin(), port, provider_env).await);
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestAppBuilder {
    /// Configuration variables on top of the test defaults.
    pub fn with_config(mut self, vars: &[(&str, &str)]) -> TestAppBuilder {
        self.config.extend(owned(vars));
        self
    }

    /// Extra `IDP_*` variables for the local provider (see `end2end/idp/server.js`).
    pub fn with_provider_env(mut self, vars: &[(&str, &str)]) -> TestAppBuilder {
        match &mut self.provider {
            Provider::Local(env) => env.extend(owned(vars)),
            Provider::Started(_) => panic!("the provider was started by the test"),
        }
        self
    }

    /// Trusts `idp`, started by the test for [`TestAppBuilder::origin`], instead
    /// of the local provider.
    pub fn with_provider(mut self, idp: Idp) -> TestAppBuilder {
        self.provider = Provider::Started(Box::new(idp));
        self
    }

    /// The first browser signs in as `login` once the app is up.
    pub fn signed_in_as(mut self, login: &str) -> TestAppBuilder {
        self.signed_in = Some(login.to_owned());
        self
    }

    /// The origin the app will answer on.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub async fn spawn(self) -> TestApp {
        let logs = ServerLogs::capture();
        let idp = match self.provider {
            Provider::Local(env) => {
                let env: Vec<(&str, &str)> =
                    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                Idp::start_with(&self.origin, 0, &env).await
            }
            Provider::Started(idp) => *idp,
        };
        let database = TestDatabase::create()
            .await
            .expect("create a test database");
        let addr = self.listener.local_addr().expect("local address");
        let mut vars: HashMap<String, String> = owned(&[
            ("DATABASE_URL", database.url()),
            ("COUNTERSIGN_ADDR", &addr.to_string()),
            ("OIDC_ISSUER_URL", &idp.issuer),
            ("OIDC_CLIENT_ID", idp::CLIENT_ID),
            ("OIDC_CLIENT_SECRET", idp::CLIENT_SECRET),
        ])
        .collect();
        vars.extend(self.config);
        let config = Config::from_vars(&vars).expect("test configuration");
        let app = Countersign::build(config).await.expect("start the app");
        let db = app.state.db.clone();
        let fallback = app.state.services.fallback.clone();
        let worker = app.worker.clone();
        self.listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let listener =
            tokio::net::TcpListener::from_std(self.listener).expect("listen on the runtime");
        let server = tokio::spawn(async move {
            if let Err(err) = app.serve_on(listener).await {
                tracing::error!(error = %err, "the app under test stopped");
            }
        });
        let test_app = TestApp {
            db,
            fallback,
            worker,
            idp: Some(idp),
            browser: Browser::new(self.origin),
            server,
            logs,
            database,
        };
        if let Some(login) = self.signed_in {
            test_app.sign_in(&login).await;
        }
        test_app
    }
}
