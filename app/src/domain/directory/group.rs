//! A SCIM `Group` body as a group (name, external id, members), checked by
//! `scim_v2` and our rules; a PATCH as membership edits; a group as its SCIM
//! representation.

use scim_v2::{
    Context, Validate,
    filter::{AttrExp, CompValue, CompareOp, PatchPath, ValFilter},
    models::{
        group::Group,
        others::{OperationTarget, PatchOperation},
    },
};
use serde_json::{Map, Value, json};

use super::{
    error::ScimError,
    resource::{meta, rfc3339},
    schema::{self, GROUP, Kind},
};
use crate::db::directory::groups::GroupRow;

/// What a create or replace body says about a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    /// The member ids; `None` when the body does not mention members (they
    /// stay as they are).
    pub members: Option<Vec<String>>,
}

const MAX_CHARS: usize = 256;

fn display_name(raw: &str) -> Result<String, ScimError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ScimError::invalid_value("displayName is required"));
    }
    if name.chars().count() > MAX_CHARS || name.chars().any(char::is_control) {
        return Err(ScimError::invalid_value(format!(
            "displayName must be at most {MAX_CHARS} characters, without control characters"
        )));
    }
    Ok(name.to_owned())
}

fn external_id(raw: Option<&str>) -> Result<Option<String>, ScimError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(id) if id.chars().count() <= MAX_CHARS && !id.chars().any(char::is_control) => {
            Ok(Some(id.to_owned()))
        }
        Some(_) => Err(ScimError::invalid_value(format!(
            "externalId must be at most {MAX_CHARS} characters"
        ))),
    }
}

pub fn parse(body: Value, context: Context) -> Result<GroupInput, ScimError> {
    let canonical = schema::canonical_body(Kind::Group, body)?;
    let group: Group<String> = serde_json::from_value(Value::Object(canonical))
        .map_err(|e| ScimError::invalid_value(format!("not a valid Group: {e}")))?;
    group.validate_as(context)?;
    let members = if group.members.is_asserted() {
        let mut ids = Vec::new();
        for member in group.members.as_slice() {
            if member
                .r#type
                .as_ref()
                .is_some_and(|t| t == &scim_v2::models::group::MemberType::Group)
            {
                return Err(ScimError::invalid_value(
                    "groups in groups are not supported: list the people",
                ));
            }
            let id = member
                .value
                .clone()
                .ok_or_else(|| ScimError::invalid_value("a member needs a value (a User id)"))?;
            ids.push(id);
        }
        Some(ids)
    } else {
        None
    };
    Ok(GroupInput {
        display_name: display_name(&group.display_name)?,
        external_id: external_id(group.external_id.as_deref())?,
        members,
    })
}

/// One change a group PATCH makes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEdit {
    DisplayName(String),
    ExternalId(Option<String>),
    AddMembers(Vec<String>),
    RemoveMembers(Vec<String>),
    RemoveAllMembers,
    ReplaceMembers(Vec<String>),
}

/// The edits `ops` make to group `group_id`: `members` added and removed (by
/// value list, or Entra ID's `members[value eq "…"]` path), replaced, or the
/// name and external id set (Okta's pathless `{"id", "displayName"}` too).
pub fn edits(group_id: &str, ops: &[PatchOperation]) -> Result<Vec<GroupEdit>, ScimError> {
    let mut out = Vec::new();
    for op in ops {
        match op {
            PatchOperation::Add(OperationTarget::WithoutPath { value })
            | PatchOperation::Replace(OperationTarget::WithoutPath { value }) => {
                let add = matches!(op, PatchOperation::Add(_));
                for (key, value) in value {
                    out.extend(attribute(group_id, key, add, value)?);
                }
            }
            PatchOperation::Add(OperationTarget::WithPath { path, value })
            | PatchOperation::Replace(OperationTarget::WithPath { path, value }) => {
                let add = matches!(op, PatchOperation::Add(_));
                let PatchPath::Attr(path) = path else {
                    return Err(ScimError::invalid_path(
                        "add and replace take members, displayName or externalId",
                    ));
                };
                if path.sub_attr.is_some() || path.uri.is_some() {
                    return Err(ScimError::invalid_path(format!("unknown attribute {path}")));
                }
                let value = value.clone().unwrap_or(Value::Null);
                out.extend(attribute(group_id, &path.name, add, &value)?);
            }
            PatchOperation::Remove { path, value } => out.push(remove(path, value.as_ref())?),
        }
    }
    Ok(out)
}

