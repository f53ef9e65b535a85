//! Backups as an operator takes and restores them (docs/operations.md): on
//! SQLite `countersign backup FILE` while the real server serves and decisions
//! are being written; on PostgreSQL `pg_dump` while the same happens. The copy
//! restored into a fresh database serves, and `countersign audit verify`
//! passes on it. Bad targets are refused and change nothing.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Output,
};

use app::{
    db::{Backend, Db, test_db::TestDatabase, users},
    domain::{
        audit,
        items::{self, ItemInput},
        requests::{AccessRequestInput, request_access},
    },
    types::{Approver, CurrentUser, Role},
};
use tokio::process::Command;

use crate::{
    idp::{self, Idp},
    real_server::{RealServer, free_addr},
    support::Browser,
};

/// Requests waiting for bob: more than the decisions made before, during and
/// just after the backup.
const DECISIONS: usize = 40;
/// Decisions made before the backup starts; the next ones race with it.
const BEFORE_BACKUP: usize = 6;

/// `countersign ARGS` over `database_url`, its provider `issuer` if any.
async fn countersign(database_url: &str, issuer: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_countersign"));
    command
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("COUNTERSIGN_LOG_FORMAT", "text")
        .env("RUST_LOG", "warn");
    if let Some(issuer) = issuer {
        command
            .env("OIDC_ISSUER_URL", issuer)
            .env("OIDC_CLIENT_ID", idp::CLIENT_ID)
            .env("OIDC_CLIENT_SECRET", idp::CLIENT_SECRET);
    }
    command
        .output()
        .await
        .expect("run target/debug/countersign")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A directory of the test's own in the temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("cs_backup_{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir(&dir).expect("scratch directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The PostgreSQL client tool `name` of the installed server (scripts/postgres.sh).
fn pg_tool(name: &str) -> PathBuf {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin").join(name))
        .find(|tool| tool.is_file());
    installed.unwrap_or_else(|| PathBuf::from(name))
}

/// The backup as an operator takes it while the server runs.
async fn take_backup(backend: Backend, database_url: &str, file: &Path) {
    let output = match backend {
        Backend::Sqlite => {
            let file = file.to_str().expect("a UTF-8 path");
            countersign(database_url, None, &["backup", file]).await
        }
        Backend::Postgres => Command::new(pg_tool("pg_dump"))
            .args(["--format=custom", "--file"])
            .arg(file)
            .arg(database_url)
            .output()
            .await
            .expect("run pg_dump"),
    };
    assert!(output.status.success(), "{}", text(&output));
}

/// The backup restored into the fresh database `into`.
async fn restore(backend: Backend, file: &Path, into: &TestDatabase) {
    match backend {
        Backend::Sqlite => {
            let path = into.url().strip_prefix("sqlite:").expect("a SQLite URL");
            std::fs::copy(file, path).expect("copy the backup into place");
        }
        Backend::Postgres => {
            let output = Command::new(pg_tool("pg_restore"))
                .args(["--no-owner", "--exit-on-error", "--dbname", into.url()])
                .arg(file)
                .output()
                .await
                .expect("run pg_restore");
            assert!(output.status.success(), "{}", text(&output));
        }
    }
}

async fn person(db: &Db, issuer: &str, login: &str, roles: &[Role]) -> CurrentUser {
    let row = users::find_by_identity(db, issuer, login)
        .await
        .expect("query")
        .expect("signed in once");
    CurrentUser {
        id: row.id,
        name: row.name,
        email: row.email,
        roles: [&[Role::Requester], roles].concat(),
        groups: None,
    }
}

/// `DECISIONS` items bob approves, and a request of alice's for each: their
/// tasks' ids (one pending request per item and person).
async fn tasks_for_bob(db: &Db, issuer: &str) -> Vec<String> {
    let carol = person(db, issuer, "carol", &[Role::Admin]).await;
    let bob = person(db, issuer, "bob", &[Role::Approver]).await;
    let alice = person(db, issuer, "alice", &[]).await;
    let roles = countersign::config::Config::from_vars(&Default::default())
        .expect("default configuration")
        .roles;
    let fallback = app::domain::routing::Fallback {
        admin_group: roles.admin_groups.first().cloned(),
        roles,
    };
    let steps = [Approver::User { user_id: bob.id }];
    let mut tasks = Vec::new();
    for n in 0..DECISIONS {
        let item = items::create(
            db,
            &carol,
            &ItemInput {
                kind: "application".into(),
                name: format!("Payroll {n}"),
                description: String::new(),
                owner_id: carol.id.clone(),
                requestable: true,
                enabled: true,
            },
        )
        .await
        .expect("item");
        items::set_steps(
            db,
            (&carol, "s"),
            (&item.id, item.version),
            (&steps[..], &fallback.roles),
            None,
        )
        .await
        .expect("steps");
        let input = AccessRequestInput {
            item_id: item.id.clone(),
            justification: "Payroll run".into(),
            ..Default::default()
        };
        let request = request_access(db, &alice, &input, &fallback)
            .await
            .expect("request");
        let mut of_request = app::db::tasks::of_request(db.pool(), &request)
            .await
            .expect("tasks");
        tasks.push(of_request.remove(0).id);
    }
    tasks
}

async fn audit_records(db: &Db) -> i64 {
    let report = audit::verify_chain_against(db, &[]).await.expect("walk");
    assert_eq!(report.broken, None);
    report.records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_decisions_are_written_restores_and_verifies() {
    let database = TestDatabase::create().await.expect("database");
    let addr = free_addr();
    let origin = format!("http://{addr}");
    let provider = Idp::start_with(&origin, 0, &[]).await;
    let mut server = RealServer::start(database.url(), &addr, &provider, &[]).await;
    let (carol, bob, alice) = (
        Browser::new(origin.clone()),
        Browser::new(origin.clone()),
        Browser::new(origin.clone()),
    );
    carol.sign_in("carol").await;
    bob.sign_in("bob").await;
    alice.sign_in("alice").await;
    let db = Db::connect(database.url()).await.expect("connect");
    let backend = db.backend();
    let tasks = tasks_for_bob(&db, &provider.issuer).await;

    // bob decides, through the server, before, while and once after the
    // backup is taken.
    let (started, mut decided_enough) = tokio::sync::mpsc::channel(1);
    let backup_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = tokio::spawn({
        let backup_done = backup_done.clone();
        async move {
            for (n, task) in tasks.iter().enumerate() {
                let last = backup_done.load(std::sync::atomic::Ordering::SeqCst);
                let form = [
                    ("task_ids[0]", task.as_str()),
                    ("decision", "approve"),
                    ("comment", "ok"),
                ];
                let (status, body) = bob.server_fn("/api/inbox/decide", &form).await;
                assert_eq!(status, 200, "{body}");
                if n + 1 == BEFORE_BACKUP {
                    let _ = started.send(()).await;
                }
                if last {
                    return;
                }
            }
            panic!("the backup outlasted {DECISIONS} decisions");
        }
    });
    decided_enough.recv().await.expect("the first decisions");
    let scratch = Scratch::new();
    let file = scratch.0.join("countersign.backup");
    let records_before = audit_records(&db).await;
    take_backup(backend, database.url(), &file).await;
    let records_after = audit_records(&db).await;
    backup_done.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.await.expect("every decision answered");
    let records_at_end = audit_records(&db).await;
    assert!(records_at_end > records_after);
    if backend == Backend::Sqlite {
        let mode = std::fs::metadata(&file)
            .expect("backup")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    }
    server.terminate().await;
    server.child.wait().await.expect("stopped");
    db.close().await;

    // Restored into a fresh database: the chain verifies, it holds a snapshot
    // taken between the first decisions and the last, and the server serves it.
    let restored = TestDatabase::create().await.expect("fresh database");
    restore(backend, &file, &restored).await;
    let verify = countersign(restored.url(), Some(&provider.issuer), &["audit", "verify"]).await;
    let said = text(&verify);
    assert!(verify.status.success(), "{said}");
    let records: i64 = said
        .lines()
        .find_map(|line| line.strip_prefix("audit chain OK: "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a record count in {said:?}"));
    assert!(
        (records_before..=records_after).contains(&records),
        "{records} records, taken between {records_before} and {records_after}"
    );
    let _server = RealServer::start(restored.url(), &addr, &provider, &[]).await;
    let alice = Browser::new(origin);
    alice.sign_in("alice").await;
    let page = alice.get("/requests").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("page").contains("Payroll"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_refuses_bad_targets_and_changes_nothing() {
    let scratch = Scratch::new();
    let source = scratch.0.join("countersign.db");
    let url = format!("sqlite:{}", source.display());
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    db.close().await;
    let refused = |output: &Output, says: &str| {
        let said = text(output);
        assert!(!output.status.success(), "{said}");
        assert!(said.contains(says), "{said:?} should say {says:?}");
    };

    let existing = scratch.0.join("existing.backup");
    std::fs::write(&existing, "an earlier backup").expect("write");
    let output = countersign(&url, None, &["backup", existing.to_str().expect("path")]).await;
    refused(&output, "already exists: a backup never overwrites a file");
    assert_eq!(
        std::fs::read_to_string(&existing).expect("read"),
        "an earlier backup"
    );

    let no_dir = scratch.0.join("missing").join("x.backup");
    let output = countersign(&url, None, &["backup", no_dir.to_str().expect("path")]).await;
    refused(&output, "cannot create the backup");
    let under_a_file = existing.join("x.backup");
    let output = countersign(
        &url,
        None,
        &["backup", under_a_file.to_str().expect("path")],
    )
    .await;
    refused(&output, "cannot create the backup");

    let target = scratch.0.join("new.backup");
    let target = target.to_str().expect("path");
    let output = countersign("postgres://cs@127.0.0.1:1/cs", None, &["backup", target]).await;
    refused(&output, "back up PostgreSQL with pg_dump");
    let missing = format!("sqlite:{}", scratch.0.join("typo.db").display());
    let output = countersign(&missing, None, &["backup", target]).await;
    refused(&output, "there is no SQLite database at");
    assert!(!scratch.0.join("typo.db").exists(), "no database created");
    assert!(!Path::new(target).exists(), "no backup left behind");
    let mut left: Vec<_> = std::fs::read_dir(&scratch.0)
        .expect("list")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        // The source's own write-ahead log files come and go with it.
        .filter(|name| !name.starts_with("countersign.db-"))
        .collect();
    left.sort();
    assert_eq!(left, ["countersign.db", "existing.backup"]);
}
