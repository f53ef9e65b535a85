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

/// Was this server function called by a plain HTML form (no WebAssembly yet, or
/// none at all)? Such a post is answered with a redirect to a page, not data.
#[cfg(feature = "ssr")]
pub(crate) fn plain_form_post() -> bool {
    use leptos::prelude::use_context;
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// After a plain form post that succeeded: go to `path` (a page of ours that
/// says what happened) instead of back to the form's page.
#[cfg(feature = "ssr")]
pub(crate) fn after_plain_form(path: &str) {
    if plain_form_post() {
        leptos_axum::redirect(path);
    }
}
