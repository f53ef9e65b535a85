//! The catalog, requesting access, My requests and My access.

use leptos::prelude::*;

use crate::types::{AppError, AssignmentView, CatalogEntry, Page, RequestView};

#[server(endpoint = "catalog/list")]
pub async fn catalog(
    search: String,
    kind: String,
    after: Option<String>,
) -> Result<Page<CatalogEntry>, AppError> {
    use crate::{db::items::ItemFilter, domain, types::ItemKind};
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    let filter = ItemFilter {
        search: Some(search),
        kind: ItemKind::parse(&kind),
        catalog_only: true,
        recent_first: false,
    };
    let page = domain::items::list(&s.db, &user, filter, after.as_deref(), 20).await?;
    let mut rows = Vec::with_capacity(page.rows.len());
    for item in page.rows {
        let (held, pending) = domain::requests::standing(&s.db, &user, &item.id).await?;
        rows.push(CatalogEntry {
            item,
            held,
            pending,
        });
    }
    Ok(Page {
        rows,
        next: page.next,
    })
}

/// One catalog item with where the person stands, and the people they may ask
/// for (empty when the configuration allows only themselves).
#[server(endpoint = "catalog/item")]
pub async fn catalog_item(
    id: String,
) -> Result<(CatalogEntry, Vec<crate::types::PersonRef>), AppError> {
    use crate::domain;
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    let item = domain::items::get(&s.db, &user, &id).await?;
    if !(item.enabled && item.requestable) {
        return Err(AppError::NotFound);
    }
    let (held, pending) = domain::requests::standing(&s.db, &user, &id).await?;
    let config = domain::org::config(&s.db).await?;
    let others = if config
        .request_on_behalf_of_config
        .allow_request_on_behalf_of_anyone_by_anyone
    {
        crate::db::users::search(&s.db, "", 50)
            .await
            .map_err(domain::DomainError::from)?
            .into_iter()
            .filter(|u| u.id != user.id)
            .map(|u| crate::types::PersonRef {
                id: u.id,
                name: u.name,
                email: u.email,
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

#[server(endpoint = "requests/create")]
pub async fn request_access(
    item_id: String,
    justification: String,
    end_date: String,
    for_user_id: Option<String>,
) -> Result<String, AppError> {
    use crate::domain::requests::{self, AccessRequestInput};
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    let input = AccessRequestInput {
        item_id,
        justification,
        end_date,
        for_user_id: for_user_id.unwrap_or_default(),
    };
    let id = requests::request_access(&s.db, &user, &input, &s.fallback).await?;
    leptos_axum::redirect(&format!("/requests/{id}?created=1"));
    Ok(id)
}

#[server(endpoint = "requests/mine")]
pub async fn my_requests(before: Option<String>) -> Result<Page<RequestView>, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::requests::mine(&s.db, &user, before.as_deref(), 20).await?)
}

#[server(endpoint = "requests/get")]
pub async fn get_request(id: String) -> Result<RequestView, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::requests::view(&s.db, &user, &id).await?)
}

#[server(endpoint = "requests/cancel")]
pub async fn cancel_request(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::requests::cancel(&s.db, &user, &id).await?)
}

#[server(endpoint = "access/mine")]
pub async fn my_access() -> Result<Vec<AssignmentView>, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::requests::my_access(&s.db, &user).await?)
}

#[server(endpoint = "access/remove")]
pub async fn request_removal(item_id: String, justification: String) -> Result<String, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::requests::request_removal(
        &s.db,
        &user,
        &item_id,
        &justification,
        &s.fallback,
    )
    .await?)
}
