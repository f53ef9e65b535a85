//! The parts every SCIM representation and list shares (RFC 7644 §3.4.2):
//! `meta` and its weak ETag, `If-Match`, the list query (`filter`,
//! `startIndex`, `count`, `attributes`/`excludedAttributes`), projection, and
//! the `ListResponse`.

use scim_v2::filter::{AttrExp, AttrPath, Filter};
use serde_json::{Map, Value, json};

use super::{
    error::ScimError,
    schema::{self, Kind},
};

/// The most resources one page holds (`filter.maxResults`); a larger `count`
/// is answered with this many.
pub const MAX_COUNT: i64 = 200;

/// Epoch seconds as an `xsd:dateTime` in UTC.
pub fn rfc3339(epoch: i64) -> String {
    let text = crate::types::format_utc(epoch);
    format!("{}T{}Z", &text[..10], &text[11..19])
}

/// The weak entity tag of a version (RFC 7644 §3.14).
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

pub fn meta(
    resource_type: &str,
    location: &str,
    (created, modified): (String, String),
    version: i64,
) -> Value {
    json!({
        "resourceType": resource_type,
        "created": created,
        "lastModified": modified,
        "location": location,
        "version": etag(version),
    })
}

/// Whether `If-Match` (when sent) names `version`: `*`, or one of its
/// comma-separated tags, compared weakly (RFC 9110 §13.1.1).
pub fn if_match_allows(if_match: Option<&str>, version: i64) -> bool {
    let Some(header) = if_match else {
        return true;
    };
    let wanted = version.to_string();
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == wanted)
}

/// Refuses the change when `If-Match` names another version: 412, nothing
/// changed.
pub fn check_if_match(if_match: Option<&str>, version: i64) -> Result<(), ScimError> {
    if if_match_allows(if_match, version) {
        Ok(())
    } else {
        Err(ScimError::precondition_failed(version))
    }
}

/// Which attributes a response carries (RFC 7644 §3.9).
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    All,
    Only(Vec<AttrPath>),
    Except(Vec<AttrPath>),
}

/// A list request as the client sent it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// 1-based.
    pub start_index: i64,
    /// At most [`MAX_COUNT`].
    pub count: i64,
    pub selection: Selection,
}

/// The raw query parameters of a list or a read.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawQuery {
    pub filter: Option<String>,
    pub start_index: Option<String>,
    pub count: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl RawQuery {
    pub fn list(&self, kind: Kind) -> Result<ListQuery, ScimError> {
        let filter = match self.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(parse_filter(text)?),
        };
        let number = |name: &str, raw: Option<&str>| -> Result<Option<i64>, ScimError> {
            raw.map(|r| {
                r.trim()
                    .parse::<i64>()
                    .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer")))
            })
            .transpose()
        };
        let start_index = number("startIndex", self.start_index.as_deref())?
            .unwrap_or(1)
            .max(1);
        let count = number("count", self.count.as_deref())?
            .unwrap_or(MAX_COUNT)
            .clamp(0, MAX_COUNT);
        Ok(ListQuery {
            filter,
            start_index,
            count,
            selection: self.selection(kind)?,
        })
    }

    pub fn selection(&self, kind: Kind) -> Result<Selection, ScimError> {
        let names = |raw: Option<&str>| -> Result<Vec<AttrPath>, ScimError> {
            raw.map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| {
                    r.split(',')
                        .map(|n| attribute_path(kind, n.trim()))
                        .collect()
                })
                .unwrap_or(Ok(Vec::new()))
        };
        let only = names(self.attributes.as_deref())?;
        let except = names(self.excluded_attributes.as_deref())?;
        match (only.is_empty(), except.is_empty()) {
            (true, true) => Ok(Selection::All),
            (false, true) => Ok(Selection::Only(only)),
            (true, false) => Ok(Selection::Except(except)),
            (false, false) => Err(ScimError::invalid_value(
                "attributes and excludedAttributes exclude each other (RFC 7644 §3.9)",
            )),
        }
    }
}

/// Parses a filter; also takes the form Microsoft Entra ID sends for an
/// email match, `emails[type eq "work"].value eq "x"`, which the RFC grammar
/// writes `emails[type eq "work" and value eq "x"]`.
pub fn parse_filter(text: &str) -> Result<Filter, ScimError> {
    match text.parse::<Filter>() {
        Ok(filter) => Ok(filter),
        Err(err) => match entra_value_path(text).and_then(|t| t.parse::<Filter>().ok()) {
            Some(filter) => Ok(filter),
            None => Err(ScimError::invalid_filter(format!("{err}"))),
        },
    }
}

/// `a[f].s op v` as `a[(f) and s op v]`, when `text` is exactly that shape.
fn entra_value_path(text: &str) -> Option<String> {
    let open = text.find('[')?;
    let close = text.find("].")?;
    let (attr, inner) = (&text[..open], &text[open + 1..close]);
    let rest = &text[close + 2..];
    let (sub, comparison) = rest.split_once(' ')?;
    let simple = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
    if !simple(attr) || !simple(sub) || inner.contains('[') || inner.contains(']') {
        return None;
    }
    Some(format!("{attr}[({inner}) and {sub} {comparison}]"))
}

/// One name of `attributes`/`excludedAttributes`, known to `kind`.
fn attribute_path(kind: Kind, name: &str) -> Result<AttrPath, ScimError> {
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

/// The `ListResponse` message (RFC 7644 §3.4.2).
pub fn list_response(resources: Vec<Value>, total: i64, start_index: i64) -> Value {
    json!({
        "schemas": [scim_v2::schema_urns::LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_compares_weak_tags() {
        assert!(if_match_allows(None, 3));
        assert!(if_match_allows(Some("W/\"3\""), 3));
        assert!(if_match_allows(Some("\"3\""), 3));
        assert!(if_match_allows(Some("W/\"1\", W/\"3\""), 3));
        assert!(if_match_allows(Some("*"), 3));
        assert!(!if_match_allows(Some("W/\"2\""), 3));
        assert!(!if_match_allows(Some("garbage"), 3));
    }

    #[test]
    fn entra_email_filters_are_read_as_the_rfc_writes_them() {
        let f = parse_filter(r#"emails[type eq "work"].value eq "a@x.org""#).unwrap();
        assert_eq!(
            f.to_string(),
            r#"emails[type eq "work" and value eq "a@x.org"]"#
        );
        assert!(parse_filter(r#"userName eq"#).is_err());
        assert!(parse_filter(r#"emails[type eq "work"].value zz "a""#).is_err());
    }

    #[test]
    fn count_is_capped_and_start_index_is_one_based() {
        let q = RawQuery {
            count: Some("5000".into()),
            start_index: Some("-3".into()),
            ..Default::default()
        };
        let list = q.list(Kind::User).unwrap();
        assert_eq!((list.start_index, list.count), (1, MAX_COUNT));
        let bad = RawQuery {
            count: Some("ten".into()),
            ..Default::default()
        };
        assert_eq!(bad.list(Kind::User).unwrap_err().outcome(), "invalidValue");
    }

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
