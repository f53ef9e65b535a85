//! Access items: what can be requested, who approves it, and whether approving it
//! must be e-signed by re-authentication. Admins only.

use serde_json::json;

use super::{
    DomainError,
    audit::{self, AuditActor, Entry},
    new_id, now, reauth, text,
};
use crate::{
    db::{
        Db,
        items::{self as store, ItemFields, ItemFilter},
    },
    types::{AccessItem, Approver, CurrentUser, ItemKind, Page, Role},
};

mod reauth_rule;
mod steps;

pub use reauth_rule::{ReauthRule, set_reauth};
pub use steps::{set_steps, steps_view};

pub const NAME_MAX: usize = 120;
pub const DESCRIPTION_MAX: usize = 2000;
pub const STEPS_MAX: usize = 10;
pub const WINDOW_MAX: i64 = 32_767;
pub const PAGE_MAX: i64 = 100;

pub(super) fn require_admin(actor: &CurrentUser) -> Result<(), DomainError> {
    if actor.has(Role::Admin) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only administrators manage access items",
        ))
    }
}

/// The Details tab as an admin submits it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemInput {
    pub kind: String,
    pub name: String,
    pub description: String,
    /// A user id, or empty for none.
    pub owner_id: String,
    pub requestable: bool,
    pub enabled: bool,
}

struct ValidItem {
    kind: ItemKind,
    name: String,
    description: String,
    owner_id: Option<String>,
    requestable: bool,
    enabled: bool,
}

async fn validate(
    db: &Db,
    input: &ItemInput,
    except_id: Option<&str>,
) -> Result<ValidItem, DomainError> {
    let kind = ItemKind::parse(&input.kind)
        .ok_or_else(|| DomainError::invalid("kind", "choose one of the listed kinds"))?;
    let name = text("name", &input.name, true, NAME_MAX)?;
    let description = text("description", &input.description, false, DESCRIPTION_MAX)?;
    let owner_id = match input.owner_id.trim() {
        "" => None,
        id => Some(super::people::eligible_owner(db.pool(), id).await?.id),
    };
    if store::name_taken(db.pool(), kind, &name, except_id).await? {
        return Err(DomainError::invalid(
            "name",
            format!(
                "another {} is already called {name:?}",
                kind.label().to_lowercase()
            ),
        ));
    }
    Ok(ValidItem {
        kind,
        name,
        description,
        owner_id,
        requestable: input.requestable,
        enabled: input.enabled,
    })
}

fn fields(v: &ValidItem) -> ItemFields<'_> {
    ItemFields {
        kind: v.kind,
        name: &v.name,
        description: &v.description,
        owner_id: v.owner_id.as_deref(),
        requestable: v.requestable,
        enabled: v.enabled,
    }
}

fn snapshot(item: &AccessItem) -> serde_json::Value {
    json!({
        "kind": item.kind.as_str(),
        "name": item.name,
        "description": item.description,
        "owner_id": item.owner_id,
        "requestable": item.requestable,
        "enabled": item.enabled,
        "require_reauth": item.require_reauth,
        "reauth_window_minutes": item.reauth_window_minutes,
    })
}

