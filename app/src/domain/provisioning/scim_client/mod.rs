//! The SCIM 2.0 client connector (RFC 7644): an item's holders are the members
//! of one group in a SaaS application (Slack, GitHub Enterprise, Atlassian,
//! Zoom, Okta…). A grant finds the person (`filter=userName eq "…"`), creates
//! them when the application does not know them yet, and adds them to the
//! group with a PATCH; a revocation removes them with a PATCH. Both are
//! idempotent. The bearer token or client secret is used only in the
//! Authorization header (or the token request) and never appears in an answer.

pub mod answer;
pub mod settings;

use serde::Deserialize;
use serde_json::{Value, json};

use self::answer::{refused, unreachable};
use super::connector::{Change, Connector, Outcome, Person, answer_excerpt};
use crate::{
    domain::DomainError,
    types::{ScimAuth, ScimGroupBy, ScimSettings, ScimUserName},
};

const SCIM_JSON: &str = "application/scim+json";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

type Step<T> = Result<T, Outcome>;

/// One application, one group.
pub struct ScimClient {
    settings: ScimSettings,
    base: url::Url,
    /// The bearer token, or the OAuth client secret.
    secret: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for ScimClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ListResponse {
    #[serde(rename = "Resources", default)]
    resources: Vec<Resource>,
}

#[derive(Deserialize)]
struct Resource {
    id: String,
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
}

/// A JSON string literal, for a SCIM filter (RFC 7644 §3.4.2.2: values are
/// JSON strings): quotes and backslashes in the value cannot end it.
fn literal(value: &str) -> String {
    Value::String(value.to_owned()).to_string()
}

impl ScimClient {
    /// The connector for stored `settings`, with the opened credential.
    pub fn new(
        settings: ScimSettings,
        secret: String,
        http: reqwest::Client,
    ) -> Result<ScimClient, String> {
        let words = |what: &str, err: DomainError| match err {
            DomainError::Invalid { message, .. } => format!("the {what} {message}"),
            other => other.to_string(),
        };
        let base = settings::https_url("scim_base_url", &settings.base_url)
            .map_err(|e| words("SCIM base URL", e))?;
        if settings.auth == ScimAuth::ClientCredentials {
            settings::https_url("scim_token_url", &settings.token_url)
                .map_err(|e| words("token URL", e))?;
        }
        Ok(ScimClient {
            settings,
            base,
            secret,
            http,
        })
    }

    /// `{base}/{segments…}`, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> url::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// The Authorization header's value.
    async fn authorization(&self) -> Step<String> {
        match self.settings.auth {
            ScimAuth::Bearer => Ok(format!("Bearer {}", self.secret)),
            ScimAuth::ClientCredentials => {
                let doing = "asking the token endpoint for an access token";
                let mut form = vec![("grant_type", "client_credentials")];
                if !self.settings.scope.is_empty() {
                    form.push(("scope", self.settings.scope.as_str()));
                }
                // RFC 6749 §2.3.1: client_secret_basic.
                let response = self
                    .http
                    .post(&self.settings.token_url)
                    .basic_auth(&self.settings.client_id, Some(&self.secret))
                    .header(reqwest::header::ACCEPT, "application/json")
                    .form(&form)
                    .send()
                    .await
                    .map_err(|e| unreachable(doing, &e))?;
                let status = response.status().as_u16();
                let body = response.text().await.map_err(|e| unreachable(doing, &e))?;
                if !(200..300).contains(&status) {
                    return Err(refused(doing, status, &body));
                }
                let token: TokenResponse = serde_json::from_str(&body).map_err(|_| {
                    Outcome::Fail(format!("{doing}: the answer holds no access_token"))
                })?;
                Ok(format!("Bearer {}", token.access_token))
            }
        }
    }

    /// Sends one SCIM request; the parsed body of a 2xx (Null when empty).
    async fn call(
        &self,
        auth: &str,
        request: reqwest::RequestBuilder,
        doing: &str,
    ) -> Step<(u16, Value)> {
        let response = request
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(reqwest::header::ACCEPT, SCIM_JSON)
            .send()
            .await
            .map_err(|e| unreachable(doing, &e))?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| unreachable(doing, &e))?;
        if !(200..300).contains(&status) {
            return Err(refused(doing, status, &body));
        }
        if body.trim().is_empty() {
            return Ok((status, Value::Null));
        }
        let value = serde_json::from_str(&body).map_err(|_| {
            Outcome::Fail(format!(
                "{doing}: the answer is not JSON: {}",
                answer_excerpt(&body, 120)
            ))
        })?;
        Ok((status, value))
    }

