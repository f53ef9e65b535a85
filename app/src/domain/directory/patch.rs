//! PATCH (RFC 7644 §3.5.2) of a person: each operation applied in order to
//! their current representation; the result is then judged exactly as a
//! replace body (`person::parse`), so PATCH cannot write what PUT could not.
//! Group PATCH turns into membership edits instead (`group_patch`).

use scim_v2::{
    Validate,
    filter::{AttrExp, AttrPath, Filter, PatchPath, ValFilter},
    models::others::{OperationTarget, PatchOp, PatchOperation},
};
use serde_json::{Map, Value};

use super::{
    error::ScimError,
    projection::resolve,
    schema::{self, Attr, Kind, Mutability},
    value_filter::{described_by, matches},
};

/// Reads a PatchOp body: malformed JSON shapes are `invalidSyntax`, a path
/// the grammar refuses is `invalidPath`, a missing `value` `invalidValue`.
pub fn parse_patch(body: Value) -> Result<Vec<PatchOperation>, ScimError> {
    let patch: PatchOp = serde_json::from_value(body).map_err(|e| {
        let text = e.to_string();
        if text.contains("invalid SCIM path") {
            ScimError::invalid_path(text)
        } else {
            ScimError::invalid_syntax(format!("not a PatchOp: {text}"))
        }
    })?;
    patch.validate()?;
    Ok(patch.operations)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Add,
    Replace,
    Remove,
}

/// Applies `ops` to `resource` (a representation of `kind`).
pub fn apply(
    kind: Kind,
    resource: &mut Map<String, Value>,
    ops: &[PatchOperation],
) -> Result<(), ScimError> {
    for op in ops {
        match op {
            PatchOperation::Add(OperationTarget::WithoutPath { value }) => {
                pathless(kind, resource, Mode::Add, value)?
            }
            PatchOperation::Replace(OperationTarget::WithoutPath { value }) => {
                pathless(kind, resource, Mode::Replace, value)?
            }
            PatchOperation::Add(OperationTarget::WithPath { path, value }) => with_path(
                kind,
                resource,
                Mode::Add,
                path,
                value.clone().unwrap_or(Value::Null),
            )?,
            PatchOperation::Replace(OperationTarget::WithPath { path, value }) => with_path(
                kind,
                resource,
                Mode::Replace,
                path,
                value.clone().unwrap_or(Value::Null),
            )?,
            PatchOperation::Remove { path, value } => with_path(
                kind,
                resource,
                Mode::Remove,
                path,
                value.clone().unwrap_or(Value::Null),
            )?,
        }
    }
    Ok(())
}

/// `{"op": "replace", "value": {"active": false}}` (Okta): each key a path.
fn pathless(
    kind: Kind,
    resource: &mut Map<String, Value>,
    mode: Mode,
    value: &Map<String, Value>,
) -> Result<(), ScimError> {
    for (key, value) in value {
        let path = attr_path(key)?;
        target(kind, resource, mode, &path, value.clone())?;
    }
    Ok(())
}

/// A key of a pathless value as an attribute path.
fn attr_path(key: &str) -> Result<AttrPath, ScimError> {
    match format!("{key} pr").parse::<Filter>() {
        Ok(Filter::Attr(AttrExp::Present(path))) => Ok(path),
        _ => Err(ScimError::invalid_path(format!(
            "{key:?} is not an attribute"
        ))),
    }
}

fn with_path(
    kind: Kind,
    resource: &mut Map<String, Value>,
    mode: Mode,
    path: &PatchPath,
    value: Value,
) -> Result<(), ScimError> {
    match path {
        PatchPath::Attr(path) => target(kind, resource, mode, path, value),
        PatchPath::Value(vp) => {
            let Some((urn, Some(attr), None)) = resolve(kind, &vp.attr) else {
                return Err(ScimError::invalid_path(format!(
                    "unknown attribute {}",
                    vp.attr
                )));
            };
            if !attr.multi {
                return Err(ScimError::invalid_path(format!(
                    "{} is not multi-valued",
                    attr.name
                )));
            }
            writable(attr)?;
            let sub = match &vp.sub_attr {
                None => None,
                Some(sub) => Some(attr.sub(sub).ok_or_else(|| {
                    ScimError::invalid_path(format!("unknown attribute {}.{sub}", attr.name))
                })?),
            };
            let container = container(resource, urn, mode != Mode::Remove);
            let Some(container) = container else {
                return Ok(());
            };
            selected(container, attr, (&vp.filter, sub), mode, value)
        }
    }
}

