//! A browser-like client for the app under test: its own cookies, every redirect
//! seen, and the steps a person takes at the provider.

use std::sync::Arc;

use crate::idp;

/// A browser-like client: keeps cookies, does not follow redirects (the tests
/// want to see every hop).
pub struct Browser {
    origin: String,
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub(crate) fn new(origin: String) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            // A request that hangs fails its test, naming the URL, instead of CI.
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("http client");
        Browser {
            origin,
            client,
            jar,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    pub fn origin(&self) -> String {
        self.origin.clone()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("GET reaches the app")
    }

    /// POSTs the server function at `path` as the browser's own page would (same
    /// origin, a form); returns the status and the body, as JSON when it is.
    pub async fn server_fn(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let response = self
            .client
            .post(self.url(path))
            .header("origin", self.origin())
            .form(form)
            .send()
            .await
            .expect("server function reachable");
        let status = response.status();
        let body = response.text().await.expect("the server function's body");
        let body = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
        (status, body)
    }

    /// Signs in again at the provider for `challenge` as `login`; returns the
    /// app's answer at the callback: its status and where it sent the browser.
    ///
    /// The provider reports `auth_time` in whole seconds, and a re-authentication
    /// must be strictly later than the sign-in (and any earlier one): so this
    /// first waits for the next whole second, as a person typing would.
    pub async fn reauthenticate(
        &self,
        challenge: &str,
        login: &str,
    ) -> (reqwest::StatusCode, String) {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970");
        let to_next_second =
            std::time::Duration::from_millis(1000 - u64::from(since_epoch.subsec_millis()));
        tokio::time::sleep(to_next_second).await;
        let (form, form_url) = idp::follow(
            &self.client,
            self.url(&format!("/auth/reauth/{challenge}")),
            "never:",
        )
        .await;
        let callback = idp::submit_login(
            &self.client,
            form,
            &form_url,
            login,
            idp::PASSWORD,
            &self.origin(),
        )
        .await
        .expect("the provider takes the password");
        let response = self
            .client
            .get(&callback)
            .send()
            .await
            .expect("the callback reaches the app");
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (response.status(), location)
    }

    /// A personal access token for this browser's person (`login`), created
    /// through the step-up it asks for; returns the token text shown once.
    pub async fn create_token(&self, login: &str, name: &str) -> String {
        let (status, body) = self
            .server_fn(
                "/api/tokens/create",
                &[
                    ("name", name),
                    ("days", "30"),
                    ("scope_read", "on"),
                    ("scope_request", "on"),
                    ("scope_approve", "on"),
                    ("scope_admin", "on"),
                    ("scope_audit", "on"),
                ],
            )
            .await;
        assert_eq!(
            status,
            reqwest::StatusCode::UNAUTHORIZED,
            "creating a token asks for step-up"
        );
        let challenge = body["ReauthRequired"]["challenge_id"]
            .as_str()
            .unwrap_or_else(|| panic!("expected ReauthRequired, got {body}"))
            .to_owned();
        let (_, back) = self.reauthenticate(&challenge, login).await;
        assert_eq!(back, format!("/tokens?signed={challenge}"));
        let (status, done) = self
            .server_fn("/api/signed/complete", &[("challenge_id", &challenge)])
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{done}");
        done["secret"]
            .as_str()
            .expect("the token, shown once")
            .to_owned()
    }

    /// Goes to `/auth/login?next=…` and on to the provider's sign-in form; returns
    /// the form page and its URL.
    pub async fn open_sign_in(&self, next: &str) -> (reqwest::Response, String) {
        let start = self.url(&format!("/auth/login?next={next}"));
        idp::follow(&self.client, start, "never:").await
    }

    /// Signs in as `login` at the provider and returns the app's callback URL,
    /// not yet visited.
    pub async fn callback_for(&self, login: &str, password: &str) -> Result<String, String> {
        let (form, form_url) = self.open_sign_in("/").await;
        idp::submit_login(&self.client, form, &form_url, login, password, &self.origin).await
    }

    /// Signs in as a demo user through the real provider, like a person would.
    pub async fn sign_in(&self, login: &str) {
        let callback = self
            .callback_for(login, idp::PASSWORD)
            .await
            .expect("the provider accepts the demo user");
        let response = self.client.get(&callback).send().await.expect("callback");
        assert_eq!(
            response.status(),
            reqwest::StatusCode::SEE_OTHER,
            "callback should redirect after sign-in: {}",
            response.text().await.unwrap_or_default()
        );
    }

    /// The app's session cookie (`name=value`) as this browser holds it now.
    pub fn session_cookie(&self) -> Option<String> {
        use reqwest::cookie::CookieStore as _;
        let origin = url::Url::parse(&self.origin).expect("origin");
        let header = self.jar.cookies(&origin)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find(|c| c.starts_with("countersign_session="))
            .map(str::to_owned)
    }

    /// GET `path` with exactly this `Cookie` header and nothing else.
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> reqwest::Response {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("GET reaches the app")
    }
}
