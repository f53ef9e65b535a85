//! View pieces reused across pages.

pub mod layout;