fn writable(attr: &Attr) -> Result<(), ScimError> {
    if attr.mutability == Mutability::ReadOnly {
        Err(ScimError::mutability(format!("{} is read-only", attr.name)))
    } else {
        Ok(())
    }
}

fn container<'a>(
    resource: &'a mut Map<String, Value>,
    urn: Option<&str>,
    create: bool,
) -> Option<&'a mut Map<String, Value>> {
    let Some(urn) = urn else {
        return Some(resource);
    };
    if create && !resource.get(urn).is_some_and(Value::is_object) {
        resource.insert(urn.into(), Value::Object(Map::new()));
    }
    resource.get_mut(urn).and_then(Value::as_object_mut)
}

/// An operation on an attribute (or a sub-attribute, or the whole extension).
fn target(
    kind: Kind,
    resource: &mut Map<String, Value>,
    mode: Mode,
    path: &AttrPath,
    value: Value,
) -> Result<(), ScimError> {
    let Some((urn, attr, sub)) = resolve(kind, path) else {
        return Err(ScimError::invalid_path(format!("unknown attribute {path}")));
    };
    let Some(attr) = attr else {
        return extension(kind, resource, mode, value);
    };
    writable(attr)?;
    if attr.mutability == Mutability::WriteOnly {
        return Ok(()); // a password: never kept
    }
    let Some(map) = container(resource, urn, mode != Mode::Remove) else {
        return Ok(());
    };
    match sub {
        None => whole(map, attr, mode, value),
        Some(sub) => sub_attribute(map, attr, sub, mode, value),
    }
}

/// `path` = the extension's URN: its attributes, all at once.
fn extension(
    kind: Kind,
    resource: &mut Map<String, Value>,
    mode: Mode,
    value: Value,
) -> Result<(), ScimError> {
    let Some((urn, attrs)) = kind.extension() else {
        return Err(ScimError::invalid_path("no such extension"));
    };
    if mode == Mode::Remove {
        resource.remove(urn);
        return Ok(());
    }
    let Value::Object(values) = value else {
        return Err(ScimError::invalid_value(format!("{urn} takes an object")));
    };
    for (key, value) in values {
        let attr = schema::find(attrs, &key)
            .ok_or_else(|| ScimError::invalid_path(format!("unknown attribute {urn}:{key}")))?;
        let map = container(resource, Some(urn), true).ok_or_else(ScimError::internal)?;
        whole(map, attr, mode, value)?;
    }
    Ok(())
}

fn whole(
    map: &mut Map<String, Value>,
    attr: &Attr,
    mode: Mode,
    value: Value,
) -> Result<(), ScimError> {
    if mode == Mode::Remove || value.is_null() {
        if mode == Mode::Remove && attr.multi && !value.is_null() {
            // `remove` with the values to take out (as Entra ID sends members).
            let gone = as_list(schema::canonical_value(attr, value)?);
            if let Some(Value::Array(items)) = map.get_mut(attr.name) {
                items.retain(|item| !gone.iter().any(|g| same_value(item, g)));
            }
            return Ok(());
        }
        map.remove(attr.name);
        return Ok(());
    }
    let value = schema::canonical_value(attr, value)?;
    if attr.multi {
        let new = as_list(value);
        match (mode, map.get_mut(attr.name)) {
            (Mode::Add, Some(Value::Array(items))) => {
                for item in new {
                    if !items.iter().any(|i| same_value(i, &item)) {
                        items.push(item);
                    }
                }
            }
            _ => {
                map.insert(attr.name.into(), Value::Array(new));
            }
        }
        return Ok(());
    }
    match (value, map.get_mut(attr.name)) {
        (Value::Object(new), Some(Value::Object(old))) if !attr.subs.is_empty() => {
            old.extend(new);
        }
        (value, _) => {
            map.insert(attr.name.into(), value);
        }
    }
    Ok(())
}