    /// A filtered list (`GET /{kind}?filter=…`): the resources it holds.
    async fn list(&self, auth: &str, kind: &str, filter: &str, doing: &str) -> Step<Vec<Resource>> {
        let request = self
            .http
            .get(self.url(&[kind]))
            .query(&[("filter", filter)]);
        let (_, body) = self.call(auth, request, doing).await?;
        let list: ListResponse = serde_json::from_value(body).map_err(|_| {
            Outcome::Fail(format!("{doing}: the answer is not a SCIM ListResponse"))
        })?;
        Ok(list.resources)
    }

    /// The group's id and its name, proving it exists.
    async fn group(&self, auth: &str) -> Step<(String, String)> {
        let group = &self.settings.group;
        match self.settings.group_by {
            ScimGroupBy::Id => {
                let doing = format!("reading the group {group}");
                let request = self.http.get(self.url(&["Groups", group]));
                let (_, body) = self.call(auth, request, &doing).await?;
                let found: Resource = serde_json::from_value(body)
                    .map_err(|_| Outcome::Fail(format!("{doing}: the answer is not a group")))?;
                let name = found.display_name.unwrap_or_else(|| found.id.clone());
                Ok((found.id, name))
            }
            ScimGroupBy::DisplayName => {
                let doing = format!("looking up the group {group}");
                let filter = format!("displayName eq {}", literal(group));
                let mut found = self.list(auth, "Groups", &filter, &doing).await?;
                match found.len() {
                    1 => Ok((found.remove(0).id, group.clone())),
                    0 => Err(Outcome::Fail(format!(
                        "the application has no group named {group}"
                    ))),
                    n => Err(Outcome::Fail(format!(
                        "{n} groups are named {group}; give the group's id instead"
                    ))),
                }
            }
        }
    }

