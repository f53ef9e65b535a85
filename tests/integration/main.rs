//! Integration tests: the real axum app over a real database (SQLite or
//! PostgreSQL), signing people in at the real local OIDC provider, driven over HTTP.
//! One test binary (modules below) so the suite links once. Every test runs on a
//! multi-threaded runtime, as the server does in production (`#[tokio::main]`).

mod api;
mod arrange;
mod audit;
mod audit_evidence;
mod browser;
mod foundation;
mod hostile_reauth;
mod hostile_tokens;
mod idp;
mod limits;
mod people_audit;
mod pickers;
mod reauth;
mod security_headers;
mod server_logs;
mod sign_in;
mod standing;
mod support;
mod tamper;
