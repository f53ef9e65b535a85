//! The directory's people (the SCIM `Users` endpoint): every change in one
//! transaction with its audit records, by the directory's token as actor.
//! Leaving (`active: false`, delete) goes through `identity::leave`, the
//! manager through `identity::set_manager`.

use scim_v2::Context;
use serde_json::{Map, Value, json};

use super::{
    ScimCaller,
    error::ScimError,
    patch,
    person::{self, PersonInput},
    resource::{self, ListQuery, check_if_match},
    schema::Kind,
};
use crate::{
    db::{
        self, Tx,
        directory::{
            filter::{self, Resource},
            groups as group_store,
            people::{self as store, PersonRow, PersonWrite},
        },
    },
    domain::{
        audit::{self, Entry},
        identity, new_id, now,
    },
    types::ScimMatchKey,
};

/// A resource as the client gets it, with its version (the ETag).
#[derive(Debug, Clone, PartialEq)]
pub struct Representation {
    pub id: String,
    pub version: i64,
    pub json: Value,
}

fn entry<'a>(action: &'a str, user_id: &'a str, details: Value) -> Entry<'a> {
    Entry {
        action,
        target_kind: "user",
        target_id: user_id,
        item_id: None,
        request_id: None,
        details,
    }
}

/// The person's representation, read in `ex` after a change or for a GET.
async fn represent(
    c: &ScimCaller<'_>,
    conn: &mut sqlx::AnyConnection,
    id: &str,
) -> Result<Representation, ScimError> {
    let row = store::find(&mut *conn, id)
        .await?
        .ok_or_else(|| ScimError::not_found("User", id))?;
    let groups: Vec<(String, String)> = store::groups_of(&mut *conn, &[id])
        .await?
        .into_iter()
        .map(|(_, gid, name)| (gid, name))
        .collect();
    Ok(Representation {
        id: row.id.clone(),
        version: row.version,
        json: person::render(&row, &groups, c.base_url),
    })
}

pub async fn get(c: &ScimCaller<'_>, id: &str) -> Result<Representation, ScimError> {
    let mut conn = c.db.pool().acquire().await?;
    represent(c, &mut conn, id).await
}

/// One page of people (`ListResponse`), projected as asked.
pub async fn list(c: &ScimCaller<'_>, q: &ListQuery) -> Result<Value, ScimError> {
    let filter = filter::translate(q.filter.as_ref(), Resource::Users)
        .map_err(|e| ScimError::invalid_filter(e.0))?;
    let (rows, total) = store::page(c.db.pool(), &filter, q.start_index - 1, q.count).await?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let memberships = store::groups_of(c.db.pool(), &ids).await?;
    let resources = rows
        .iter()
        .map(|row| {
            let groups: Vec<(String, String)> = memberships
                .iter()
                .filter(|(uid, _, _)| *uid == row.id)
                .map(|(_, gid, name)| (gid.clone(), name.clone()))
                .collect();
            resource::project(
                Kind::User,
                person::render(row, &groups, c.base_url),
                &q.selection,
            )
        })
        .collect();
    Ok(resource::list_response(resources, total, q.start_index))
}

/// Refuses a `userName` or `externalId` another person holds (409).
async fn check_unique(tx: &mut Tx, me: Option<&str>, write: &PersonWrite) -> Result<(), ScimError> {
    let other = |row: Option<PersonRow>| row.filter(|r| Some(r.id.as_str()) != me);
    if other(store::by_user_name(&mut **tx, &write.user_name).await?).is_some() {
        return Err(ScimError::uniqueness(format!(
            "userName {:?} belongs to another person",
            write.user_name
        )));
    }
    if let Some(external_id) = &write.external_id
        && other(store::by_external_id(&mut **tx, external_id).await?).is_some()
    {
        return Err(ScimError::uniqueness(format!(
            "externalId {external_id:?} belongs to another person"
        )));
    }
    Ok(())
}

