//! Reusable view pieces.

pub mod chat_webhook;
pub mod jobs;
pub mod layout;
pub mod loaded;
pub mod person_picker;
pub mod role_gate;
pub mod session;
pub mod ui;
