//! The catalog as a person sees it: the items they may request, each with where
//! they stand (held, or waiting for a decision), and whom they may ask for.

use super::{DomainError, items, org, search};
use crate::{
    db::{Db, items::ItemFilter, managers, standing},
    types::{CatalogEntry, CurrentUser, ItemKind, Page, PersonRef},
};

/// One page of the catalog, narrowed by `search` and `kind`.
pub async fn page(
    db: &Db,
    actor: &CurrentUser,
    search: String,
    kind: Option<ItemKind>,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<CatalogEntry>, DomainError> {
    let filter = ItemFilter {
        search: Some(search),
        kind,
        catalog_only: true,
        recent_first: false,
    };
    let page = items::list(db, actor, filter, after, limit).await?;
    let ids: Vec<&str> = page.rows.iter().map(|item| item.id.as_str()).collect();
    let standings = standing::of_items(db.pool(), &actor.id, &ids).await?;
    let rows = page
        .rows
        .into_iter()
        .zip(standings)
        .map(|(item, standing)| CatalogEntry {
            item,
            held: standing.held,
            pending: standing.pending,
        })
        .collect();
    Ok(Page {
        rows,
        next: page.next,
    })
}

/// One item of the catalog with where the actor stands, and the people they may
/// ask for: anyone, or a manager's direct reports, as the configuration allows
/// (empty when it allows only themselves).
pub async fn entry(
    db: &Db,
    actor: &CurrentUser,
    id: &str,
) -> Result<(CatalogEntry, Vec<PersonRef>), DomainError> {
    let item = items::get(db, actor, id).await?;
    if !(item.enabled && item.requestable) {
        return Err(DomainError::NotFound("access item"));
    }
    let (held, pending) = standing(db, actor, id).await?;
    let config = org::config(db).await?;
    let rules = &config.request_on_behalf_of_config;
    let others = if rules.allow_request_on_behalf_of_anyone_by_anyone {
        search::people(db, "", 50)
            .await?
            .into_iter()
            .filter(|person| person.id != actor.id)
            .collect()
    } else if rules.allow_request_on_behalf_of_employee_by_manager {
        // A manager asks for their direct reports (the rule is `domain::on_behalf`).
        managers::reports_of(db.pool(), &actor.id, None, 50)
            .await?
            .into_iter()
            .map(|r| PersonRef {
                id: r.id,
                name: r.name,
                email: r.email,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok((
        CatalogEntry {
            item,
            held,
            pending,
        },
        others,
    ))
}

/// Does the actor hold, or wait for, this item?
pub async fn standing(
    db: &Db,
    actor: &CurrentUser,
    item_id: &str,
) -> Result<(bool, bool), DomainError> {
    let standing = standing::of_items(db.pool(), &actor.id, &[item_id])
        .await?
        .pop()
        .unwrap_or_default();
    Ok((standing.held, standing.pending))
}
