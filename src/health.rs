//! `GET /healthz`: liveness plus a database round trip. `GET /readyz`: may this
//! replica take traffic — the database answers, its schema is the one this
//! binary knows, and the provider's discovery document is fresh. A proxy or
//! orchestrator takes a replica out of rotation on `503`; the body says why.

use std::time::Duration;

use app::db::SchemaStatus;
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use crate::AppState;

/// How long each readiness check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(CHECK_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "database": "ok"})),
        ),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "health check: database unavailable");
            unavailable()
        }
        Err(_) => {
            tracing::warn!("health check: database did not answer within 2 s");
            unavailable()
        }
    }
}

fn unavailable() -> (StatusCode, Json<serde_json::Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "unavailable", "database": "unreachable"})),
    )
}

/// Why a replica is not ready: one line an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("database unreachable: {0}")]
    Database(String),
    #[error(
        "database schema behind this release: {missing} migration(s) not run (run `countersign migrate`)"
    )]
    SchemaBehind { missing: usize },
    #[error(
        "database schema newer than this release (migrations {unknown:?} unknown): upgrade this replica"
    )]
    SchemaNewer { unknown: Vec<i64> },
    #[error("identity provider discovery not fresh: {0}")]
    Provider(String),
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match readiness(&state).await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(reason) => {
            tracing::warn!(reason = %reason, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "reason": reason.to_string()})),
            )
        }
    }
}

async fn readiness(state: &AppState) -> Result<(), NotReady> {
    let schema = tokio::time::timeout(CHECK_TIMEOUT, state.db.schema_status())
        .await
        .map_err(|_| NotReady::Database("no answer within 2 s".into()))?
        .map_err(|err| NotReady::Database(err.to_string()))?;
    match schema {
        SchemaStatus::Current => {}
        SchemaStatus::Behind { missing } => return Err(NotReady::SchemaBehind { missing }),
        SchemaStatus::Newer { unknown } => return Err(NotReady::SchemaNewer { unknown }),
    }
    if let Some(provider) = &state.oidc {
        tokio::time::timeout(CHECK_TIMEOUT, provider.ensure_fresh())
            .await
            .map_err(|_| NotReady::Provider("no answer within 2 s".into()))?
            .map_err(|err| NotReady::Provider(err.to_string()))?;
    }
    Ok(())
}
