//! The parts every SCIM representation and list shares (RFC 7644 §3.4.2):
//! `meta` and its weak ETag, `If-Match`, the list query (`filter`,
//! `startIndex`, `count`, `attributes`/`excludedAttributes`), projection, and
//! the `ListResponse`.

use scim_v2::filter::{AttrPath, Filter};
use serde_json::{Value, json};

pub use super::projection::{Selection, project};
use super::{error::ScimError, projection::attribute_path, schema::Kind};

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
}