fn sub_attribute(
    map: &mut Map<String, Value>,
    attr: &Attr,
    sub: &str,
    mode: Mode,
    value: Value,
) -> Result<(), ScimError> {
    if attr.multi {
        if mode == Mode::Add {
            return Err(ScimError::invalid_path(format!(
                "add to {}.{sub} is ambiguous; use a value filter",
                attr.name
            )));
        }
        if let Some(Value::Array(items)) = map.get_mut(attr.name) {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                set_or_remove(item, sub, mode, &value);
            }
        }
        return Ok(());
    }
    if mode != Mode::Remove && !map.get(attr.name).is_some_and(Value::is_object) {
        map.insert(attr.name.into(), Value::Object(Map::new()));
    }
    if let Some(Value::Object(inner)) = map.get_mut(attr.name) {
        set_or_remove(inner, sub, mode, &value);
    }
    Ok(())
}

fn set_or_remove(map: &mut Map<String, Value>, key: &str, mode: Mode, value: &Value) {
    if mode == Mode::Remove || value.is_null() {
        map.remove(key);
    } else {
        map.insert(key.into(), value.clone());
    }
}

/// `attr[filter]` or `attr[filter].sub`.
fn selected(
    map: &mut Map<String, Value>,
    attr: &Attr,
    (filter, sub): (&ValFilter, Option<&str>),
    mode: Mode,
    value: Value,
) -> Result<(), ScimError> {
    let items = match map.get_mut(attr.name) {
        Some(Value::Array(items)) => items,
        _ => {
            map.insert(attr.name.into(), Value::Array(Vec::new()));
            match map.get_mut(attr.name) {
                Some(Value::Array(items)) => items,
                _ => return Err(ScimError::internal()),
            }
        }
    };
    let hits: Vec<usize> = (0..items.len())
        .filter(|&i| matches(filter, &items[i]))
        .collect();
    if mode == Mode::Remove {
        match sub {
            None => {
                let mut i = 0;
                items.retain(|_| {
                    i += 1;
                    !hits.contains(&(i - 1))
                });
            }
            Some(sub) => {
                for &i in &hits {
                    if let Some(item) = items[i].as_object_mut() {
                        item.remove(sub);
                    }
                }
            }
        }
        return Ok(());
    }
    let value = match sub {
        Some(_) => value,
        None => {
            let Value::Object(_) = &value else {
                return Err(ScimError::invalid_value(format!(
                    "{}[…] takes an object",
                    attr.name
                )));
            };
            schema::canonical_value(attr, value)?
        }
    };
    if hits.is_empty() {
        // Entra ID replaces `emails[type eq "work"].value` of a person who
        // has no work email yet: the element the filter describes is added.
        let Some(mut element) = described_by(filter) else {
            return Err(ScimError::no_target(format!(
                "no {} matches the filter",
                attr.name
            )));
        };
        merge_into(&mut element, sub, value);
        items.push(Value::Object(element));
        return Ok(());
    }
    for i in hits {
        if let Some(item) = items[i].as_object_mut() {
            merge_into(item, sub, value.clone());
        }
    }
    Ok(())
}

fn merge_into(item: &mut Map<String, Value>, sub: Option<&str>, value: Value) {
    match (sub, value) {
        (Some(sub), value) => {
            item.insert(sub.into(), value);
        }
        (None, Value::Object(values)) => item.extend(values),
        (None, _) => {}
    }
}

fn as_list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        other => vec![other],
    }
}

/// Two elements of a multi-valued attribute are the same value when their
/// `value`s are (or, without one, when they are equal).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests;
