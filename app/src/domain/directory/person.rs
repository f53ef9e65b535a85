//! A SCIM `User` body as a person: parsed and checked by `scim_v2` (types,
//! RFC 7643 REQUIRED attributes), then judged by our rules (lengths, one
//! email, the manager), and back: a person as their SCIM representation.

use scim_v2::{
    Context, Validate,
    models::{enterprise_user::EnterpriseUser, user::User},
};
use serde_json::{Map, Value, json};

use super::{
    error::ScimError,
    resource::{meta, rfc3339},
    schema::{self, ENTERPRISE, Kind, USER},
};
use crate::db::directory::people::{PersonRow, PersonWrite};

/// What a create or replace body says about a person.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonInput {
    pub write: PersonWrite,
    pub active: bool,
    /// `manager.value`: the SCIM id of their manager.
    pub manager: Option<String>,
}

/// The longest text kept for a name or an identifier.
const MAX_CHARS: usize = 256;

fn bounded(attribute: &str, value: Option<&str>) -> Result<Option<String>, ScimError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_CHARS {
        return Err(ScimError::invalid_value(format!(
            "{attribute} must be at most {MAX_CHARS} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(ScimError::invalid_value(format!(
            "{attribute} contains control characters"
        )));
    }
    Ok(Some(value.to_owned()))
}

/// Parses a create (`Context::CreateRequest`) or replace body.
pub fn parse(body: Value, context: Context) -> Result<PersonInput, ScimError> {
    let canonical = schema::canonical_body(Kind::User, body)?;
    let user: User<String> = serde_json::from_value(Value::Object(canonical))
        .map_err(|e| ScimError::invalid_value(format!("not a valid User: {e}")))?;
    user.validate_as(context)?;
    let user_name = bounded("userName", Some(&user.user_name))?
        .ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    let name = user.name.as_option();
    let formatted = name.and_then(|n| n.formatted.as_deref().map(str::to_owned));
    let given_family = name.map(|n| {
        [n.given_name.as_deref(), n.family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    });
    let display = user
        .display_name
        .as_deref()
        .map(str::to_owned)
        .or(formatted)
        .or(given_family)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| user_name.clone());
    let emails = user.emails.as_slice();
    let email = emails
        .iter()
        .find(|e| e.primary == Some(true))
        .or_else(|| {
            emails.iter().find(|e| {
                e.r#type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("work"))
            })
        })
        .or_else(|| emails.first())
        .and_then(|e| e.value.as_deref());
    let enterprise = user
        .enterprise_user
        .as_option()
        .cloned()
        .unwrap_or_default();
    let manager = enterprise
        .manager
        .as_option()
        .and_then(|m| m.value.as_deref())
        .map(str::to_owned)
        .filter(|m| !m.is_empty());
    let write = PersonWrite {
        external_id: bounded("externalId", user.external_id.as_deref())?,
        name: bounded("displayName", Some(&display))?.unwrap_or_else(|| user_name.clone()),
        email: bounded("emails.value", email)?,
        employee_number: bounded("employeeNumber", enterprise.employee_number.as_deref())?,
        department: bounded("department", enterprise.department.as_deref())?,
        scim_json: stored(&user, &enterprise)?,
        user_name,
    };
    Ok(PersonInput {
        write,
        active: user.active.as_option().copied().unwrap_or(true),
        manager,
    })
}

/// The body as kept: what the directory asserted (`active` included: only
/// the directory's own deactivation is undone by its `active: true`), less
/// what the row says better (id, meta, groups, the manager's name) and the
/// password.
fn stored(user: &User<String>, enterprise: &EnterpriseUser) -> Result<String, ScimError> {
    let mut keep = user.clone();
    keep.id = None;
    keep.meta = None;
    keep.groups = Vec::new();
    keep.password = scim_v2::Asserted::absent();
    if keep.enterprise_user.is_set() {
        let mut enterprise = enterprise.clone();
        if let Some(manager) = enterprise.manager.as_mut() {
            manager.display_name = None;
        }
        keep.enterprise_user = scim_v2::Asserted::set(enterprise);
    }
    serde_json::to_string(&keep).map_err(|_| ScimError::internal())
}

/// Whether the directory last said this person is active (no body kept:
/// nothing said, so yes).
pub fn directory_said_active(row: &PersonRow) -> bool {
    row.scim_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<Value>(j).ok())
        .and_then(|v| v.get("active").and_then(Value::as_bool))
        .unwrap_or(true)
}

/// A PATCH may give a person their first enterprise attribute (Entra and
/// Okta send the manager on its own): the body then declares the extension,
/// since `schemas` names the extensions present (RFC 7643 §3).
pub fn declare_extensions(body: &mut Map<String, Value>) {
    let present = body
        .get(ENTERPRISE)
        .and_then(Value::as_object)
        .is_some_and(|attributes| !attributes.is_empty());
    if let Some(Value::Array(schemas)) = body.get_mut("schemas")
        && present
        && !schemas.iter().any(|s| s == ENTERPRISE)
    {
        schemas.push(json!(ENTERPRISE));
    }
}

