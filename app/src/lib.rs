//! Countersign's Leptos application: the pages, their server functions and,
//! behind the `ssr` feature, the domain rules and the database layer.
#![recursion_limit = "256"]

pub mod access;
pub mod api;
pub mod components;
pub mod pages;
pub mod query;
mod shell;
pub mod types;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod domain;
#[cfg(feature = "ssr")]
pub mod services;

pub use shell::{App, shell};

/// The browser's entry point: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // A panic's message in the console, for development and the browser tests'
    // debug build; the release WebAssembly leaves the hook (and the formatting it
    // links) out: a panic there is a plain `unreachable` trap.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