/// The edit setting one attribute (`None`: nothing to do).
fn attribute(
    group_id: &str,
    key: &str,
    add: bool,
    value: &Value,
) -> Result<Option<GroupEdit>, ScimError> {
    let Some(attr) = schema::find(schema::GROUP_ATTRS, key) else {
        return Err(ScimError::invalid_path(format!(
            "unknown attribute {key:?}"
        )));
    };
    let edit = match attr.name {
        "displayName" => match value {
            Value::String(name) => GroupEdit::DisplayName(display_name(name)?),
            _ => return Err(ScimError::invalid_value("displayName takes a string")),
        },
        "externalId" => match value {
            Value::String(id) => GroupEdit::ExternalId(external_id(Some(id))?),
            Value::Null => GroupEdit::ExternalId(None),
            _ => return Err(ScimError::invalid_value("externalId takes a string")),
        },
        "members" => {
            let ids = member_ids(value)?;
            if add {
                GroupEdit::AddMembers(ids)
            } else {
                GroupEdit::ReplaceMembers(ids)
            }
        }
        // Okta names the group it renames; the id itself cannot change.
        "id" if value.as_str() == Some(group_id) => return Ok(None),
        other => return Err(ScimError::mutability(format!("{other} is read-only"))),
    };
    Ok(Some(edit))
}

fn remove(path: &PatchPath, value: Option<&Value>) -> Result<GroupEdit, ScimError> {
    match path {
        PatchPath::Attr(path) if path.uri.is_none() && path.sub_attr.is_none() => {
            match schema::find(schema::GROUP_ATTRS, &path.name).map(|a| a.name) {
                Some("members") => match value {
                    None | Some(Value::Null) => Ok(GroupEdit::RemoveAllMembers),
                    Some(value) => Ok(GroupEdit::RemoveMembers(member_ids(value)?)),
                },
                Some("externalId") => Ok(GroupEdit::ExternalId(None)),
                Some("displayName") => Err(ScimError::invalid_value("displayName is required")),
                Some(other) => Err(ScimError::mutability(format!("{other} is read-only"))),
                None => Err(ScimError::invalid_path(format!("unknown attribute {path}"))),
            }
        }
        PatchPath::Value(vp)
            if vp.sub_attr.is_none()
                && vp.attr.uri.is_none()
                && vp.attr.sub_attr.is_none()
                && vp.attr.name.eq_ignore_ascii_case("members") =>
        {
            let mut ids = Vec::new();
            member_filter(&vp.filter, &mut ids)?;
            Ok(GroupEdit::RemoveMembers(ids))
        }
        other => Err(ScimError::invalid_path(format!("cannot remove {other}"))),
    }
}

/// `value eq "id"` (or several joined by `or`) inside `members[…]`.
fn member_filter(filter: &ValFilter, ids: &mut Vec<String>) -> Result<(), ScimError> {
    match filter {
        ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(id)))
            if path.name.eq_ignore_ascii_case("value") && path.sub_attr.is_none() =>
        {
            ids.push(id.clone());
            Ok(())
        }
        ValFilter::Or(items) => items
            .as_slice()
            .iter()
            .try_for_each(|f| member_filter(f, ids)),
        _ => Err(ScimError::invalid_path(
            "members are selected by value eq \"<User id>\"",
        )),
    }
}

/// The ids in a `members` value: `[{"value": id}, …]` or one such object.
fn member_ids(value: &Value) -> Result<Vec<String>, ScimError> {
    let members = schema::find(schema::GROUP_ATTRS, "members").ok_or_else(ScimError::internal)?;
    let items = match schema::canonical_value(members, value.clone())? {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        other => vec![other],
    };
    items
        .iter()
        .map(|item| {
            if item
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("group"))
            {
                return Err(ScimError::invalid_value(
                    "groups in groups are not supported: list the people",
                ));
            }
            item.get("value")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| ScimError::invalid_value("a member needs a value (a User id)"))
        })
        .collect()
}

