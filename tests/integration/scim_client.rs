//! A SCIM client for the tests: the requests an identity provider sends, with
//! a directory token, and the directory token itself.

use app::{
    db::users,
    domain::{
        DomainError,
        directory::tokens,
        reauth::{self, Freshness, ValidatedToken},
    },
    types::{CurrentUser, Role},
};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};

use crate::support::TestApp;

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// An answer: status, headers and the body as JSON (`Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn etag(&self) -> String {
        self.headers["etag"].to_str().expect("an ETag").to_owned()
    }

    /// Asserts an RFC 7644 §3.12 error with this status and `scimType`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, scim_type: Option<&str>) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.body["schemas"], json!([ERROR]), "{}", self.body);
        assert_eq!(self.body["status"], json!(status.to_string()));
        assert_eq!(self.body["scimType"].as_str(), scim_type, "{}", self.body);
        assert_eq!(
            self.headers["content-type"], "application/scim+json",
            "errors are SCIM too"
        );
    }
}

/// The directory's side of the wire.
pub struct Scim {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Scim {
    /// The bearer token this client sends.
    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn new(app: &TestApp, token: &str) -> Scim {
        Scim {
            base: app.url("/scim/v2"),
            token: token.to_owned(),
            client: reqwest::Client::new(),
        }
    }

    /// A request with the token and SCIM's media type.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/scim+json")
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the app answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON, got {text:?}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(self.request(Method::POST, path).json(&body))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(self.request(Method::PUT, path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, operations: Value) -> Answer {
        let body = json!({ "schemas": [PATCH_OP], "Operations": operations });
        self.send(self.request(Method::PATCH, path).json(&body))
            .await
    }

    /// A PATCH applied only if the resource is still at `version` (`If-Match`).
    pub async fn patch_if_match(&self, path: &str, version: &str, operations: Value) -> Answer {
        let body = json!({ "schemas": [PATCH_OP], "Operations": operations });
        let request = self.request(Method::PATCH, path);
        self.send(request.header("if-match", version).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// The one resource `filter` finds at `endpoint`, or `None`.
    pub async fn find(&self, endpoint: &str, filter: &str) -> Option<Value> {
        let answer = self
            .send(
                self.request(Method::GET, endpoint)
                    .query(&[("filter", filter)]),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let found = answer.body["totalResults"].as_i64().expect("totalResults");
        assert!(found <= 1, "{filter} found {found}");
        answer.body["Resources"]
            .as_array()
            .and_then(|r| r.first())
            .cloned()
    }

    /// Creates a user the way Okta does; returns its id.
    pub async fn create_user(&self, user_name: &str, external_id: &str) -> String {
        let answer = self
            .post(
                "/Users",
                json!({
                    "schemas": [USER],
                    "userName": user_name,
                    "externalId": external_id,
                    "name": {"givenName": "Test", "familyName": user_name},
                    "emails": [{"primary": true, "value": user_name, "type": "work"}],
                    "active": true,
                }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body["id"].as_str().expect("an id").to_owned()
    }
}

impl TestApp {
    /// A directory token made by an administrator through the domain (with
    /// the step-up it needs, verified as the provider would), so that a
    /// directory can be tested in `scim` mode, where nobody can sign in
    /// before the directory has pushed them. The browser flow is tested on
    /// its own (`scim_identity`).
    pub async fn directory_token(&self) -> String {
        let row = users::upsert_at_sign_in(
            &self.db,
            &users::SignInProfile {
                issuer: "https://arrange.invalid",
                subject: "directory-admin",
                name: "Directory Admin",
                email: None,
                login_name: None,
                groups: &[],
            },
        )
        .await
        .expect("an administrator");
        let admin = CurrentUser {
            id: row.id.clone(),
            name: row.name,
            email: None,
            roles: vec![Role::Requester, Role::Admin],
            groups: None,
        };
        // A sign-in of its own each time: two re-authentications of one
        // sign-in in the same second would rightly not count as fresh.
        let session = &format!("arrange-{}", app::domain::new_id());
        let challenge = match tokens::create(&self.db, (&admin, session), ("idp", 30), None).await {
            Err(DomainError::ReauthRequired { challenge_id }) => challenge_id,
            other => panic!("expected a step-up, got {other:?}"),
        };
        let proof = ValidatedToken {
            issuer: "https://arrange.invalid".into(),
            subject: "directory-admin".into(),
            name: None,
            auth_time: Some(app::domain::now()),
            acr: None,
            amr: None,
            kid: None,
            signing_key: None,
            raw: "arranged".into(),
        };
        let freshness = Freshness {
            signed_in_auth_time: 0,
            skew_secs: 5,
        };
        reauth::verify(
            &self.db,
            (&admin.id, session),
            &challenge,
            &proof,
            freshness,
        )
        .await
        .expect("verified");
        let (_, token) = tokens::create(&self.db, (&admin, session), ("idp", 30), Some(&challenge))
            .await
            .expect("a directory token");
        token
    }

    /// A SCIM client with a fresh directory token.
    pub async fn scim(&self) -> Scim {
        let token = self.directory_token().await;
        Scim::new(self, &token)
    }
}

/// The audit trail about `target_id`: (action, actor's name), in order.
pub async fn audit_of(app: &TestApp, target_id: &str) -> Vec<(String, String)> {
    sqlx::query_as("SELECT action, actor_name FROM audit_log WHERE target_id = $1 ORDER BY seq")
        .bind(target_id)
        .fetch_all(app.db.pool())
        .await
        .expect("the audit trail")
}
