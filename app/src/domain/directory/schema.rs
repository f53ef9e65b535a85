//! The attributes this service provider knows (RFC 7643 §4.1, §4.2, §4.3): a
//! body, a PATCH path or an `attributes` list naming anything else is refused.
//! Attribute names compare without regard to case (RFC 7643 §2.1); bodies are
//! rewritten to the canonical spelling before anything reads them.

use serde_json::{Map, Value};

use super::error::ScimError;

pub const USER: &str = scim_v2::schema_urns::USER;
pub const GROUP: &str = scim_v2::schema_urns::GROUP;
pub const ENTERPRISE: &str = scim_v2::schema_urns::ENTERPRISE_USER;

/// Who may write an attribute (RFC 7643 §7 `mutability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadWrite,
    /// Set by the server; a client's value is ignored on create and replace,
    /// and refused in PATCH.
    ReadOnly,
    /// Taken, never returned (passwords: never stored here either).
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr {
    pub name: &'static str,
    pub multi: bool,
    /// Sub-attributes of a complex attribute (empty: a simple one).
    pub subs: &'static [&'static str],
    pub mutability: Mutability,
}

const fn simple(name: &'static str) -> Attr {
    Attr {
        name,
        multi: false,
        subs: &[],
        mutability: Mutability::ReadWrite,
    }
}

const fn multi(name: &'static str, subs: &'static [&'static str]) -> Attr {
    Attr {
        name,
        multi: true,
        subs,
        mutability: Mutability::ReadWrite,
    }
}

const fn read_only(name: &'static str, multi: bool, subs: &'static [&'static str]) -> Attr {
    Attr {
        name,
        multi,
        subs,
        mutability: Mutability::ReadOnly,
    }
}

const PLURAL: &[&str] = &["value", "display", "type", "primary"];
const META: &[&str] = &[
    "resourceType",
    "created",
    "lastModified",
    "location",
    "version",
];

pub const USER_ATTRS: &[Attr] = &[
    read_only("id", false, &[]),
    simple("externalId"),
    simple("userName"),
    Attr {
        name: "name",
        multi: false,
        subs: &[
            "formatted",
            "familyName",
            "givenName",
            "middleName",
            "honorificPrefix",
            "honorificSuffix",
        ],
        mutability: Mutability::ReadWrite,
    },
    simple("displayName"),
    simple("nickName"),
    simple("profileUrl"),
    simple("title"),
    simple("userType"),
    simple("preferredLanguage"),
    simple("locale"),
    simple("timezone"),
    simple("active"),
    Attr {
        name: "password",
        multi: false,
        subs: &[],
        mutability: Mutability::WriteOnly,
    },
    multi("emails", PLURAL),
    multi("phoneNumbers", PLURAL),
    multi("ims", PLURAL),
    multi("photos", PLURAL),
    multi(
        "addresses",
        &[
            "formatted",
            "streetAddress",
            "locality",
            "region",
            "postalCode",
            "country",
            "type",
            "primary",
        ],
    ),
    read_only("groups", true, &["value", "$ref", "display", "type"]),
    multi("entitlements", PLURAL),
    multi("roles", PLURAL),
    multi("x509Certificates", PLURAL),
    read_only("meta", false, META),
];

pub const ENTERPRISE_ATTRS: &[Attr] = &[
    simple("employeeNumber"),
    simple("costCenter"),
    simple("organization"),
    simple("division"),
    simple("department"),
    Attr {
        name: "manager",
        multi: false,
        subs: &["value", "$ref", "displayName"],
        mutability: Mutability::ReadWrite,
    },
];

pub const GROUP_ATTRS: &[Attr] = &[
    read_only("id", false, &[]),
    simple("externalId"),
    simple("displayName"),
    multi("members", &["value", "$ref", "display", "type"]),
    read_only("meta", false, META),
];

/// The attribute of `attrs` named `name` (any case).
pub fn find(attrs: &'static [Attr], name: &str) -> Option<&'static Attr> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

impl Attr {
    /// The canonical spelling of sub-attribute `sub` (any case).
    pub fn sub(&self, sub: &str) -> Option<&'static str> {
        self.subs
            .iter()
            .copied()
            .find(|s| s.eq_ignore_ascii_case(sub))
    }
}

/// Which resource a body describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    pub fn core_urn(self) -> &'static str {
        match self {
            Kind::User => USER,
            Kind::Group => GROUP,
        }
    }

    pub fn attrs(self) -> &'static [Attr] {
        match self {
            Kind::User => USER_ATTRS,
            Kind::Group => GROUP_ATTRS,
        }
    }

    /// The extension this resource takes (the enterprise User).
    pub fn extension(self) -> Option<(&'static str, &'static [Attr])> {
        match self {
            Kind::User => Some((ENTERPRISE, ENTERPRISE_ATTRS)),
            Kind::Group => None,
        }
    }
}

