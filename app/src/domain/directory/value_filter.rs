//! A value filter (`emails[type eq "work"]`, `members[value eq "…"]`) judged
//! against the elements of a multi-valued attribute in memory, as PATCH needs
//! it (lists are filtered in SQL, `db::directory::filter`).

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, ValFilter};
use serde_json::{Map, Value};

/// Whether an element of a multi-valued attribute meets a value filter.
/// Text compares without regard to case (`caseExact` false for every
/// sub-attribute a filter here can name).
pub fn matches(filter: &ValFilter, element: &Value) -> bool {
    match filter {
        ValFilter::Attr(AttrExp::Present(path)) => {
            field(element, path).is_some_and(|v| !v.is_null())
        }
        ValFilter::Attr(AttrExp::Comparison(path, op, value)) => {
            compare(field(element, path), op, value)
        }
        ValFilter::Not(inner) => !matches(inner, element),
        ValFilter::And(items) => items.as_slice().iter().all(|f| matches(f, element)),
        ValFilter::Or(items) => items.as_slice().iter().any(|f| matches(f, element)),
    }
}

fn field<'a>(element: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    element
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&path.name))
        .map(|(_, v)| v)
}

fn compare(field: Option<&Value>, op: &CompareOp, value: &CompValue) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.to_lowercase()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let (have, want) = match value {
        CompValue::Null => return field.is_none_or(Value::is_null) == (*op == CompareOp::Eq),
        CompValue::True => (field.and_then(text), "true".to_owned()),
        CompValue::False => (field.and_then(text), "false".to_owned()),
        CompValue::Number(n) => (field.and_then(text), n.to_string()),
        CompValue::Str(s) => (field.and_then(text), s.to_lowercase()),
    };
    let Some(have) = have else {
        return *op == CompareOp::Ne;
    };
    match op {
        CompareOp::Eq => have == want,
        CompareOp::Ne => have != want,
        CompareOp::Co => have.contains(&want),
        CompareOp::Sw => have.starts_with(&want),
        CompareOp::Ew => have.ends_with(&want),
        CompareOp::Gt => have > want,
        CompareOp::Ge => have >= want,
        CompareOp::Lt => have < want,
        CompareOp::Le => have <= want,
    }
}

/// The element a filter of `sub eq "…"` conditions describes, if it is one.
pub fn described_by(filter: &ValFilter) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let mut add = |f: &ValFilter| -> Option<()> {
        let ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, value)) = f else {
            return None;
        };
        let value = match value {
            CompValue::Str(s) => Value::String(s.clone()),
            CompValue::True => Value::Bool(true),
            CompValue::False => Value::Bool(false),
            _ => return None,
        };
        out.insert(path.name.clone(), value);
        Some(())
    };
    match filter {
        ValFilter::And(items) => {
            for item in items.as_slice() {
                add(item)?;
            }
        }
        other => add(other)?,
    }
    Some(out)
}
