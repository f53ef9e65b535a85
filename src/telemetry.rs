//! Structured logs: one span per request with method, path (never the query
//! string, which can carry authorization codes), status and latency. Headers,
//! cookies and tokens are never recorded.

use std::time::Duration;

use axum::{body::Body, extract::MatchedPath, http::Request, response::Response};
use tower_http::{
    classify::{ServerErrorsAsFailures, SharedClassifier},
    trace::TraceLayer,
};
use tracing::Span;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Json => registry
            .with(fmt::layer().json().flatten_event(true))
            .try_init(),
        LogFormat::Text => registry.with(fmt::layer()).try_init(),
    };
    // Already initialised (tests start several apps in one process): keep the first.
    let _ = result;
}

/// Leptos runs a page's resources (and the server functions they call) as
/// tasks of their own: spawned inside the request's span, so their logs and
/// SQL statements belong to the request that caused them. Called before the
/// router exists (Leptos would otherwise set a plain tokio spawner); a second
/// call keeps the first.
pub fn spawn_tasks_in_request_span() {
    struct InSpan;
    impl any_spawner::CustomExecutor for InSpan {
        fn spawn(&self, fut: any_spawner::PinnedFuture<()>) {
            tokio::spawn(tracing::Instrument::in_current_span(fut));
        }
        fn spawn_local(&self, fut: any_spawner::PinnedLocalFuture<()>) {
            tokio::task::spawn_local(tracing::Instrument::in_current_span(fut));
        }
        fn poll_local(&self) {}
    }
    let _ = any_spawner::Executor::init_custom_executor(InSpan);
}

type MakeSpan = fn(&Request<Body>) -> Span;
type OnResponse = fn(&Response, Duration, &Span);

pub fn request_trace_layer()
-> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, (), OnResponse> {
    TraceLayer::new_for_http()
        .make_span_with(make_span as MakeSpan)
        .on_request(())
        .on_response(on_response as OnResponse)
}

fn make_span(request: &Request<Body>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        route = route.as_deref().unwrap_or(""),
    )
}

fn on_response(response: &Response, latency: Duration, _span: &Span) {
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "response"
    );
}
