//! Chat notifications: the organisation's webhook (settings page) and an
//! item's (its Approvals tab). `item_id` empty means the organisation's.

use leptos::prelude::*;

use crate::types::{AppError, ChatWebhookView};

#[cfg(feature = "ssr")]
fn scope(item_id: &str) -> crate::domain::notify::chat::Scope<'_> {
    use crate::domain::notify::chat::Scope;
    match item_id.trim() {
        "" => Scope::Org,
        id => Scope::Item(id),
    }
}

#[server(endpoint = "chat/get")]
pub async fn chat_webhook(item_id: String) -> Result<ChatWebhookView, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::notify::chat::view(&s.db, &s.provisioning, &user, scope(&item_id)).await?)
}

/// Saves or removes a chat webhook. The URL is write-only: empty keeps the
/// stored one.
#[server(endpoint = "chat/save")]
pub async fn save_chat_webhook(
    item_id: String,
    version: i64,
    #[server(default)] url: String,
    #[server(default)] format: String,
    #[server(default)] remove: Option<String>,
) -> Result<ChatWebhookView, AppError> {
    use crate::domain::notify::chat::{self, ChatWebhookInput};
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    let input = ChatWebhookInput {
        url,
        format,
        remove: remove.is_some_and(|v| !v.is_empty() && v != "false"),
    };
    Ok(chat::save(
        &s.db,
        &s.provisioning,
        &user,
        (scope(&item_id), version),
        &input,
    )
    .await?)
}

/// "Send a test message" to the stored webhook.
#[server(endpoint = "chat/test")]
pub async fn test_chat_webhook(item_id: String) -> Result<String, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::notify::chat::send_test(
        &s.db,
        &s.provisioning,
        &user,
        scope(&item_id),
        &s.public_url,
    )
    .await?)
}