/// The person a create describes who is already here without being the
/// directory's: known from a sign-in (by the configured key), or deleted by
/// the directory before (a person who comes back keeps their history).
async fn adoptable(
    c: &ScimCaller<'_>,
    tx: &mut Tx,
    write: &PersonWrite,
) -> Result<Option<PersonRow>, ScimError> {
    if let Some(row) = store::by_user_name(&mut **tx, &write.user_name).await? {
        if row.source == "scim" && row.deleted_at.is_none() {
            return Err(ScimError::uniqueness(format!(
                "userName {:?} already exists",
                write.user_name
            )));
        }
        return Ok(Some(row));
    }
    let by_key = match (c.settings.match_key, &write.external_id) {
        (ScimMatchKey::ExternalId, Some(sub)) => {
            store::signed_in_by_subject(&mut **tx, sub).await?
        }
        (ScimMatchKey::UserName, _) => {
            store::signed_in_by_email(&mut **tx, &write.user_name).await?
        }
        (ScimMatchKey::ExternalId, None) => None,
    };
    Ok(by_key)
}

pub async fn create(c: &ScimCaller<'_>, body: Value) -> Result<Representation, ScimError> {
    let input = person::parse(body, Context::CreateRequest)?;
    let mut tx = c.db.write_tx().await?;
    let at = now();
    let id = match adoptable(c, &mut tx, &input.write).await? {
        Some(row) => {
            check_unique(&mut tx, Some(&row.id), &input.write).await?;
            if !store::update(&mut tx, &row.id, row.version, &input.write, at).await? {
                return Err(ScimError::conflict("the person changed meanwhile; retry"));
            }
            let how = if row.deleted_at.is_some() {
                "returned"
            } else {
                "signed_in_before"
            };
            audit::append(
                &mut tx,
                c.actor(),
                entry(
                    "user.adopted_by_directory",
                    &row.id,
                    json!({ "how": how, "user_name": input.write.user_name }),
                ),
            )
            .await?;
            // A person deleted before comes back as the create says.
            let said_active = row.deleted_at.is_none() && person::directory_said_active(&row);
            settle(c, &mut tx, (&row, said_active), &input).await?;
            row.id
        }
        None => {
            check_unique(&mut tx, None, &input.write).await?;
            let id = new_id();
            store::insert(&mut tx, &id, &input.write, at).await?;
            audit::append(
                &mut tx,
                c.actor(),
                entry(
                    "user.provisioned",
                    &id,
                    json!({
                        "user_name": input.write.user_name,
                        "external_id": input.write.external_id,
                        "name": input.write.name,
                    }),
                ),
            )
            .await?;
            let row = store::find(&mut *tx, &id)
                .await?
                .ok_or_else(ScimError::internal)?;
            settle(c, &mut tx, (&row, true), &input).await?;
            id
        }
    };
    let out = represent(c, &mut tx, &id).await?;
    tx.commit().await?;
    Ok(out)
}

/// After the row is written: active or not, and the manager.
async fn settle(
    c: &ScimCaller<'_>,
    tx: &mut Tx,
    (before, said_active): (&PersonRow, bool),
    input: &PersonInput,
) -> Result<(), ScimError> {
    let disabled = before.disabled_at.is_some();
    if !input.active && !disabled {
        identity::leave(tx, &before.id, c.actor(), c.fallback).await?;
    } else if input.active && disabled && !said_active {
        // Only the directory's own deactivation is undone: a person an
        // administrator disabled here stays disabled.
        if store::enable(tx, &before.id).await? {
            audit::append(
                tx,
                c.actor(),
                entry("user.reenabled", &before.id, json!({})),
            )
            .await?;
        }
    }
    let manager = match &input.manager {
        None => None,
        Some(m) => Some(
            store::find(&mut **tx, m)
                .await?
                .ok_or_else(|| {
                    ScimError::invalid_value(format!("manager {m:?} is not a known User"))
                })?
                .id,
        ),
    };
    if manager != before.manager_id {
        identity::set_manager(tx, &before.id, manager.as_deref(), c.actor(), c.fallback).await?;
    }
    Ok(())
}

