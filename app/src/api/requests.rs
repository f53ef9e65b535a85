//! The catalog, requesting access, My requests and My access.

use leptos::prelude::*;

use crate::types::{AppError, AssignmentView, CatalogEntry, Page, RequestView};

#[server(endpoint = "catalog/list")]
pub async fn catalog(
    search: String,
    kind: String,
    after: Option<String>,
) -> Result<Page<CatalogEntry>, AppError> {
    use crate::types::ItemKind;
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    let kind = ItemKind::parse(&kind);
    Ok(crate::domain::catalog::page(&s.db, &user, search, kind, after.as_deref(), 20).await?)
}

/// One catalog item with where the person stands, and whether they may ask for
/// someone else.
#[server(endpoint = "catalog/item")]
pub async fn catalog_item(id: String) -> Result<(CatalogEntry, bool), AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::catalog::entry(&s.db, &user, &id).await?)
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
    crate::domain::requests::cancel(&s.db, &user, &id).await?;
    super::after_plain_form(&format!("/requests/{id}?cancelled=1"));
    Ok(())
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
    let id = crate::domain::requests::request_removal(
        &s.db,
        &user,
        &item_id,
        &justification,
        &s.fallback,
    )
    .await?;
    // A plain form goes back to My access, which says it was asked.
    super::after_plain_form("/access?removal=requested");
    Ok(id)
}
