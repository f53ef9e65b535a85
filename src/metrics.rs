//! `/metrics` in the Prometheus text format (docs/operations.md lists each
//! series and what to alert on). Requests are counted by the route they
//! matched (its template, never the raw path, so ids and query strings never
//! become labels); the backlog and the pool are read at scrape time.
//!
//! Never public by default: served on a listener of its own
//! (`COUNTERSIGN_METRICS_ADDR`) or, on the public address, to a bearer of
//! `COUNTERSIGN_METRICS_TOKEN`; otherwise the public `/metrics` is a 404.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// This replica's series. Cheap to clone; one per running app (tests run
/// several apps in one process, each with its own).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Series>,
}

struct Series {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    in_flight: Gauge,
    reauth: Family<OutcomeLabels, Counter>,
    outbox_attempts: Family<OutcomeLabels, Counter>,
    pool_in_use: Gauge,
    pool_idle: Gauge,
    pending_tasks: Gauge,
    outbox_jobs: Family<StateLabels, Gauge>,
    database_up: Gauge,
}

fn latency_histogram() -> Histogram {
    // 5 ms … ~10 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("countersign");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route template and status",
            requests.clone(),
        );
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to the response's head, by matched route template",
            latency.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "Requests being handled now",
            in_flight.clone(),
        );
        let reauth = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "reauth_outcomes",
            "Re-authentications back from the provider, by outcome (verified, tested, or the refusal's reason)",
            reauth.clone(),
        );
        let outbox_attempts = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "outbox_attempts",
            "Outbox job attempts by this replica's worker, by outcome (done, retrying, failed, manual, reclaimed)",
            outbox_attempts.clone(),
        );
        let pool_in_use = Gauge::default();
        registry.register(
            "db_pool_connections_in_use",
            "Database connections lent out",
            pool_in_use.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_connections_idle",
            "Database connections open and idle",
            pool_idle.clone(),
        );
        let pending_tasks = Gauge::default();
        registry.register(
            "approval_tasks_pending",
            "Approval tasks waiting for a decision (all replicas)",
            pending_tasks.clone(),
        );
        let outbox_jobs = Family::<StateLabels, Gauge>::default();
        registry.register(
            "outbox_jobs",
            "Outbox jobs not done, by state: queued and running (depth), failed and manual (need a person)",
            outbox_jobs.clone(),
        );
        let database_up = Gauge::default();
        registry.register(
            "database_up",
            "1 when the last scrape could read the backlog from the database",
            database_up.clone(),
        );
        Metrics {
            inner: Arc::new(Series {
                registry,
                requests,
                latency,
                in_flight,
                reauth,
                outbox_attempts,
                pool_in_use,
                pool_idle,
                pending_tasks,
                outbox_jobs,
                database_up,
            }),
        }
    }

    /// A re-authentication came back with this outcome (a closed set of words).
    pub fn reauth_outcome(&self, outcome: &'static str) {
        self.inner
            .reauth
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// One round of this replica's outbox worker.
    pub fn outbox_round(&self, report: &app::domain::outbox::RunReport) {
        for (outcome, n) in [
            ("done", report.done),
            ("retrying", report.retrying),
            ("failed", report.failed),
            ("manual", report.manual),
            ("reclaimed", report.reclaimed),
        ] {
            if n > 0 {
                self.inner
                    .outbox_attempts
                    .get_or_create(&OutcomeLabels { outcome })
                    .inc_by(n as u64);
            }
        }
    }

    /// The text exposition, with the pool and the backlog read now.
    pub async fn render(&self, db: &app::db::Db) -> String {
        let series = &self.inner;
        let pool = db.pool();
        let idle = pool.num_idle() as i64;
        series.pool_idle.set(idle);
        series.pool_in_use.set((pool.size() as i64 - idle).max(0));
        match app::db::operations::backlog(pool).await {
            Ok(backlog) => {
                series.database_up.set(1);
                series.pending_tasks.set(backlog.pending_tasks);
                for (state, n) in [
                    ("queued", backlog.outbox_queued),
                    ("running", backlog.outbox_running),
                    ("failed", backlog.outbox_failed),
                    ("manual", backlog.outbox_manual),
                ] {
                    series
                        .outbox_jobs
                        .get_or_create(&StateLabels { state })
                        .set(n);
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "metrics: cannot read the backlog");
                series.database_up.set(0);
            }
        }
        let mut text = String::new();
        if let Err(err) = encode(&mut text, &series.registry) {
            tracing::error!(error = %err, "metrics: cannot encode");
        }
        text
    }
}

/// Counts and times every request by the route template it matched. A layer
/// of the router (not of the server), so that the matched path is known.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        // Static files and unknown paths: one label, whatever the path.
        .unwrap_or_else(|| "fallback".to_owned());
    let method = method_label(request.method());
    let series = &metrics.inner;
    series.in_flight.inc();
    let started = Instant::now();
    let response = next.run(request).await;
    series.in_flight.dec();
    series
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    series
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `GET /metrics` on the public address: 404 unless a token is configured,
/// then 401 without its bearer.
pub async fn public(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if !offered.is_some_and(|offered| same_secret(offered, expected)) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
        )
            .into_response();
    }
    exposition(&state).await
}

/// `GET /metrics` on the metrics listener (`COUNTERSIGN_METRICS_ADDR`).
pub async fn private(State(state): State<AppState>) -> Response {
    exposition(&state).await
}

async fn exposition(state: &AppState) -> Response {
    let text = state.metrics.render(&state.db).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Compares digests in constant time, so neither the token's bytes nor its
/// length leak through timing.
fn same_secret(offered: &str, expected: &str) -> bool {
    let offered = Sha256::digest(offered.as_bytes());
    let expected = Sha256::digest(expected.as_bytes());
    offered.ct_eq(&expected).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(same_secret(
            "a".repeat(32).as_str(),
            "a".repeat(32).as_str()
        ));
        assert!(!same_secret(
            "a".repeat(32).as_str(),
            "b".repeat(32).as_str()
        ));
        assert!(!same_secret("", "a"));
    }
}
