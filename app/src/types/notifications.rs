//! Notifications as the person's settings page shows them.

use serde::{Deserialize, Serialize};

string_enum! {
    /// A kind of mail a person may turn off. Mail about work waiting for them
    /// (a task, a failed provisioning job for administrators) is essential and
    /// cannot be turned off.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum NotificationTopic {
        /// A request of theirs (or for them) was approved, denied or cancelled.
        RequestUpdates = "request_updates",
        /// Access they hold ends in 7 days, tomorrow, or has ended.
        AccessEnding = "access_ending",
    }
}

impl NotificationTopic {
    pub fn label(self) -> &'static str {
        match self {
            NotificationTopic::RequestUpdates => "Decisions on my requests",
            NotificationTopic::AccessEnding => "Access about to end",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            NotificationTopic::RequestUpdates => {
                "A mail when a request you made, or one made for you, is approved, denied or \
                 cancelled."
            }
            NotificationTopic::AccessEnding => {
                "A mail 7 days and 1 day before access you hold ends, and when it has ended."
            }
        }
    }
}

/// One topic on the settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicChoice {
    pub topic: NotificationTopic,
    pub on: bool,
}

/// A person's notification settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// This installation sends mail at all (`COUNTERSIGN_SMTP_*`).
    pub mail_enabled: bool,
    /// Where mail goes (the address the provider or directory gave).
    pub email: Option<String>,
    pub topics: Vec<TopicChoice>,
}

string_enum! {
    /// What an incoming webhook of a chat expects.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ChatFormat {
        /// `{"text": …}` with `<url|label>` links: Slack, Mattermost, Rocket.Chat.
        Slack = "slack",
        /// An Adaptive Card message: Microsoft Teams (Workflows' "When a Teams
        /// webhook request is received").
        Teams = "teams",
    }
}

impl ChatFormat {
    pub fn label(self) -> &'static str {
        match self {
            ChatFormat::Slack => "Slack-compatible (Slack, Mattermost, Rocket.Chat)",
            ChatFormat::Teams => "Microsoft Teams (Adaptive Card)",
        }
    }
}

/// A chat webhook as its form shows it: never the URL (it is the credential),
/// only its host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatWebhookView {
    /// `None`: the organisation's; else the access item's.
    pub item_id: Option<String>,
    /// The host the stored URL posts to; `None`: no webhook.
    pub host: Option<String>,
    pub format: ChatFormat,
    /// 0 while none was saved.
    pub version: i64,
    /// `COUNTERSIGN_SECRET_KEY` is set, so a URL can be stored.
    pub key_configured: bool,
}
