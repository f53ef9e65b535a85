//! The Countersign server: configuration, HTTP wiring and the edges (OIDC,
//! health, static files). The rules live in `app::domain`.

pub mod action_errors;
pub mod api_v1;
pub mod assets;
pub mod audit_cli;
pub mod audit_export;
pub mod auth;
pub mod backup;
pub mod bench;
pub mod bench_directory;
pub mod bench_outbox;
pub mod config;
pub mod csrf;
pub mod demo;
pub mod health;
mod jobs;
pub mod metrics;
pub mod page_deadline;
pub mod provisioning_cli;
pub mod rate_limit;
pub mod scim;
pub mod security_headers;
pub mod telemetry;
pub mod unsubscribe;

use std::sync::Arc;
use tower_http::compression::{Predicate, predicate::DefaultPredicate};

use app::{
    auth::SessionLimits,
    db::{Db, DbSessionStore},
    domain::identity::RoleMap,
    services::Services,
};
use axum::{Router, extract::FromRef, middleware, routing::get};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::config::Config;

/// The largest request body any route takes (forms and JSON are a few kilobytes);
/// a larger one is refused with 413 before it is read.
pub const MAX_REQUEST_BODY: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub public_url: url::Url,
    pub public_origin: String,
    /// The organisation's OpenID Connect provider, when configured.
    pub oidc: Option<Arc<auth::provider::Provider>>,
    pub roles: RoleMap,
    pub limits: SessionLimits,
    pub problem_page: auth::ProblemPage,
    pub services: Services,
    pub reauth_skew_secs: i64,
    /// This replica's Prometheus series (`/metrics`).
    pub metrics: metrics::Metrics,
    /// The bearer token that opens `/metrics` on the public address.
    pub metrics_token: Option<Arc<str>>,
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
    #[error("OIDC configuration: {0}")]
    Oidc(#[from] auth::provider::ProviderError),
    #[error("server stopped: {0}")]
    Serve(#[source] std::io::Error),
    #[error("cannot build the HTTP client for connectors: {0}")]
    Http(#[from] reqwest::Error),
    #[error("mail: {0}")]
    Mail(String),
    #[error("site assets: {0}")]
    Assets(#[from] assets::AssetsError),
}

/// A running application: its state and its HTTP router.
pub struct Countersign {
    pub state: AppState,
    pub config: Config,
    /// This replica's outbox worker (provisioning): run by the server on its
    /// interval, or by hand (`run_due`) in tests and benchmarks.
    pub worker: app::domain::outbox::Worker,
}

impl Countersign {
    /// Connects to the database and brings its schema up to date.
    pub async fn build(config: Config) -> Result<Countersign, StartError> {
        telemetry::spawn_tasks_in_request_span();
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        let leptos_options = LeptosOptions::builder()
            .output_name(assets::output_name(&config.site_root)?)
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(config.addr)
            .build();
        let oidc = match config.oidc.clone() {
            Some(oidc) => Some(Arc::new(auth::provider::Provider::new(oidc)?)),
            None => None,
        };
        let services = Services {
            db: db.clone(),
            fallback: app::domain::routing::Fallback {
                admin_group: config.roles.admin_groups.first().cloned(),
                roles: config.roles.clone(),
            },
            token_max_days: config.token_max_days,
            provider_configured: oidc.is_some(),
            directory: config.directory,
            public_url: config.public_url.to_string(),
            provisioning: app::domain::provisioning::Provisioning::new(config.secret_key.clone())?,
        };
        app::domain::notify::record_delivery(&db, config.smtp.is_some()).await?;
        let worker = outbox_worker(&services, &config)?;
        let problem_page =
            auth::problem_page_renderer(page_context(services.clone()), leptos_options.clone());
        let state = AppState {
            leptos_options,
            db,
            public_url: config.public_url.clone(),
            public_origin: config.public_origin(),
            oidc,
            roles: config.roles.clone(),
            limits: SessionLimits {
                absolute_secs: config.session_max_hours * 3600,
                idle_secs: config.session_idle_minutes * 60,
            },
            problem_page,
            services,
            reauth_skew_secs: config.reauth_skew_secs,
            metrics: metrics::Metrics::new(),
            metrics_token: config.metrics.token.as_deref().map(Arc::from),
        };
        Ok(Countersign {
            state,
            config,
            worker,
        })
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
                tower_sessions::cookie::time::Duration::minutes(self.config.session_idle_minutes),
            ));

        let routes = generate_route_list(app::App);
        let leptos_options = state.leptos_options.clone();
        // The pages, each whole within its deadline (`page_deadline`).
        let pages = Router::new()
            .leptos_routes_with_context(
                &state,
                routes,
                page_context(state.services.clone()),
                move || app::shell(leptos_options.clone()),
            )
            .layer(middleware::from_fn(page_deadline::whole_in_time));
        // The web app (sessions, the guard, CSRF, 64 KiB bodies) and, beside
        // it, SCIM (a bearer token per request, no cookies, larger bodies):
        // both behind the security headers and the request log.
        let web = Router::new()
            .route("/healthz", get(health::healthz))
            .route("/readyz", get(health::readyz))
            .route("/metrics", get(metrics::public))
            .route("/audit/export.csv", get(audit_export::csv))
            .route("/audit/export.json", get(audit_export::json))
            .merge(auth::routes())
            .merge(unsubscribe::routes())
            .merge(api_v1::routes())
            .merge(pages)
            .fallback(leptos_axum::file_and_error_handler_with_context::<
                AppState,
                _,
            >(
                page_context(state.services.clone()), app::shell
            ))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                auth::guard::resolve_user,
            ))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                csrf::same_origin_only,
            ))
            .layer(middleware::from_fn(action_errors::only_known_form_errors))
            .layer(session_layer)
            .layer(tower_http::limit::RequestBodyLimitLayer::new(
                MAX_REQUEST_BODY,
            ))
            .layer(middleware::from_fn(api_v1::problem::problems_only));
        Router::new()
            .merge(web)
            .merge(scim::routes(state.clone()))
            .merge(assets::routes(
                &self.config.site_root,
                &state.leptos_options.output_name,
            ))
            .layer(middleware::from_fn(assets::pages_not_cached))
            .layer(middleware::from_fn_with_state(
                rate_limit::RateLimits::new(&self.config.rate_limits),
                rate_limit::limit,
            ))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                security_headers::security_headers,
            ))
            // brotli or gzip, as the browser asks; the /pkg files come
            // precompressed (`Content-Encoding` set) and are left alone, and
            // so are downloads (the audit export streams its file: Chromium
            // cancelled the compressed download).
            .layer(
                tower_http::compression::CompressionLayer::new().compress_when(
                    DefaultPredicate::new().and(not_a_download as fn(_, _, &_, &_) -> bool),
                ),
            )
            .layer(middleware::from_fn_with_state(
                state.metrics.clone(),
                metrics::track,
            ))
            .layer(telemetry::request_trace_layer())
            .with_state(state)
    }

    /// The metrics listener's router (`COUNTERSIGN_METRICS_ADDR`): `/metrics`
    /// without a token, and the health checks, for a management network.
    fn metrics_router(&self) -> Router {
        Router::new()
            .route("/metrics", get(metrics::private))
            .route("/healthz", get(health::healthz))
            .route("/readyz", get(health::readyz))
            .with_state(self.state.clone())
    }

    /// Serves until ctrl-c / SIGTERM.
    pub async fn serve(self) -> Result<(), StartError> {
        let addr = self.config.addr;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        self.serve_on(listener).await
    }

    /// Serves on `listener` (and the metrics listener, when configured) until
    /// SIGTERM or ctrl-c, then stops gracefully: no new connections, requests
    /// under way finish within `COUNTERSIGN_SHUTDOWN_GRACE_SECS`, the background
    /// jobs stop after the job they are running, and the pool is closed.
    pub async fn serve_on(self, listener: tokio::net::TcpListener) -> Result<(), StartError> {
        use std::future::IntoFuture;
        // `true` once the replica stops; dropped (the serving future dropped,
        // as a test does) stops everything too.
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let jobs = jobs::start(
            &self.state.db,
            self.config
                .outbox_interval
                .map(|every| (self.worker.clone(), every)),
            &self.state.metrics,
            stopping.clone(),
        );
        let metrics_server = match self.config.metrics.addr {
            Some(addr) => {
                let metrics_listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::Bind { addr, source })?;
                tracing::info!(%addr, "metrics listening");
                let serving = axum::serve(metrics_listener, self.metrics_router())
                    .with_graceful_shutdown(jobs::stopped(stopping.clone()))
                    .into_future();
                Some(tokio::spawn(async move {
                    if let Err(err) = serving.await {
                        tracing::error!(error = %err, "the metrics listener stopped");
                    }
                }))
            }
            None => None,
        };
        let grace = self.config.shutdown_grace;
        let db = self.state.db.clone();
        let router = self
            .router()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let server = axum::serve(without_delay(listener), router)
            .with_graceful_shutdown(jobs::stopped(stopping))
            .into_future();
        tokio::pin!(server);
        tokio::select! {
            result = &mut server => return result.map_err(StartError::Serve),
            () = shutdown_signal() => {}
        }
        let deadline = tokio::time::Instant::now() + grace;
        let _ = stop.send(true);
        match tokio::time::timeout_at(deadline, &mut server).await {
            Ok(result) => result.map_err(StartError::Serve)?,
            Err(_) => tracing::warn!(
                grace_secs = grace.as_secs(),
                "requests still under way after the grace period were dropped"
            ),
        }
        for job in jobs.into_iter().chain(metrics_server) {
            let abort = job.abort_handle();
            if tokio::time::timeout_at(deadline, job).await.is_err() {
                tracing::warn!("a background job still running after the grace period was stopped");
                abort.abort();
            }
        }
        db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The listener with `TCP_NODELAY` on every accepted socket: without it,
