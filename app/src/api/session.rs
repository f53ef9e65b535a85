//! Who is signed in, for the header and the role gates.

use leptos::prelude::*;

use crate::types::{AppError, CurrentUser};

/// The signed-in person, or `None` on a public page.
#[server(endpoint = "session/who_am_i")]
pub async fn who_am_i() -> Result<Option<CurrentUser>, AppError> {
    Ok(crate::auth::require_user().ok())
}
