//! How many SQL statements one request runs. sqlx logs each statement (target
//! `sqlx::query`, level debug) inside the span of the request that caused it —
//! a page's resources too, since the app spawns them in that span
//! (`countersign::telemetry::spawn_tasks_in_request_span`) — so a layer of the
//! tests' one subscriber (`server_logs.rs`) counts them per `request` span and,
//! when the span closes, hands the list to the test whose runtime received the
//! request. Background jobs run outside any request and are never counted.

use std::{
    collections::HashMap,
    fmt,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use tokio::{
    runtime::{Handle, Id},
    sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel},
};
use tracing::{
    Subscriber,
    field::{Field, Visit},
    span,
};
use tracing_subscriber::{Layer, layer::Context, registry::LookupSpan};

/// One request as it ended: its path and the statements it ran, in order.
#[derive(Debug)]
pub struct Counted {
    pub path: String,
    pub statements: Vec<String>,
}

/// Statements that are upkeep, not the page's work: a new pooled
/// connection's set-up (`PRAGMA …` on SQLite, `SET …`) and the session
/// store's periodic touch. Whether they fall in a given request depends on
/// the pool and the clock, not on the page.
fn upkeep(statement: &str) -> bool {
    let s = statement.trim_start().to_ascii_uppercase();
    s.starts_with("PRAGMA ") || s.starts_with("SET ") || s.starts_with("INSERT INTO SESSIONS ")
}

impl Counted {
    /// The page's own statements (upkeep left out; the listing shows all).
    pub fn count(&self) -> usize {
        self.statements.iter().filter(|s| !upkeep(s)).count()
    }

    /// How many statements start like `prefix` (e.g. `"SELECT … FROM users"`).
    pub fn matching(&self, needle: &str) -> usize {
        self.statements
            .iter()
            .filter(|s| s.contains(needle))
            .count()
    }
}

impl fmt::Display for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} statements for {}:", self.count(), self.path)?;
        for statement in &self.statements {
            writeln!(f, "  {statement}")?;
        }
        Ok(())
    }
}

/// Where the requests received by each test's runtime are reported.
static WATCHERS: Mutex<Option<HashMap<Id, UnboundedSender<Counted>>>> = Mutex::new(None);

/// The statements of the requests this test's app receives from now on.
pub struct Statements {
    runtime: Id,
    counted: UnboundedReceiver<Counted>,
}

impl Statements {
    pub fn watch() -> Statements {
        crate::server_logs::install_subscriber();
        let runtime = Handle::current().id();
        let (tx, counted) = unbounded_channel();
        WATCHERS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(HashMap::new)
            .insert(runtime, tx);
        Statements { runtime, counted }
    }

    /// The next request to `path` once it has ended (others are passed over).
    pub async fn of_next(&mut self, path: &str) -> Counted {
        let wait = async {
            loop {
                let counted = self.counted.recv().await.expect("the counter is installed");
                if counted.path == path {
                    return counted;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("no request to {path} ended"))
    }
}

impl Drop for Statements {
    fn drop(&mut self) {
        if let Some(watchers) = WATCHERS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            watchers.remove(&self.runtime);
        }
    }
}

/// The count kept in a request span's extensions.
struct InRequest {
    runtime: Option<Id>,
    path: String,
    statements: Mutex<Vec<String>>,
}

/// The layer: counts `sqlx::query` events under `request` spans.
pub struct StatementCounter;

impl StatementCounter {
    /// What this layer needs to see: the requests' spans and sqlx's statements.
    pub fn wants(metadata: &tracing::Metadata<'_>) -> bool {
        (metadata.is_span() && metadata.name() == "request")
            || (metadata.is_event() && metadata.target() == "sqlx::query")
    }
}

impl<S> Layer<S> for StatementCounter
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "request" {
            return;
        }
        let mut path = FieldText("path", String::new());
        attrs.record(&mut path);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(InRequest {
                runtime: Handle::try_current().ok().map(|h| h.id()),
                path: path.1,
                statements: Mutex::new(Vec::new()),
            });
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let Some(scope) = ctx.event_scope(event) else {
            return;
        };
        for span in scope {
            if let Some(request) = span.extensions().get::<InRequest>() {
                let mut statement = FieldText("db.statement", String::new());
                event.record(&mut statement);
                let mut summary = FieldText("summary", String::new());
                event.record(&mut summary);
                let text = if statement.1.trim().is_empty() {
                    summary.1
                } else {
                    statement.1.split_whitespace().collect::<Vec<_>>().join(" ")
                };
                request
                    .statements
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(text);
                return;
            }
        }
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let Some(request) = span.extensions_mut().remove::<InRequest>() else {
            return;
        };
        let Some(runtime) = request.runtime else {
            return;
        };
        let watchers = WATCHERS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tx) = watchers.as_ref().and_then(|w| w.get(&runtime)) {
            let _ = tx.send(Counted {
                path: request.path,
                statements: request
                    .statements
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner),
            });
        }
    }
}

/// Reads one field of a span or event as text.
struct FieldText(&'static str, String);

impl Visit for FieldText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == self.0 {
            self.1 = value.to_owned();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == self.0 {
            self.1 = format!("{value:?}");
        }
    }
}
