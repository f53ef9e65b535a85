//! A person's notification settings.

use leptos::prelude::*;

use crate::types::{AppError, NotificationSettings};

#[server(endpoint = "notifications/get")]
pub async fn get_notification_settings() -> Result<NotificationSettings, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::notify::preferences::settings(&s.db, &user).await?)
}

/// The form as the browser posts it: a checkbox is sent only when ticked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NotificationsForm {
    /// Always sent (a hidden field), so a form with nothing ticked still has
    /// its name.
    #[serde(default)]
    pub form: String,
    #[serde(default)]
    pub request_updates: Option<String>,
    #[serde(default)]
    pub access_ending: Option<String>,
}

#[server(endpoint = "notifications/save")]
pub async fn save_notifications(
    choices: NotificationsForm,
) -> Result<NotificationSettings, AppError> {
    use crate::types::NotificationTopic;
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    let mut on = Vec::new();
    if choices.request_updates.is_some() {
        on.push(NotificationTopic::RequestUpdates);
    }
    if choices.access_ending.is_some() {
        on.push(NotificationTopic::AccessEnding);
    }
    Ok(crate::domain::notify::preferences::save(&s.db, &user, &on).await?)
}
