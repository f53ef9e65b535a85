//! The app's logs, kept per test and printed only when that test fails.
//!
//! `tracing` allows one subscriber per process (a thread-local default would miss
//! the app's worker threads), so one is installed on first use and each line goes
//! to the test whose runtime wrote it: every `#[tokio::test]` has a runtime of its
//! own, and the app a test starts is spawned on it.

use std::{
    collections::HashMap,
    io,
    sync::{Arc, Mutex, Once, PoisonError, Weak},
};

use tokio::runtime::{Handle, Id};
use tracing_subscriber::{EnvFilter, filter::filter_fn, fmt::MakeWriter, prelude::*};

use crate::statements::StatementCounter;

type Buffer = Arc<Mutex<Vec<u8>>>;

/// The log of the test running on each runtime, while that test keeps it.
type ByRuntime = HashMap<Id, Weak<Mutex<Vec<u8>>>>;

static BY_RUNTIME: Mutex<Option<ByRuntime>> = Mutex::new(None);

/// What the current test's app has logged; printed on drop if the test panics.
pub struct ServerLogs {
    buffer: Buffer,
}

impl ServerLogs {
    /// Starts keeping what this runtime logs (shared by the apps of one test).
    pub fn capture() -> ServerLogs {
        install_subscriber();
        let runtime = Handle::current().id();
        let mut guard = BY_RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
        let by_runtime = guard.get_or_insert_with(HashMap::new);
        by_runtime.retain(|_, buffer| buffer.strong_count() > 0);
        let buffer = match by_runtime.get(&runtime).and_then(Weak::upgrade) {
            Some(buffer) => buffer,
            None => {
                let buffer = Buffer::default();
                by_runtime.insert(runtime, Arc::downgrade(&buffer));
                buffer
            }
        };
        ServerLogs { buffer }
    }
}

impl ServerLogs {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }
}

impl Drop for ServerLogs {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        // Taken, so that a second app in the same test does not print it again.
        let logged =
            std::mem::take(&mut *self.buffer.lock().unwrap_or_else(PoisonError::into_inner));
        if !logged.is_empty() {
            eprintln!(
                "---- server logs of the failed test ----\n{}---- end of server logs ----",
                String::from_utf8_lossy(&logged)
            );
        }
    }
}

/// The one subscriber: the logs (filtered as `RUST_LOG` says) and, beside them,
/// the statement counter (`statements.rs`), which sees sqlx's debug events
/// whatever the logs show.
pub fn install_subscriber() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let filter = EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
        let logs = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(ToTheTestsLog)
            .with_filter(filter);
        let statements = StatementCounter.with_filter(filter_fn(StatementCounter::wants));
        let _ = tracing_subscriber::registry()
            .with(logs)
            .with(statements)
            .try_init();
    });
}

/// Hands each log line the buffer of the test whose runtime is writing it; lines
/// from outside any test's runtime are dropped.
struct ToTheTestsLog;

impl<'a> MakeWriter<'a> for ToTheTestsLog {
    type Writer = TestLogWriter;

    fn make_writer(&'a self) -> TestLogWriter {
        let buffer = Handle::try_current().ok().and_then(|runtime| {
            let guard = BY_RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
            guard.as_ref()?.get(&runtime.id()).and_then(Weak::upgrade)
        });
        TestLogWriter(buffer)
    }
}

struct TestLogWriter(Option<Buffer>);

impl io::Write for TestLogWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if let Some(buffer) = &self.0 {
            buffer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
