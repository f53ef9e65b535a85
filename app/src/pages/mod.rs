//! One module per screen.

pub mod errors;
pub mod home;
