//! What this service provider supports (RFC 7644 §4): `ServiceProviderConfig`,
//! `ResourceTypes` and `Schemas`, saying honestly: PATCH yes, bulk no, filter
//! yes (at most 200 results a page), changing passwords no, sorting no, ETags
//! yes; OAuth bearer tokens only.

use app::domain::directory::{error::ScimError, resource::MAX_COUNT, schema};
use axum::{
    extract::{Path, State},
    response::Response,
};
use scim_v2::models::{
    resource_types::{ResourceType, SchemaExtension},
    scim_schema::get_schemas,
    service_provider_config::{
        AuthenticationScheme, Bulk, Filter, ServiceProviderConfig, Supported,
    },
};
use serde_json::{Value, json};

use super::{base_url, error, message};
use crate::AppState;

pub async fn service_provider_config(State(state): State<AppState>) -> Response {
    let base = base_url(&state);
    let config = ServiceProviderConfig {
        documentation_uri: None,
        patch: Supported { supported: true },
        bulk: Bulk {
            supported: false,
            max_operations: 0,
            max_payload_size: 0,
        },
        filter: Filter {
            supported: true,
            max_results: MAX_COUNT,
        },
        change_password: Supported { supported: false },
        sort: Supported { supported: false },
        etag: Supported { supported: true },
        authentication_schemes: vec![AuthenticationScheme {
            name: "OAuth Bearer Token".into(),
            r#type: Some("oauthbearertoken".into()),
            description: "A directory token an administrator creates on the Directory page, \
                          sent as Authorization: Bearer csd_…"
                .into(),
            spec_uri: Some("https://www.rfc-editor.org/info/rfc6750".into()),
            documentation_uri: None,
            primary: Some(true),
        }],
        ..Default::default()
    };
    let mut body = serde_json::to_value(&config).unwrap_or(Value::Null);
    body["meta"] = json!({
        "resourceType": "ServiceProviderConfig",
        "location": format!("{base}/ServiceProviderConfig"),
    });
    message(&body)
}

fn resource_types_of(base: &str) -> Vec<Value> {
    let user = ResourceType {
        id: Some("User".into()),
        name: "User".into(),
        description: Some("A person of the organisation".into()),
        endpoint: "/Users".into(),
        schema: schema::USER.into(),
        schema_extensions: scim_v2::Asserted::set(vec![SchemaExtension {
            schema: schema::ENTERPRISE.into(),
            required: false,
        }]),
        ..Default::default()
    };
    let group = ResourceType {
        id: Some("Group".into()),
        name: "Group".into(),
        description: Some("A group of people; its name can grant roles and approve".into()),
        endpoint: "/Groups".into(),
        schema: schema::GROUP.into(),
        ..Default::default()
    };
    [user, group]
        .iter()
        .map(|t| {
            let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
            v["meta"] = json!({
                "resourceType": "ResourceType",
                "location": format!("{base}/ResourceTypes/{}", t.name),
            });
            v
        })
        .collect()
}

pub async fn resource_types(State(state): State<AppState>) -> Response {
    let all = resource_types_of(&base_url(&state));
    let n = all.len() as i64;
    message(&app::domain::directory::resource::list_response(all, n, 1))
}

pub async fn resource_type(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    resource_types_of(&base_url(&state))
        .into_iter()
        .find(|t| {
            t["id"]
                .as_str()
                .is_some_and(|id| id.eq_ignore_ascii_case(&name))
        })
        .map_or_else(
            || error(ScimError::not_found("ResourceType", &name)),
            |t| message(&t),
        )
}

fn schemas_of(base: &str) -> Vec<Value> {
    get_schemas(vec!["user", "enterprise_user", "group"])
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
            let id = v["id"].as_str().unwrap_or_default().to_owned();
            v["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"]);
            v["meta"] = json!({
                "resourceType": "Schema",
                "location": format!("{base}/Schemas/{id}"),
            });
            v
        })
        .collect()
}

pub async fn schemas(State(state): State<AppState>) -> Response {
    let all = schemas_of(&base_url(&state));
    let n = all.len() as i64;
    message(&app::domain::directory::resource::list_response(all, n, 1))
}

pub async fn schema(State(state): State<AppState>, Path(urn): Path<String>) -> Response {
    schemas_of(&base_url(&state))
        .into_iter()
        .find(|s| {
            s["id"]
                .as_str()
                .is_some_and(|id| id.eq_ignore_ascii_case(&urn))
        })
        .map_or_else(
            || error(ScimError::not_found("Schema", &urn)),
            |s| message(&s),
        )
}
