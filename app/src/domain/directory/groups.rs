//! The directory's groups (the SCIM `Groups` endpoint). Membership changes go
//! through `db::groups::sync_cached_groups` for every person affected, in the
//! same transaction, so roles follow at the next request. Every change is
//! audited: created, renamed, deleted, members added and removed.

use scim_v2::Context;
use serde_json::{Value, json};

use super::{
    ScimCaller,
    error::ScimError,
    group::{self, GroupEdit, GroupInput},
    membership::Changes,
    patch,
    people::Representation,
    resource::{self, ListQuery, Selection, check_if_match},
    schema::Kind,
};
use crate::{
    db::{
        self, Tx,
        directory::{
            filter::{self, Resource},
            groups::{self as store, GroupRow},
            people,
        },
    },
    domain::{
        audit::{self, Entry},
        new_id, now,
    },
};

pub(super) fn entry<'a>(action: &'a str, group_id: &'a str, details: Value) -> Entry<'a> {
    Entry {
        action,
        target_kind: "group",
        target_id: group_id,
        item_id: None,
        request_id: None,
        details,
    }
}

async fn represent(
    c: &ScimCaller<'_>,
    conn: &mut sqlx::AnyConnection,
    id: &str,
    with_members: bool,
) -> Result<Representation, ScimError> {
    let row = store::find(&mut *conn, id)
        .await?
        .ok_or_else(|| ScimError::not_found("Group", id))?;
    let members = if with_members {
        Some(
            store::members_of(&mut *conn, &[id])
                .await?
                .into_iter()
                .map(|(_, uid, name)| (uid, name))
                .collect::<Vec<_>>(),
        )
    } else {
        None
    };
    Ok(Representation {
        id: row.id.clone(),
        version: row.version,
        json: group::render(&row, members.as_deref(), c.base_url),
    })
}

/// Whether a response with `selection` shows members (a group of thousands
/// is read only when asked for).
pub fn shows_members(selection: &Selection) -> bool {
    let names_members = |paths: &[scim_v2::filter::AttrPath]| {
        paths.iter().any(|p| p.name.eq_ignore_ascii_case("members"))
    };
    match selection {
        Selection::All => true,
        Selection::Only(paths) => names_members(paths),
        Selection::Except(paths) => !names_members(paths),
    }
}

pub async fn get(
    c: &ScimCaller<'_>,
    id: &str,
    selection: &Selection,
) -> Result<Representation, ScimError> {
    let mut conn = c.db.pool().acquire().await?;
    represent(c, &mut conn, id, shows_members(selection)).await
}

pub async fn list(c: &ScimCaller<'_>, q: &ListQuery) -> Result<Value, ScimError> {
    let filter = filter::translate(q.filter.as_ref(), Resource::Groups)
        .map_err(|e| ScimError::invalid_filter(e.0))?;
    let (rows, total) = store::page(c.db.pool(), &filter, q.start_index - 1, q.count).await?;
    let members = if shows_members(&q.selection) {
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        Some(store::members_of(c.db.pool(), &ids).await?)
    } else {
        None
    };
    let resources = rows
        .iter()
        .map(|row| {
            let of_row: Option<Vec<(String, String)>> = members.as_ref().map(|all| {
                all.iter()
                    .filter(|(gid, _, _)| *gid == row.id)
                    .map(|(_, uid, name)| (uid.clone(), name.clone()))
                    .collect()
            });
            resource::project(
                Kind::Group,
                group::render(row, of_row.as_deref(), c.base_url),
                &q.selection,
            )
        })
        .collect();
    Ok(resource::list_response(resources, total, q.start_index))
}

async fn check_unique(
    tx: &mut Tx,
    me: Option<&str>,
    (name, external_id): (&str, Option<&str>),
) -> Result<(), ScimError> {
    let other = |row: Option<GroupRow>| row.filter(|r| Some(r.id.as_str()) != me);
    if other(store::by_display_name(&mut **tx, name).await?).is_some() {
        return Err(ScimError::uniqueness(format!(
            "a group named {name:?} exists"
        )));
    }
    if let Some(external_id) = external_id
        && other(store::by_external_id(&mut **tx, external_id).await?).is_some()
    {
        return Err(ScimError::uniqueness(format!(
            "externalId {external_id:?} belongs to another group"
        )));
    }
    Ok(())
}

pub async fn create(c: &ScimCaller<'_>, body: Value) -> Result<Representation, ScimError> {
    let input = group::parse(body, Context::CreateRequest)?;
    let mut tx = c.db.write_tx().await?;
    let at = now();
    let named = (input.display_name.as_str(), input.external_id.as_deref());
    let id = match store::by_display_name(&mut *tx, &input.display_name).await? {
        Some(row) if row.source == db::groups::SOURCE_SCIM => {
            return Err(ScimError::uniqueness(format!(
                "a group named {:?} exists",
                input.display_name
            )));
        }
        // A group named in ID tokens before the directory pushed it becomes
        // the directory's: approval steps naming it keep working.
        Some(row) => {
            check_unique(&mut tx, Some(&row.id), named).await?;
            if !store::update(&mut tx, &row.id, row.version, named, at).await? {
                return Err(ScimError::conflict("the group changed meanwhile; retry"));
            }
            audit::append(
                &mut tx,
                c.actor(),
                entry(
                    "group.adopted_by_directory",
                    &row.id,
                    json!({ "display_name": input.display_name }),
                ),
            )
            .await?;
            row.id
        }
        None => {
            check_unique(&mut tx, None, named).await?;
            let id = new_id();
            store::insert(&mut tx, &id, named, at).await?;
            audit::append(
                &mut tx,
                c.actor(),
                entry(
                    "group.created",
                    &id,
                    json!({ "display_name": input.display_name, "external_id": input.external_id }),
                ),
            )
            .await?;
            id
        }
    };
    let mut changes = Changes::default();
    if let Some(members) = &input.members {
        changes.replace(&mut tx, &id, members).await?;
    }
    changes.finish(c, &mut tx, &id, false).await?;
    let out = represent(c, &mut tx, &id, true).await?;
    tx.commit().await?;
    Ok(out)
}