/// A group as its SCIM representation; `members` (id, name) when loaded.
pub fn render(row: &GroupRow, members: Option<&[(String, String)]>, base_url: &str) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP]));
    out.insert("id".into(), json!(row.id));
    out.insert("displayName".into(), json!(row.display_name));
    if let Some(id) = &row.external_id {
        out.insert("externalId".into(), json!(id));
    }
    if let Some(members) = members {
        let members: Vec<Value> = members
            .iter()
            .map(|(id, name)| {
                json!({
                    "value": id,
                    "$ref": format!("{base_url}/Users/{id}"),
                    "display": name,
                    "type": "User",
                })
            })
            .collect();
        out.insert("members".into(), Value::Array(members));
    }
    out.insert(
        "meta".into(),
        meta(
            "Group",
            &format!("{base_url}/Groups/{}", row.id),
            (rfc3339(row.created_at), rfc3339(row.updated_at)),
            row.version,
        ),
    );
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::directory::patch::parse_patch;

    fn ops(operations: Value) -> Vec<PatchOperation> {
        parse_patch(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations,
        }))
        .unwrap()
    }

    #[test]
    fn entra_adds_and_removes_members_by_path() {
        let edits = edits(
            "g1",
            &ops(json!([
                {"op": "Add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]},
                {"op": "Remove", "path": "members[value eq \"u1\"]"},
                {"op": "Remove", "path": "members", "value": [{"value": "u2"}]},
                {"op": "Replace", "path": "displayName", "value": "Sales"},
            ])),
        )
        .unwrap();
        assert_eq!(
            edits,
            vec![
                GroupEdit::AddMembers(vec!["u1".into(), "u2".into()]),
                GroupEdit::RemoveMembers(vec!["u1".into()]),
                GroupEdit::RemoveMembers(vec!["u2".into()]),
                GroupEdit::DisplayName("Sales".into()),
            ]
        );
    }

    #[test]
    fn okta_renames_with_a_pathless_replace_naming_the_group() {
        let edits = edits(
            "g1",
            &ops(json!([{"op": "replace", "value": {"id": "g1", "displayName": "Ops"}}])),
        )
        .unwrap();
        assert!(edits.contains(&GroupEdit::DisplayName("Ops".into())));
        let other = super::edits(
            "g1",
            &ops(json!([{"op": "replace", "value": {"id": "g2"}}])),
        );
        assert_eq!(other.unwrap_err().outcome(), "mutability");
    }

    #[test]
    fn unsupported_member_paths_and_values_are_refused() {
        let outcome = |operations: Value| {
            edits("g", &ops(operations))
                .unwrap_err()
                .outcome()
                .to_owned()
        };
        assert_eq!(
            outcome(json!([{"op": "remove", "path": "members[display eq \"x\"]"}])),
            "invalidPath"
        );
        assert_eq!(
            outcome(json!([{"op": "add", "path": "members", "value": [{"display": "x"}]}])),
            "invalidValue"
        );
        assert_eq!(
            outcome(
                json!([{"op": "add", "path": "members", "value": [{"value": "g2", "type": "Group"}]}])
            ),
            "invalidValue"
        );
        assert_eq!(
            outcome(json!([{"op": "add", "path": "owners", "value": "x"}])),
            "invalidPath"
        );
        assert_eq!(
            outcome(json!([{"op": "remove", "path": "displayName"}])),
            "invalidValue"
        );
        assert_eq!(
            outcome(json!([{"op": "replace", "path": "meta", "value": {}}])),
            "mutability"
        );
    }

    #[test]
    fn a_group_body_needs_a_name_and_people_as_members() {
        let ok = parse(
            json!({"schemas": [GROUP], "displayName": " Sales ", "members": [{"value": "u1"}]}),
            Context::CreateRequest,
        )
        .unwrap();
        assert_eq!(ok.display_name, "Sales");
        assert_eq!(ok.members, Some(vec!["u1".into()]));
        let without = parse(
            json!({"schemas": [GROUP], "displayName": "S"}),
            Context::ReplaceRequest,
        )
        .unwrap();
        assert_eq!(without.members, None);
        let unnamed = parse(json!({"schemas": [GROUP]}), Context::CreateRequest);
        assert_eq!(unnamed.unwrap_err().outcome(), "invalidValue");
    }
}