pub async fn create(
    db: &Db,
    actor: &CurrentUser,
    input: &ItemInput,
) -> Result<AccessItem, DomainError> {
    require_admin(actor)?;
    let valid = validate(db, input, None).await?;
    let id = new_id();
    let mut tx = db.write_tx().await?;
    store::insert(&mut *tx, &id, &fields(&valid), &actor.id, now()).await?;
    // A new item is approved by its owner until the admin says otherwise.
    store::replace_steps(&mut tx, &id, &[Approver::Owner]).await?;
    let item = store::find(&mut *tx, &id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry::about_item(
            "item.created",
            &id,
            json!({ "after": snapshot(&item), "steps": ["owner"] }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}

pub(super) fn stale() -> DomainError {
    DomainError::Conflict(
        "Someone else changed this item while you were editing it. Reload to see their \
         changes, then make yours again."
            .into(),
    )
}

/// The Details tab. Changing the owner of an item whose approvals must be
/// e-signed changes who signs, so it needs the admin's fresh re-authentication.
pub async fn update(
    db: &Db,
    (actor, session_key): (&CurrentUser, &str),
    (id, version): (&str, i64),
    input: &ItemInput,
    proof: Option<&str>,
) -> Result<AccessItem, DomainError> {
    require_admin(actor)?;
    let valid = validate(db, input, Some(id)).await?;
    let mut tx = db.write_tx().await?;
    let before = store::find(&mut *tx, id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    let weakens = before.require_reauth && before.owner_id != valid.owner_id;
    let action = reauth::SignedAction::ItemDetails {
        item_id: id.to_owned(),
        version,
        input: input.clone(),
    };
    let (mut tx, step_up) =
        reauth::step_up(db, tx, (actor, session_key), &action, proof, weakens).await?;
    if !store::update(&mut *tx, id, version, &fields(&valid), &actor.id, now()).await? {
        return Err(stale());
    }
    if valid.requestable && store::steps(&mut *tx, id).await?.is_empty() {
        return Err(DomainError::invalid(
            "requestable",
            "a requestable item needs at least one approval step (Approvals tab)",
        ));
    }
    let after = store::find(&mut *tx, id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    audit::append(
        &mut tx,
        AuditActor::User(&actor.id),
        Entry::about_item(
            "item.updated",
            id,
            json!({
                "before": snapshot(&before),
                "after": snapshot(&after),
                "step_up": step_up,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn get(db: &Db, actor: &CurrentUser, id: &str) -> Result<AccessItem, DomainError> {
    let item = store::find(db.pool(), id)
        .await?
        .ok_or(DomainError::NotFound("access item"))?;
    // Requesters see only what the catalog offers; admins see everything.
    if actor.has(Role::Admin) || (item.enabled && item.requestable) {
        Ok(item)
    } else {
        Err(DomainError::NotFound("access item"))
    }
}

/// An item with its approval steps, for administrators (the JSON API's item).
pub async fn with_steps(
    db: &Db,
    actor: &CurrentUser,
    id: &str,
) -> Result<(AccessItem, Vec<crate::types::ApprovalStepView>), DomainError> {
    require_admin(actor)?;
    let item = get(db, actor, id).await?;
    let steps = steps_view(db, id).await?;
    Ok((item, steps))
}

/// Cursor of keyset paging over (`name_key`, `id`), (`search_rank`,
/// `name_key`, `id`) in a search, or (`updated_at`, `id`).
fn cursor_of(row: &store::Listed, filter: &ItemFilter) -> String {
    if filter.recent_first {
        format!("{}\u{1f}{}", row.item.updated_at, row.item.id)
    } else if filter.ranked() {
        format!(
            "{}\u{1f}{}\u{1f}{}",
            row.search_rank, row.name_key, row.item.id
        )
    } else {
        format!("{}\u{1f}{}", row.name_key, row.item.id)
    }
}

/// The keyset a cursor of `cursor_of` names (`None`, the first page, when
/// malformed).
fn after_of<'a>(cursor: &'a str, filter: &ItemFilter) -> Option<store::After<'a>> {
    let (first, rest) = cursor.split_once('\u{1f}')?;
    Some(if filter.recent_first {
        store::After::Recent(first.parse().unwrap_or(i64::MIN), rest)
    } else if filter.ranked() {
        let (key, id) = rest.split_once('\u{1f}')?;
        store::After::Ranked(first.parse().unwrap_or(i64::MAX), key, id)
    } else {
        store::After::Name(first, rest)
    })
}

/// One page of items: all of them for admins, the catalog otherwise. The
/// catalog's search is this function's (`ItemFilter::search`): every word is
/// found as a substring of the name or description, case aside, through a
/// trigram index on both databases; items whose name starts with the search
/// come first, then those whose name holds every word, then the rest, each by
/// name.
pub async fn list(
    db: &Db,
    actor: &CurrentUser,
    filter: ItemFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<AccessItem>, DomainError> {
    let mut filter = filter;
    if let Some(search) = &filter.search {
        filter.search = Some(super::search::words_text(search)?.to_owned());
    }
    if !actor.has(Role::Admin) {
        filter.catalog_only = true;
    }
    let limit = limit.clamp(1, PAGE_MAX);
    let after = after.and_then(|cursor| after_of(cursor, &filter));
    let rows = store::list(db.pool(), db.backend(), &filter, after, limit + 1).await?;
    let page = Page::from_overfetch(rows, limit, |row| cursor_of(row, &filter));
    let mut page = Page {
        rows: page.rows.into_iter().map(|row| row.item).collect(),
        next: page.next,
    };
    if actor.has(Role::Admin) && !filter.catalog_only {
        for item in &mut page.rows {
            item.needs_attention = steps_view(db, &item.id).await?.iter().any(|s| s.broken);
        }
    }
    Ok(page)
}
