//! The catalog as a person sees it: the items they may request, each with where
//! they stand (held, or waiting for a decision), and whether they may ask for
//! someone else.

use super::{DomainError, items, org, people::OnBehalfOf, routing::approvals_signed};
use crate::{
    db::{Db, items::ItemFilter, managers, standing},
    types::{CatalogEntry, CurrentUser, ItemKind, Page},
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
    let config = org::config(db).await?;
    let rows = page
        .rows
        .into_iter()
        .zip(standings)
        .map(|(item, standing)| CatalogEntry {
            approvals_signed: approvals_signed(&config, item.require_reauth),
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

/// One item of the catalog with where the actor stands, and whether they may
/// ask for someone else: anyone may, or a manager may for their direct reports,
/// as the configuration allows (whom: `people::on_behalf_candidates`).
pub async fn entry(
    db: &Db,
    actor: &CurrentUser,
    id: &str,
) -> Result<(CatalogEntry, bool), DomainError> {
    let item = items::get(db, actor, id).await?;
    if !(item.enabled && item.requestable) {
        return Err(DomainError::NotFound("access item"));
    }
    let (held, pending) = standing(db, actor, id).await?;
    let config = org::config(db).await?;
    let for_others = match OnBehalfOf::under(&config.request_on_behalf_of_config) {
        OnBehalfOf::Nobody => false,
        OnBehalfOf::Anyone => true,
        // Only a manager is offered the choice (of their direct reports).
        OnBehalfOf::DirectReports => managers::has_reports(db.pool(), &actor.id).await?,
    };
    Ok((
        CatalogEntry {
            approvals_signed: approvals_signed(&config, item.require_reauth),
            item,
            held,
            pending,
        },
        for_others,
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