    /// The person's userName in the application.
    fn user_name<'a>(&self, person: &'a Person) -> Step<&'a str> {
        match self.settings.user_name {
            ScimUserName::UserName => Ok(&person.user_name),
            ScimUserName::Email => person.email.as_deref().ok_or_else(|| {
                Outcome::Fail(
                    "the person has no e-mail address, which is their userName in the application"
                        .into(),
                )
            }),
        }
    }

    /// The application's id of the user called `user_name`, if it has one.
    async fn find_user(&self, auth: &str, user_name: &str) -> Step<Option<String>> {
        let doing = format!("looking up the user {user_name}");
        let filter = format!("userName eq {}", literal(user_name));
        let mut found = self.list(auth, "Users", &filter, &doing).await?;
        match found.len() {
            0 => Ok(None),
            1 => Ok(Some(found.remove(0).id)),
            n => Err(Outcome::Fail(format!("{n} users are called {user_name}"))),
        }
    }

    /// Creates the user; a concurrent creation (409) finds the one made.
    async fn create_user(&self, auth: &str, person: &Person, user_name: &str) -> Step<String> {
        let doing = format!("creating the user {user_name}");
        let (given, family) = match person.name.trim().rsplit_once(' ') {
            Some((given, family)) => (given, family),
            None => (person.name.trim(), ""),
        };
        let mut user = json!({
            "schemas": [USER_SCHEMA],
            "userName": user_name,
            "displayName": person.name,
            "name": { "formatted": person.name, "givenName": given, "familyName": family },
            "active": true,
        });
        if let Some(email) = &person.email {
            user["emails"] = json!([{ "value": email, "type": "work", "primary": true }]);
        }
        let request = self
            .http
            .post(self.url(&["Users"]))
            .header(reqwest::header::CONTENT_TYPE, SCIM_JSON)
            .body(user.to_string());
        match self.call(auth, request, &doing).await {
            Ok((_, body)) => body
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Outcome::Fail(format!("{doing}: the answer holds no id"))),
            Err(Outcome::Fail(message)) if message.contains("HTTP 409") => {
                match self.find_user(auth, user_name).await? {
                    Some(id) => Ok(id),
                    None => Err(Outcome::Fail(message)),
                }
            }
            Err(other) => Err(other),
        }
    }

    async fn patch_group(
        &self,
        auth: &str,
        group_id: &str,
        operation: Value,
        doing: &str,
    ) -> Step<()> {
        let body = json!({ "schemas": [PATCH_SCHEMA], "Operations": [operation] });
        let request = self
            .http
            .patch(self.url(&["Groups", group_id]))
            .header(reqwest::header::CONTENT_TYPE, SCIM_JSON)
            .body(body.to_string());
        self.call(auth, request, doing).await.map(|_| ())
    }

    async fn grant_to(&self, person: &Person) -> Step<String> {
        let user_name = self.user_name(person)?;
        let auth = self.authorization().await?;
        let (group_id, group_name) = self.group(&auth).await?;
        let (user_id, created) = match self.find_user(&auth, user_name).await? {
            Some(id) => (id, false),
            None => (self.create_user(&auth, person, user_name).await?, true),
        };
        let doing = format!("adding {user_name} to the group {group_name}");
        let add = json!({ "op": "add", "path": "members", "value": [{ "value": user_id }] });
        match self.patch_group(&auth, &group_id, add, &doing).await {
            Ok(()) => Ok(format!(
                "{}added {user_name} ({user_id}) to the group {group_name}",
                if created { "created the user and " } else { "" }
            )),
            // RFC 7644 §3.5.2.1 makes adding a present member a no-op; some
            // applications answer 409 instead. Either way: a member.
            Err(Outcome::Fail(message)) if message.contains(": HTTP 409") => Ok(format!(
                "{user_name} ({user_id}) was already a member of the group {group_name} (HTTP {})",
                message
                    .rsplit_once(": HTTP ")
                    .map(|(_, m)| m)
                    .unwrap_or_default()
            )),
            Err(other) => Err(other),
        }
    }

    async fn revoke_from(&self, person: &Person) -> Step<String> {
        let user_name = self.user_name(person)?;
        let auth = self.authorization().await?;
        let (group_id, group_name) = self.group(&auth).await?;
        let Some(user_id) = self.find_user(&auth, user_name).await? else {
            return Ok(format!(
                "the application has no user {user_name}: not a member of {group_name}"
            ));
        };
        let doing = format!("removing {user_name} from the group {group_name}");
        let path = format!("members[value eq {}]", literal(&user_id));
        let remove = json!({ "op": "remove", "path": path });
        match self.patch_group(&auth, &group_id, remove, &doing).await {
            Ok(()) => Ok(format!(
                "removed {user_name} ({user_id}) from the group {group_name}"
            )),
            // RFC 7644 §3.5.2.2: a filter that matches no member is noTarget.
            Err(Outcome::Fail(message)) if message.contains("(noTarget)") => Ok(format!(
                "{user_name} was not a member of the group {group_name}"
            )),
            Err(other) => Err(other),
        }
    }

    async fn test(&self) -> Step<String> {
        let auth = self.authorization().await?;
        let (group_id, group_name) = self.group(&auth).await?;
        Ok(format!(
            "authenticated; the group {group_name} ({group_id}) exists"
        ))
    }
}

fn finish(step: Step<String>) -> Outcome {
    match step {
        Ok(answer) => Outcome::Done(answer),
        Err(outcome) => outcome,
    }
}

#[async_trait::async_trait]
impl Connector for ScimClient {
    async fn grant(&self, change: &Change) -> Outcome {
        finish(self.grant_to(&change.person).await)
    }

    async fn revoke(&self, change: &Change) -> Outcome {
        finish(self.revoke_from(&change.person).await)
    }

    async fn test_connection(&self) -> Outcome {
        finish(self.test().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_value_cannot_end_its_string() {
        assert_eq!(literal("alice"), "\"alice\"");
        assert_eq!(
            literal("a\" or userName pr or \"x"),
            "\"a\\\" or userName pr or \\\"x\""
        );
        assert_eq!(literal("back\\slash"), "\"back\\\\slash\"");
    }

    #[test]
    fn ids_are_one_path_segment_each() {
        let client = ScimClient::new(
            ScimSettings {
                base_url: "https://api.example.com/scim/v2".into(),
                ..ScimSettings::default()
            },
            String::new(),
            reqwest::Client::new(),
        )
        .unwrap();
        assert_eq!(
            client.url(&["Groups", "a/../b?x"]).as_str(),
            "https://api.example.com/scim/v2/Groups/a%2F..%2Fb%3Fx"
        );
    }
}
