//! `countersign bench-directory`: an identity provider's initial push over SCIM
//! 2.0, timed. One client, one request at a time, in the order Okta and
//! Microsoft Entra ID send them: for each person a lookup by `userName` and a
//! create (with the enterprise extension and a manager); for each group a lookup
//! by `displayName`, a create and one `PATCH` adding its members. Prints the time
//! to complete and the latency of each kind of request. For `scripts/bench.sh`,
//! against a server on a scratch database; never point it at a real directory.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// What went wrong: the push stops at the first request that fails.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("{what}: {source}")]
    Http {
        what: String,
        source: reqwest::Error,
    },
    #[error("{what}: the server answered {status}: {body}")]
    Refused {
        what: String,
        status: reqwest::StatusCode,
        body: String,
    },
}

/// Latencies of one kind of request.
#[derive(Default)]
struct Timings(Vec<Duration>);

impl Timings {
    fn report(&mut self, what: &str) {
        if self.0.is_empty() {
            return;
        }
        self.0.sort();
        let at = |q: f64| self.0[((self.0.len() - 1) as f64 * q).round() as usize];
        println!(
            "{what:<34} {:>6} requests   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms",
            self.0.len(),
            at(0.50).as_secs_f64() * 1000.0,
            at(0.99).as_secs_f64() * 1000.0,
            at(1.0).as_secs_f64() * 1000.0,
        );
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    /// Sends one request and returns its JSON body, timing it into `timings`.
    async fn send(
        &self,
        timings: &mut Timings,
        what: impl Fn() -> String,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, PushError> {
        let started = Instant::now();
        let response = request
            .bearer_auth(&self.token)
            .header("content-type", "application/scim+json")
            .send()
            .await
            .map_err(|source| PushError::Http {
                what: what(),
                source,
            })?;
        let status = response.status();
        let body = response.text().await.map_err(|source| PushError::Http {
            what: what(),
            source,
        })?;
        timings.0.push(started.elapsed());
        if !status.is_success() {
            return Err(PushError::Refused {
                what: what(),
                status,
                body,
            });
        }
        Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim_end_matches('/'))
    }
}

/// Pushes `users` people and `groups` groups to the SCIM service at `base` with
/// the directory token `token`, and prints the figures.
pub async fn run(base: &str, token: &str, users: usize, groups: usize) -> Result<(), PushError> {
    let client = Client {
        http: reqwest::Client::new(),
        base: base.to_owned(),
        token: token.to_owned(),
    };
    let (mut lookup, mut create_user) = (Timings::default(), Timings::default());
    let (mut lookup_group, mut create_group, mut add_members) =
        (Timings::default(), Timings::default(), Timings::default());
    let started = Instant::now();

    let mut ids: Vec<String> = Vec::with_capacity(users);
    for n in 0..users {
        let user_name = format!("person{n:05}@bench.example");
        let filter = format!("userName eq \"{user_name}\"");
        let found = client
            .send(
                &mut lookup,
                || format!("look up {user_name}"),
                client
                    .http
                    .get(client.url("/Users"))
                    .query(&[("filter", filter.as_str())]),
            )
            .await?;
        if found["totalResults"].as_u64().unwrap_or(0) > 0 {
            ids.push(
                found["Resources"][0]["id"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            );
            continue;
        }
        // Every person but the first 100 reports to one of the first 100.
        let manager = (n >= 100).then(|| json!({ "value": ids[n % 100] }));
        let mut enterprise = json!({
            "employeeNumber": format!("{n:06}"),
            "department": format!("Department {}", n % 40),
        });
        if let Some(manager) = manager {
            enterprise["manager"] = manager;
        }
        let body = json!({
            "schemas": [USER, ENTERPRISE],
            "userName": user_name,
            "externalId": format!("00u{n:017}"),
            "name": { "givenName": format!("Given{n}"), "familyName": format!("Family{}", n % 997) },
            "displayName": format!("Given{n} Family{}", n % 997),
            "emails": [{ "value": user_name, "type": "work", "primary": true }],
            "active": true,
            ENTERPRISE: enterprise,
        });
        let created = client
            .send(
                &mut create_user,
                || format!("create {user_name}"),
                client.http.post(client.url("/Users")).json(&body),
            )
            .await?;
        ids.push(created["id"].as_str().unwrap_or("").to_owned());
    }

    for g in 0..groups {
        let name = format!("bench-group-{g:04}");
        let filter = format!("displayName eq \"{name}\"");
        let found = client
            .send(
                &mut lookup_group,
                || format!("look up {name}"),
                client
                    .http
                    .get(client.url("/Groups"))
                    .query(&[("filter", filter.as_str())]),
            )
            .await?;
        let id = match found["Resources"][0]["id"].as_str() {
            Some(id) => id.to_owned(),
            None => {
                let body = json!({ "schemas": [GROUP], "displayName": name, "members": [] });
                let created = client
                    .send(
                        &mut create_group,
                        || format!("create {name}"),
                        client.http.post(client.url("/Groups")).json(&body),
                    )
                    .await?;
                created["id"].as_str().unwrap_or("").to_owned()
            }
        };
        // Each person is in three groups: about 30 members a group at 10,000 and 1,000.
        let members: Vec<Value> = (0..ids.len())
            .filter(|n| (0..3).any(|k| (n * 3 + k) % groups.max(1) == g))
            .map(|n| json!({ "value": ids[n] }))
            .collect();
        if members.is_empty() {
            continue;
        }
        let body = json!({
            "schemas": [PATCH],
            "Operations": [{ "op": "add", "path": "members", "value": members }],
        });
        client
            .send(
                &mut add_members,
                || format!("add members to {name}"),
                client
                    .http
                    .patch(client.url(&format!("/Groups/{id}")))
                    .json(&body),
            )
            .await?;
    }

    let total = started.elapsed();
    let requests = lookup.0.len()
        + create_user.0.len()
        + lookup_group.0.len()
        + create_group.0.len()
        + add_members.0.len();
    println!(
        "directory push: {users} people, {groups} groups, {requests} requests in {:.1} s ({:.0} requests/s, one client)",
        total.as_secs_f64(),
        requests as f64 / total.as_secs_f64()
    );
    lookup.report("GET /Users?filter=userName eq");
    create_user.report("POST /Users");
    lookup_group.report("GET /Groups?filter=displayName eq");
    create_group.report("POST /Groups");
    add_members.report("PATCH /Groups (add members)");
    Ok(())
}

/// Why a directory token for the benchmark could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Db(#[from] app::db::DbError),
    #[error(
        "this database already has people in it: the benchmark only runs on a scratch database"
    )]
    NotScratch,
}

