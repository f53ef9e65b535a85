//! Which attributes a response carries (RFC 7644 §3.9 `attributes` and
//! `excludedAttributes`), and where an attribute path lives in a
//! representation (the core schema or the enterprise extension).

use scim_v2::filter::{AttrExp, AttrPath, Filter};
use serde_json::{Map, Value, json};

use super::{
    error::ScimError,
    schema::{self, Kind},
};

/// Which attributes a response carries (RFC 7644 §3.9).
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    All,
    Only(Vec<AttrPath>),
    Except(Vec<AttrPath>),
}

/// One name of `attributes`/`excludedAttributes`, known to `kind`.
pub(super) fn attribute_path(kind: Kind, name: &str) -> Result<AttrPath, ScimError> {
    let unknown = || ScimError::invalid_value(format!("unknown attribute {name:?}"));
    let path = match format!("{name} pr").parse::<Filter>() {
        Ok(Filter::Attr(AttrExp::Present(path))) => path,
        _ => return Err(unknown()),
    };
    match resolve(kind, &path) {
        Some(_) => Ok(path),
        None => Err(unknown()),
    }
}

/// Where `path` lives: the extension's URN (or none for the core schema), the
/// attribute and the canonical sub-attribute. A path that is exactly the
/// extension's URN names the whole extension (attribute `None`).
pub fn resolve(
    kind: Kind,
    path: &AttrPath,
) -> Option<(
    Option<&'static str>,
    Option<&'static schema::Attr>,
    Option<&'static str>,
)> {
    let uri = path.uri.as_deref();
    if let Some((urn, attrs)) = kind.extension() {
        if path.sub_attr.is_none()
            && uri.is_some_and(|u| format!("{u}:{}", path.name).eq_ignore_ascii_case(urn))
        {
            return Some((Some(urn), None, None));
        }
        if uri.is_some_and(|u| u.eq_ignore_ascii_case(urn)) {
            let attr = schema::find(attrs, &path.name)?;
            return with_sub(attr, path).map(|sub| (Some(urn), Some(attr), sub));
        }
    }
    if uri.is_some_and(|u| !u.eq_ignore_ascii_case(kind.core_urn())) {
        return None;
    }
    let attr = schema::find(kind.attrs(), &path.name)?;
    with_sub(attr, path).map(|sub| (None, Some(attr), sub))
}

fn with_sub(attr: &'static schema::Attr, path: &AttrPath) -> Option<Option<&'static str>> {
    match &path.sub_attr {
        None => Some(None),
        Some(sub) => attr.sub(sub).map(Some),
    }
}

/// The representation with only the selected attributes (`id` and
/// `schemas` are always returned).
pub fn project(kind: Kind, value: Value, selection: &Selection) -> Value {
    let Value::Object(mut full) = value else {
        return value;
    };
    match selection {
        Selection::All => Value::Object(full),
        Selection::Except(paths) => {
            for path in paths {
                if let Some(target) = resolve(kind, path) {
                    remove(&mut full, target);
                }
            }
            Value::Object(full)
        }
        Selection::Only(paths) => {
            let mut out = Map::new();
            for key in ["schemas", "id"] {
                if let Some(v) = full.get(key) {
                    out.insert(key.into(), v.clone());
                }
            }
            for path in paths {
                if let Some(target) = resolve(kind, path) {
                    copy(&full, &mut out, target);
                }
            }
            Value::Object(out)
        }
    }
}

type Target = (
    Option<&'static str>,
    Option<&'static schema::Attr>,
    Option<&'static str>,
);

fn container<'a>(
    map: &'a mut Map<String, Value>,
    urn: Option<&str>,
) -> Option<&'a mut Map<String, Value>> {
    match urn {
        None => Some(map),
        Some(urn) => map.get_mut(urn).and_then(Value::as_object_mut),
    }
}

fn remove(full: &mut Map<String, Value>, (urn, attr, sub): Target) {
    let Some(attr) = attr else {
        if let Some(urn) = urn {
            full.remove(urn);
        }
        return;
    };
    if matches!(attr.name, "id") && urn.is_none() {
        return;
    }
    let Some(map) = container(full, urn) else {
        return;
    };
    match sub {
        None => {
            map.remove(attr.name);
        }
        Some(sub) => match map.get_mut(attr.name) {
            Some(Value::Object(inner)) => {
                inner.remove(sub);
            }
            Some(Value::Array(items)) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    item.remove(sub);
                }
            }
            _ => {}
        },
    }
}

fn copy(full: &Map<String, Value>, out: &mut Map<String, Value>, (urn, attr, sub): Target) {
    let source = match urn {
        None => Some(full),
        Some(urn) => full.get(urn).and_then(Value::as_object),
    };
    let Some(source) = source else {
        return;
    };
    let Some(attr) = attr else {
        if let Some(urn) = urn {
            out.insert(urn.into(), Value::Object(source.clone()));
        }
        return;
    };
    let Some(value) = source.get(attr.name) else {
        return;
    };
    let picked = match (sub, value) {
        (None, v) => v.clone(),
        (Some(sub), Value::Object(inner)) => match inner.get(sub) {
            Some(v) => json!({ sub: v }),
            None => return,
        },
        (Some(sub), Value::Array(items)) => Value::Array(
            items
                .iter()
                .filter_map(|i| i.get(sub).map(|v| json!({ sub: v })))
                .collect(),
        ),
        (Some(_), _) => return,
    };
    let target = match urn {
        None => out,
        Some(urn) => out
            .entry(urn)
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("just inserted an object"),
    };
    target.insert(attr.name.into(), picked);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::directory::resource::RawQuery;

    #[test]
    fn projection_keeps_id_and_schemas_and_knows_the_extension() {
        let full = json!({
            "schemas": ["s"], "id": "1", "userName": "b", "displayName": "B",
            "emails": [{"value": "b@x", "type": "work"}],
            schema::ENTERPRISE: {"department": "Tour", "employeeNumber": "7"},
        });
        let only = RawQuery {
            attributes: Some(format!(
                "userName,emails.value,{}:department",
                schema::ENTERPRISE
            )),
            ..Default::default()
        };
        let selection = only.selection(Kind::User).unwrap();
        assert_eq!(
            project(Kind::User, full.clone(), &selection),
            json!({
                "schemas": ["s"], "id": "1", "userName": "b",
                "emails": [{"value": "b@x"}],
                schema::ENTERPRISE: {"department": "Tour"},
            })
        );
        let except = RawQuery {
            excluded_attributes: Some("id,emails,displayName".into()),
            ..Default::default()
        };
        let selection = except.selection(Kind::User).unwrap();
        let out = project(Kind::User, full, &selection);
        assert_eq!(out["id"], "1");
        assert!(out.get("emails").is_none() && out.get("displayName").is_none());
        let unknown = RawQuery {
            attributes: Some("shoeSize".into()),
            ..Default::default()
        };
        assert!(unknown.selection(Kind::User).is_err());
    }
}