/// Nagle's algorithm and the client's delayed ACK hold back the tail of every
/// streamed page by tens of milliseconds (40 ms per request on Linux).
pub fn without_delay(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    fn no_delay(tcp: &mut tokio::net::TcpStream) {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
    }
    axum::serve::ListenerExt::tap_io(listener, no_delay as fn(&mut tokio::net::TcpStream))
}

/// The outbox worker of one replica, with a handler for each kind of job and
/// its scheduled work (access about to end).
pub fn outbox_worker(
    services: &Services,
    config: &Config,
) -> Result<app::domain::outbox::Worker, StartError> {
    use app::domain::{notify, outbox, provisioning::ProvisioningHandler};
    use std::sync::Arc;
    let policy = outbox::RetryPolicy {
        lease_secs: config.outbox_lease_secs,
        ..Default::default()
    };
    let db = services.db.clone();
    let handler = ProvisioningHandler::new(db.clone(), services.provisioning.clone());
    let mut worker = outbox::Worker::new(db.clone(), policy)
        .with_handler(app::types::JobKind::Provision, Arc::new(handler))
        .on_failure(notify::ProvisioningFailures::new(
            config.roles.admin_groups.clone(),
        ))
        .with_scheduled(Arc::new(notify::scan::AccessEndingScan::new(db.clone())))
        .with_scheduled(Arc::new(app::domain::escalation::WaitingTasksScan::new(
            db.clone(),
            services.fallback.clone(),
        )))
        .with_scheduled(Arc::new(notify::digest::DigestScan::new(db.clone())))
        .with_handler(
            app::types::JobKind::Chat,
            Arc::new(notify::chat::ChatHandler::new(
                db.clone(),
                services.provisioning.clone(),
                &services.public_url,
            )),
        );
    if let Some(smtp) = &config.smtp {
        let mailer = notify::Mailer::new(smtp).map_err(StartError::Mail)?;
        let handler = notify::MailHandler::new(db, mailer, &services.public_url);
        worker = worker.with_handler(app::types::JobKind::Email, Arc::new(handler));
    }
    Ok(worker)
}