/// Makes a directory token in a scratch database (migrated here) and returns
/// its text, for the push above. Refuses a database that has anybody in it, so
/// it cannot mint a credential (without the step-up an administrator gives)
/// in a real installation.
pub async fn seed_token(database_url: &str) -> Result<String, SeedError> {
    use app::db::{Db, directory::tokens};
    use sha2::{Digest, Sha256};

    let db = Db::connect(database_url).await?;
    db.migrate().await?;
    if app::db::users::count(&db).await? > 0 {
        return Err(SeedError::NotScratch);
    }
    let admin = app::db::users::upsert_at_sign_in(
        &db,
        &app::db::users::SignInProfile {
            issuer: "https://bench.invalid",
            subject: "bench-directory-admin",
            login_name: None,
            name: "Bench Directory Admin",
            email: None,
            groups: &[],
        },
    )
    .await?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let now = chrono::Utc::now().timestamp();
    let mut tx = db.write_tx().await?;
    tokens::insert(
        &mut tx,
        &tokens::DirectoryTokenRow {
            id: id.clone(),
            name: "bench".into(),
            // The same digest `domain::directory::tokens` keeps: SHA-256 of the secret.
            secret_hash: hex::encode(Sha256::digest(secret.as_bytes())),
            created_by: admin.id,
            created_at: now,
            expires_at: now + 86_400,
            last_used_at: None,
            revoked_at: None,
        },
    )
    .await?;
    tx.commit().await.map_err(app::db::DbError::from)?;
    Ok(format!("csd_{id}_{secret}"))
}