/// A create or replace body with every attribute name spelled canonically,
/// read-only and write-only attributes dropped (RFC 7644 §3.5.1: "Any values
/// provided SHALL be ignored"; a password is never kept), `schemas` naming
/// only schemas of this resource. Anything unknown is `invalidSyntax`.
pub fn canonical_body(kind: Kind, body: Value) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(map) = body else {
        return Err(ScimError::invalid_syntax("the body must be a JSON object"));
    };
    let mut out = Map::new();
    for (key, value) in map {
        if key.eq_ignore_ascii_case("schemas") {
            out.insert("schemas".into(), schemas(kind, value)?);
            continue;
        }
        if let Some((urn, attrs)) = kind.extension()
            && key.eq_ignore_ascii_case(urn)
        {
            let Value::Object(inner) = value else {
                if value.is_null() {
                    continue;
                }
                return Err(ScimError::invalid_syntax(format!(
                    "{urn} must be an object"
                )));
            };
            let mut ext = Map::new();
            for (key, value) in inner {
                if let Some((name, value)) = attribute(attrs, &key, value)? {
                    ext.insert(name.into(), value);
                }
            }
            out.insert(urn.into(), Value::Object(ext));
            continue;
        }
        if let Some((name, value)) = attribute(kind.attrs(), &key, value)? {
            out.insert(name.into(), value);
        }
    }
    Ok(out)
}

/// One attribute canonically spelled, or `None` when it is to be ignored.
fn attribute(
    attrs: &'static [Attr],
    key: &str,
    value: Value,
) -> Result<Option<(&'static str, Value)>, ScimError> {
    let Some(attr) = find(attrs, key) else {
        return Err(ScimError::invalid_syntax(format!(
            "unknown attribute {key:?}"
        )));
    };
    if attr.mutability != Mutability::ReadWrite {
        return Ok(None);
    }
    Ok(Some((attr.name, canonical_value(attr, value)?)))
}

/// A complex value (or each element of a multi-valued one) with its
/// sub-attributes spelled canonically.
pub fn canonical_value(attr: &Attr, value: Value) -> Result<Value, ScimError> {
    if attr.subs.is_empty() {
        return Ok(value);
    }
    let one = |value: Value| -> Result<Value, ScimError> {
        let Value::Object(map) = value else {
            return Ok(value);
        };
        let mut out = Map::new();
        for (key, value) in map {
            let Some(sub) = attr.sub(&key) else {
                return Err(ScimError::invalid_syntax(format!(
                    "unknown attribute {:?}",
                    format!("{}.{key}", attr.name)
                )));
            };
            out.insert(sub.into(), value);
        }
        Ok(Value::Object(out))
    };
    match value {
        Value::Array(items) if attr.multi => Ok(Value::Array(
            items.into_iter().map(one).collect::<Result<_, _>>()?,
        )),
        // Entra ID sends `manager` as the manager's id alone.
        Value::String(id) if !attr.multi && attr.sub("value").is_some() => {
            Ok(serde_json::json!({ "value": id }))
        }
        other => one(other),
    }
}

fn schemas(kind: Kind, value: Value) -> Result<Value, ScimError> {
    let Value::Array(items) = value else {
        return Err(ScimError::invalid_syntax("schemas must be a list of URNs"));
    };
    let mut out = Vec::new();
    for item in items {
        let Some(urn) = item.as_str() else {
            return Err(ScimError::invalid_syntax("schemas must be a list of URNs"));
        };
        let known = std::iter::once(kind.core_urn()).chain(kind.extension().map(|(u, _)| u));
        let Some(canonical) = known.into_iter().find(|k| k.eq_ignore_ascii_case(urn)) else {
            return Err(ScimError::invalid_value(format!(
                "unknown schema {urn:?}: this service provider takes {}",
                kind.core_urn()
            )));
        };
        out.push(Value::String(canonical.into()));
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn attribute_names_are_spelled_canonically_whatever_the_case() {
        let body = json!({
            "SCHEMAS": [USER.to_uppercase(), ENTERPRISE],
            "username": "bjensen",
            "Emails": [{"VALUE": "b@example.com", "Type": "work"}],
            ENTERPRISE.to_lowercase(): {"DEPARTMENT": "Tour"},
        });
        let out = canonical_body(Kind::User, body).unwrap();
        assert_eq!(
            Value::Object(out),
            json!({
                "schemas": [USER, ENTERPRISE],
                "userName": "bjensen",
                "emails": [{"value": "b@example.com", "type": "work"}],
                ENTERPRISE: {"department": "Tour"},
            })
        );
    }

    #[test]
    fn read_only_and_write_only_attributes_are_dropped() {
        let body = json!({
            "schemas": [USER], "userName": "b", "id": "x", "meta": {}, "password": "hunter2",
            "groups": [{"value": "g"}],
        });
        let out = canonical_body(Kind::User, body).unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"schemas": [USER], "userName": "b"})
        );
    }

    #[test]
    fn unknown_attributes_and_schemas_are_refused() {
        let unknown = canonical_body(Kind::User, json!({"userName": "b", "shoeSize": 9}));
        assert_eq!(unknown.unwrap_err().outcome(), "invalidSyntax");
        let sub = canonical_body(Kind::User, json!({"name": {"nickname": "x"}}));
        assert_eq!(sub.unwrap_err().outcome(), "invalidSyntax");
        let schema = canonical_body(Kind::Group, json!({"schemas": [USER]}));
        assert_eq!(schema.unwrap_err().outcome(), "invalidValue");
        let not_object = canonical_body(Kind::Group, json!(["x"]));
        assert_eq!(not_object.unwrap_err().outcome(), "invalidSyntax");
    }
}