/// Writes `input` over `row` (read in `tx`, at its version), audited.
async fn save(
    c: &ScimCaller<'_>,
    tx: &mut Tx,
    row: &PersonRow,
    input: &PersonInput,
) -> Result<(), ScimError> {
    check_unique(tx, Some(&row.id), &input.write).await?;
    if !store::update(tx, &row.id, row.version, &input.write, now()).await? {
        return Err(ScimError::conflict("the person changed meanwhile; retry"));
    }
    let w = &input.write;
    let changed: Vec<&str> = [
        ("userName", row.user_name.as_deref() != Some(&w.user_name)),
        ("externalId", row.external_id != w.external_id),
        ("displayName", row.name != w.name),
        ("emails", row.email != w.email),
        ("employeeNumber", row.employee_number != w.employee_number),
        ("department", row.department != w.department),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect();
    if !changed.is_empty() {
        audit::append(
            tx,
            c.actor(),
            entry(
                "user.updated_by_directory",
                &row.id,
                json!({ "changed": changed, "user_name": w.user_name, "name": w.name }),
            ),
        )
        .await?;
    }
    settle(c, tx, (row, person::directory_said_active(row)), input).await
}

/// The person `id` for a change, at the version `If-Match` names.
async fn for_change(tx: &mut Tx, id: &str, if_match: Option<&str>) -> Result<PersonRow, ScimError> {
    let row = store::find(&mut **tx, id)
        .await?
        .ok_or_else(|| ScimError::not_found("User", id))?;
    check_if_match(if_match, row.version)?;
    Ok(row)
}

pub async fn replace(
    c: &ScimCaller<'_>,
    id: &str,
    body: Value,
    if_match: Option<&str>,
) -> Result<Representation, ScimError> {
    let input = person::parse(body, Context::ReplaceRequest)?;
    let mut tx = c.db.write_tx().await?;
    let row = for_change(&mut tx, id, if_match).await?;
    save(c, &mut tx, &row, &input).await?;
    let out = represent(c, &mut tx, id).await?;
    tx.commit().await?;
    Ok(out)
}

pub async fn patch(
    c: &ScimCaller<'_>,
    id: &str,
    body: Value,
    if_match: Option<&str>,
) -> Result<Representation, ScimError> {
    let ops = patch::parse_patch(body)?;
    let mut tx = c.db.write_tx().await?;
    let row = for_change(&mut tx, id, if_match).await?;
    let Value::Object(mut current) = person::render(&row, &[], c.base_url) else {
        return Err(ScimError::internal());
    };
    for read_only in ["id", "meta", "groups"] {
        current.remove(read_only);
    }
    patch::apply(Kind::User, &mut current, &ops)?;
    person::declare_extensions(&mut current);
    let input = person::parse(Value::Object(current), Context::ReplaceRequest)?;
    save(c, &mut tx, &row, &input).await?;
    let out = represent(c, &mut tx, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Deletes a person (RFC 7644 §3.6): they leave, lose every group, and are
/// gone from SCIM (404 afterwards); the row stays for the audit trail.
pub async fn delete(c: &ScimCaller<'_>, id: &str, if_match: Option<&str>) -> Result<(), ScimError> {
    let mut tx = c.db.write_tx().await?;
    let row = for_change(&mut tx, id, if_match).await?;
    identity::leave(&mut tx, id, c.actor(), c.fallback).await?;
    let at = now();
    // Nobody is managed by a person who no longer exists: each report loses
    // the reference (audited; their open manager-step tasks follow).
    for report in db::managers::all_reports_of(&mut *tx, id).await? {
        identity::set_manager(&mut tx, &report, None, c.actor(), c.fallback).await?;
        store::touch(&mut tx, &report, at).await?;
    }
    let groups = group_store::group_ids_of(&mut *tx, id).await?;
    for group in &groups {
        group_store::remove_member(&mut tx, group, id).await?;
        group_store::touch(&mut tx, group, at).await?;
    }
    db::groups::sync_cached_groups(&mut tx, id).await?;
    if !store::mark_deleted(&mut tx, id, row.version, at).await? {
        return Err(ScimError::conflict("the person changed meanwhile; retry"));
    }
    audit::append(
        &mut tx,
        c.actor(),
        entry(
            "user.deleted_by_directory",
            id,
            json!({ "user_name": row.user_name, "groups_removed": groups }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The `Map` of a representation, for tests and callers that edit one.
pub fn as_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
