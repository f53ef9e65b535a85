//! The Countersign server: configuration, HTTP wiring and the edges (OIDC,
//! health, static files). The rules live in `app::domain`.

pub mod config;
pub mod csrf;
pub mod health;
pub mod telemetry;

use std::time::Duration;

use app::db::{Db, DbSessionStore};
use axum::{Router, extract::FromRef, middleware, routing::get};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::config::Config;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub public_origin: String,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] app::db::DbError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server stopped: {0}")]
    Serve(#[source] std::io::Error),
}

/// A running application: its state and its HTTP router.
pub struct Countersign {
    pub state: AppState,
    pub config: Config,
}

impl Countersign {
    /// Connects to the database and brings its schema up to date.
    pub async fn build(config: Config) -> Result<Countersign, StartError> {
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        let leptos_options = LeptosOptions::builder()
            .output_name("countersign")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(config.addr)
            .build();
        let state = AppState {
            leptos_options,
            db,
            public_origin: config.public_origin(),
        };
        Ok(Countersign { state, config })
    }

    pub fn router(&self) -> Router {
        let state = self.state.clone();
        let session_layer = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
            .with_name("countersign_session")
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(self.config.cookies_secure())
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(
                tower_sessions::cookie::time::Duration::minutes(60),
            ));

        let routes = generate_route_list(app::App);
        let context_db = state.db.clone();
        let leptos_options = state.leptos_options.clone();
        Router::new()
            .route("/healthz", get(health::healthz))
            .leptos_routes_with_context(
                &state,
                routes,
                move || provide_context(context_db.clone()),
                move || app::shell(leptos_options.clone()),
            )
            .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
                app::shell,
            ))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                csrf::same_origin_only,
            ))
            .layer(session_layer)
            .layer(telemetry::request_trace_layer())
            .with_state(state)
    }

    /// Serves until ctrl-c / SIGTERM.
    pub async fn serve(self) -> Result<(), StartError> {
        let addr = self.config.addr;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        self.serve_on(listener).await
    }

    pub async fn serve_on(self, listener: tokio::net::TcpListener) -> Result<(), StartError> {
        let store = DbSessionStore::new(self.state.db.clone());
        tokio::spawn(async move {
            use tower_sessions::ExpiredDeletion;
            let mut every = tokio::time::interval(Duration::from_secs(600));
            loop {
                every.tick().await;
                if let Err(err) = store.delete_expired().await {
                    tracing::warn!(error = %err, "expired-session clean-up failed");
                }
            }
        });
        let router = self.router();
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(StartError::Serve)
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
