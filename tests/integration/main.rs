//! Integration tests: the real axum app over a real database (SQLite or
//! PostgreSQL), signing people in at the real local OIDC provider, driven over HTTP.
//! One test binary (modules below) so the suite links once. Every test runs on a
//! multi-threaded runtime, as the server does in production (`#[tokio::main]`).

mod api;
mod api_document;
mod api_problems;
mod arrange;
mod audit;
mod audit_evidence;
mod browser;
mod chat;
mod crash;
mod delivery;
mod escalation;
mod foundation;
mod hostile_reauth;
mod hostile_tokens;
mod idp;
mod ldap_server;
mod leavers;
mod limits;
mod nginx;
mod notifications;
mod operations;
mod people_audit;
mod per_request;
mod pickers;
mod plain_forms;
mod postgres_server;
mod provisioning;
mod provisioning_crash;
mod provisioning_ldap;
mod provisioning_scim;
mod rate_limits;
mod real_server;
mod reauth;
mod replicas;
mod scim_client;
mod scim_entra;
mod scim_errors;
mod scim_identity;
mod scim_lists;
mod scim_managers;
mod scim_okta;
mod scim_server;
mod security_headers;
mod server_logs;
mod shutdown;
mod sign_in;
mod smtp_sink;
mod standing;
mod statements;
mod support;
mod tamper;
mod webhook_receiver;
