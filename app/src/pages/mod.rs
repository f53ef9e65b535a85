//! One module per screen.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod errors;
pub mod fulfilment;
pub mod home;
pub mod inbox;
pub mod my_requests;
pub mod notifications;
pub mod team;
pub mod tokens;
