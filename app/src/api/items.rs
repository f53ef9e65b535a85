//! Access items: the admin pages and the catalog.

use leptos::prelude::*;

use crate::types::{AccessItem, AppError, ApprovalStepView, Page};

/// Everything the item edit page shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemEditData {
    pub item: AccessItem,
    pub steps: Vec<ApprovalStepView>,
    /// The organisation's `reauthorizationEnabled`.
    pub org_reauth_enabled: bool,
    pub org_default_window: i64,
}

#[server(endpoint = "items/list")]
pub async fn list_items(
    search: String,
    kind: String,
    sort: String,
    after: Option<String>,
) -> Result<Page<AccessItem>, AppError> {
    use crate::{db::items::ItemFilter, domain::items, types::ItemKind};
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    let filter = ItemFilter {
        search: Some(search),
        kind: ItemKind::parse(&kind),
        catalog_only: false,
        recent_first: sort == "recent",
    };
    Ok(items::list(&s.db, &user, filter, after.as_deref(), 25).await?)
}

#[server(endpoint = "items/edit_view")]
pub async fn item_edit_view(id: String) -> Result<ItemEditData, AppError> {
    use crate::{domain, types::Role};
    let user = crate::auth::require_role(&[Role::Admin])?;
    let s = crate::services::current()?;
    let item = domain::items::get(&s.db, &user, &id).await?;
    let steps = domain::items::steps_view(&s.db, &id).await?;
    let config = domain::org::config(&s.db).await?;
    Ok(ItemEditData {
        item,
        steps,
        org_reauth_enabled: config.reauthorization_enabled,
        org_default_window: config.default_reauth_window_minutes,
    })
}

/// The Details tab as the browser posts it (`item[kind]`, `item[name]`, …); a
/// checkbox is sent only when ticked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemForm {
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A person's id, or empty for none.
    #[serde(default)]
    pub owner_id: String,
    #[serde(default)]
    pub requestable: Option<String>,
    #[serde(default)]
    pub enabled: Option<String>,
}

#[cfg(feature = "ssr")]
impl From<ItemForm> for crate::domain::items::ItemInput {
    fn from(form: ItemForm) -> Self {
        crate::domain::items::ItemInput {
            kind: form.kind,
            name: form.name,
            description: form.description,
            owner_id: form.owner_id,
            requestable: form.requestable.is_some(),
            enabled: form.enabled.is_some(),
        }
    }
}

#[server(endpoint = "items/create")]
pub async fn create_item(item: ItemForm) -> Result<String, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    let item = crate::domain::items::create(&s.db, &user, &item.into()).await?;
    leptos_axum::redirect(&format!("/admin/items/{}?tab=details&saved=1", item.id));
    Ok(item.id)
}

#[server(endpoint = "items/update")]
pub async fn update_item(id: String, version: i64, item: ItemForm) -> Result<AccessItem, AppError> {
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let input = item.into();
    Ok(crate::domain::items::update(&s.db, (&user, &key), (&id, version), &input, None).await?)
}

/// `steps` is the list of approvers as JSON (the Approvals tab keeps it in a
/// hidden field, so the form posts it whole).
#[server(endpoint = "items/steps")]
pub async fn set_item_steps(
    id: String,
    version: i64,
    steps: String,
) -> Result<AccessItem, AppError> {
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let steps: Vec<crate::types::Approver> = serde_json::from_str(&steps)
        .map_err(|_| AppError::Invalid("The approval steps could not be read.".into()))?;
    let steps = (steps.as_slice(), &s.fallback.roles);
    Ok(crate::domain::items::set_steps(&s.db, (&user, &key), (&id, version), steps, None).await?)
}

#[server(endpoint = "items/reauth")]
pub async fn set_item_reauth(
    id: String,
    version: i64,
    require_reauth: Option<String>,
    window_minutes: String,
) -> Result<AccessItem, AppError> {
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let window = match window_minutes.trim() {
        "" => None,
        w => Some(w.parse::<i64>().map_err(|_| AppError::Field {
            field: "window".into(),
            message: "must be a whole number of minutes".into(),
        })?),
    };
    Ok(crate::domain::items::set_reauth(
        &s.db,
        &user,
        &key,
        (&id, version),
        crate::domain::items::ReauthRule {
            require: require_reauth.is_some(),
            window_minutes: window,
        },
        None,
    )
    .await?)
}