/// A person as their SCIM representation (every attribute; the caller
/// projects `attributes`/`excludedAttributes`).
pub fn render(row: &PersonRow, groups: &[(String, String)], base_url: &str) -> Value {
    let mut out: Map<String, Value> = row
        .scim_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_else(|| from_sign_in(row));
    out.insert("id".into(), json!(row.id));
    out.insert(
        "userName".into(),
        json!(
            row.user_name
                .clone()
                .unwrap_or_else(|| fallback_user_name(row))
        ),
    );
    match &row.external_id {
        Some(id) => out.insert("externalId".into(), json!(id)),
        None => out.remove("externalId"),
    };
    out.insert("displayName".into(), json!(row.name));
    out.insert("active".into(), json!(row.disabled_at.is_none()));
    let mut schemas = vec![json!(USER)];
    let mut enterprise = out
        .remove(ENTERPRISE)
        .and_then(|e| match e {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default();
    enterprise.remove("manager");
    if let Some(manager) = &row.manager_id {
        enterprise.insert(
            "manager".into(),
            json!({
                "value": manager,
                "$ref": format!("{base_url}/Users/{manager}"),
                "displayName": row.manager_name,
            }),
        );
    }
    if !enterprise.is_empty() {
        schemas.push(json!(ENTERPRISE));
        out.insert(ENTERPRISE.into(), Value::Object(enterprise));
    }
    out.insert("schemas".into(), Value::Array(schemas));
    if !groups.is_empty() {
        let groups: Vec<Value> = groups
            .iter()
            .map(|(id, name)| {
                json!({
                    "value": id,
                    "$ref": format!("{base_url}/Groups/{id}"),
                    "display": name,
                    "type": "direct",
                })
            })
            .collect();
        out.insert("groups".into(), Value::Array(groups));
    }
    let updated = row.updated_at.unwrap_or(row.created_at);
    out.insert(
        "meta".into(),
        meta(
            "User",
            &format!("{base_url}/Users/{}", row.id),
            (rfc3339(row.created_at), rfc3339(updated)),
            row.version,
        ),
    );
    Value::Object(out)
}

/// A person known only from their sign-ins, as SCIM sees them.
fn from_sign_in(row: &PersonRow) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(email) = &row.email {
        out.insert(
            "emails".into(),
            json!([{ "value": email, "type": "work", "primary": true }]),
        );
    }
    out
}

fn fallback_user_name(row: &PersonRow) -> String {
    row.email.clone().unwrap_or_else(|| row.subject.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(extra: Value) -> Value {
        let mut b = json!({"schemas": [USER, ENTERPRISE], "userName": "bjensen@example.com"});
        if let (Value::Object(b), Value::Object(extra)) = (&mut b, extra) {
            b.extend(extra);
        }
        b
    }

    #[test]
    fn a_person_takes_the_primary_email_and_a_readable_name() {
        let input = parse(
            body(json!({
                "name": {"givenName": "Barbara", "familyName": "Jensen"},
                "emails": [
                    {"value": "home@example.com", "type": "home"},
                    {"value": "bjensen@example.com", "type": "work", "primary": "True"},
                ],
                "active": "False",
                "password": "never kept",
                ENTERPRISE: {"employeeNumber": "701984", "manager": "m-1"},
            })),
            Context::CreateRequest,
        )
        .unwrap();
        assert_eq!(input.write.name, "Barbara Jensen");
        assert_eq!(input.write.email.as_deref(), Some("bjensen@example.com"));
        assert_eq!(input.write.employee_number.as_deref(), Some("701984"));
        assert_eq!(input.manager.as_deref(), Some("m-1"));
        assert!(!input.active);
        assert!(!input.write.scim_json.contains("never kept"));
        assert_eq!(input.write.user_name_key(), "bjensen@example.com");
    }

    #[test]
    fn a_body_without_user_name_or_core_schema_is_refused() {
        let no_name = parse(json!({"schemas": [USER]}), Context::CreateRequest);
        assert_eq!(no_name.unwrap_err().outcome(), "invalidValue");
        let no_schema = parse(json!({"userName": "b"}), Context::CreateRequest);
        assert_eq!(no_schema.unwrap_err().outcome(), "invalidValue");
        let wrong_type = parse(body(json!({"active": "maybe"})), Context::CreateRequest);
        assert_eq!(wrong_type.unwrap_err().outcome(), "invalidValue");
        let blank = parse(body(json!({"userName": "  "})), Context::CreateRequest);
        assert_eq!(blank.unwrap_err().outcome(), "invalidValue");
    }
}