async fn for_change(tx: &mut Tx, id: &str, if_match: Option<&str>) -> Result<GroupRow, ScimError> {
    let row = store::find(&mut **tx, id)
        .await?
        .ok_or_else(|| ScimError::not_found("Group", id))?;
    check_if_match(if_match, row.version)?;
    Ok(row)
}

/// Sets name and external id at the row's version; audits a rename.
async fn rename(
    c: &ScimCaller<'_>,
    tx: &mut Tx,
    row: &GroupRow,
    (name, external_id): (&str, Option<&str>),
) -> Result<bool, ScimError> {
    check_unique(tx, Some(&row.id), (name, external_id)).await?;
    if !store::update(tx, &row.id, row.version, (name, external_id), now()).await? {
        return Err(ScimError::conflict("the group changed meanwhile; retry"));
    }
    let renamed = row.display_name != name;
    if renamed {
        // Steps and tasks name groups (as ID tokens do): they follow the rename.
        let (steps, tasks) = store::follow_rename(tx, &row.display_name, name).await?;
        audit::append(
            tx,
            c.actor(),
            entry(
                "group.renamed",
                &row.id,
                json!({
                    "before": row.display_name,
                    "after": name,
                    "approval_steps_renamed": steps,
                    "pending_tasks_renamed": tasks,
                }),
            ),
        )
        .await?;
    }
    Ok(renamed)
}

pub async fn replace(
    c: &ScimCaller<'_>,
    id: &str,
    body: Value,
    if_match: Option<&str>,
) -> Result<Representation, ScimError> {
    let input: GroupInput = group::parse(body, Context::ReplaceRequest)?;
    let mut tx = c.db.write_tx().await?;
    let row = for_change(&mut tx, id, if_match).await?;
    let renamed = rename(
        c,
        &mut tx,
        &row,
        (&input.display_name, input.external_id.as_deref()),
    )
    .await?;
    let mut changes = Changes::default();
    if let Some(members) = &input.members {
        changes.replace(&mut tx, id, members).await?;
    }
    changes.finish(c, &mut tx, id, renamed).await?;
    let out = represent(c, &mut tx, id, true).await?;
    tx.commit().await?;
    Ok(out)
}

/// Applies a PATCH; returns the group (with members only when `selection`
/// shows them: Entra ID patches large groups and reads none of it back).
pub async fn patch(
    c: &ScimCaller<'_>,
    id: &str,
    body: Value,
    if_match: Option<&str>,
    selection: &Selection,
) -> Result<Representation, ScimError> {
    let ops = patch::parse_patch(body)?;
    let edits = group::edits(id, &ops)?;
    let mut tx = c.db.write_tx().await?;
    let row = for_change(&mut tx, id, if_match).await?;
    let (mut name, mut external_id) = (row.display_name.clone(), row.external_id.clone());
    let mut changes = Changes::default();
    for edit in edits {
        match edit {
            GroupEdit::DisplayName(new) => name = new,
            GroupEdit::ExternalId(new) => external_id = new,
            GroupEdit::AddMembers(ids) => {
                for user in &ids {
                    changes.add(&mut tx, id, user).await?;
                }
            }
            GroupEdit::RemoveMembers(ids) => {
                for user in &ids {
                    changes.remove(&mut tx, id, user).await?;
                }
            }
            GroupEdit::RemoveAllMembers => changes.replace(&mut tx, id, &[]).await?,
            GroupEdit::ReplaceMembers(ids) => changes.replace(&mut tx, id, &ids).await?,
        }
    }
    let renamed = rename(c, &mut tx, &row, (&name, external_id.as_deref())).await?;
    changes.finish(c, &mut tx, id, renamed).await?;
    let out = represent(c, &mut tx, id, shows_members(selection)).await?;
    tx.commit().await?;
    Ok(out)
}

/// Deletes a group: its members lose it (and the roles it gave) at once.
pub async fn delete(c: &ScimCaller<'_>, id: &str, if_match: Option<&str>) -> Result<(), ScimError> {
    let mut tx = c.db.write_tx().await?;
    let row = for_change(&mut tx, id, if_match).await?;
    let mut changes = Changes::default();
    changes.replace(&mut tx, id, &[]).await?;
    let removed = changes.removed.len();
    if !store::delete(&mut tx, id, row.version).await? {
        return Err(ScimError::conflict("the group changed meanwhile; retry"));
    }
    let at = now();
    for user_id in &changes.removed {
        db::groups::sync_cached_groups(&mut tx, user_id).await?;
        people::touch(&mut tx, user_id, at).await?;
    }
    audit::append(
        &mut tx,
        c.actor(),
        entry(
            "group.deleted",
            id,
            json!({ "display_name": row.display_name, "members_removed": removed }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
