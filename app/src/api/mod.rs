//! Server functions: the browser's way to the server. Thin adapters onto the
//! domain: they find the caller (`crate::auth`), call one domain function and map
//! its error; they never decide anything themselves.

pub mod audit;
pub mod chat;
pub mod directory;
pub mod escalation;
pub mod inbox;
pub mod items;
pub mod notifications;
pub mod people;
pub mod provisioning;
pub mod requests;
pub mod session;
pub mod settings;
pub mod signed;
pub mod team;
pub mod tokens;