/// What every page render and server function finds in its Leptos context,
/// and the nonce of this response's Content-Security-Policy, so that Leptos'
/// own inline scripts carry the one the header allows.
fn page_context(services: Services) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        provide_context(services.db.clone());
        provide_context(services.clone());
        let nonce = use_context::<axum::http::request::Parts>().and_then(|parts| {
            parts
                .extensions
                .get::<security_headers::CspNonce>()
                .cloned()
        });
        if let Some(nonce) = nonce {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0));
        }
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
    tracing::info!("shutting down: no new connections, finishing requests under way");
}

/// A response that is not a file to save (`Content-Disposition: attachment`):
/// the router compresses only these.
fn not_a_download(
    _: axum::http::StatusCode,
    _: axum::http::Version,
    headers: &axum::http::HeaderMap,
    _: &axum::http::Extensions,
) -> bool {
    !headers
        .get(axum::http::header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("attachment")
        })
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener;

    #[test]
    fn downloads_are_not_compressed_and_pages_may_be() {
        use axum::http::{Extensions, HeaderMap, StatusCode, Version, header};
        let download = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_DISPOSITION,
                value.parse().expect("a header value"),
            );
            super::not_a_download(
                StatusCode::OK,
                Version::HTTP_11,
                &headers,
                &Extensions::new(),
            )
        };
        assert!(!download("attachment; filename=\"countersign-audit.csv\""));
        assert!(!download("Attachment"));
        assert!(download("inline"));
        assert!(super::not_a_download(
            StatusCode::OK,
            Version::HTTP_11,
            &HeaderMap::new(),
            &Extensions::new()
        ));
    }

    #[tokio::test]
    async fn accepted_sockets_send_without_delay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let mut listener = super::without_delay(listener);
        let client = tokio::net::TcpStream::connect(addr);

        let ((accepted, _), client) = tokio::join!(listener.accept(), client);

        client.expect("connected");
        assert!(accepted.nodelay().expect("the socket's option"));
    }
}
