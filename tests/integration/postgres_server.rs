//! A PostgreSQL server of the test's own (Debian's binaries, as
//! `scripts/postgres.sh` finds them), in a temp directory on a loopback port,
//! so a test can kill it with SIGKILL and start it again without touching the
//! server the rest of the suite shares.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use tokio::process::{Child, Command};

use crate::real_server::free_addr;

pub struct PostgresServer {
    /// `postgres://countersign@127.0.0.1:port/postgres`
    pub url: String,
    dir: PathBuf,
    port: String,
    bin: PathBuf,
    child: Option<Child>,
}

/// PostgreSQL's bin directory, or a failure that says how to get it.
fn bin_dir() -> PathBuf {
    let found = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .find(|bin| bin.join("postgres").is_file());
    found.unwrap_or_else(|| panic!("PostgreSQL is not installed: run scripts/setup.sh"))
}

fn as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// PostgreSQL refuses to run as root: as root, its tools run as `postgres`.
fn command(program: &Path) -> Command {
    if as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl PostgresServer {
    pub async fn start() -> PostgresServer {
        let bin = bin_dir();
        let dir = std::env::temp_dir().join(format!(
            "countersign-pg-crash-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        if as_root() {
            let status = std::process::Command::new("chown")
                .arg("postgres")
                .arg(&dir)
                .status()
                .expect("chown");
            assert!(status.success());
        }
        let initdb = command(&bin.join("initdb"))
            .arg("-D")
            .arg(dir.join("data"))
            .args([
                "-U",
                "countersign",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .expect("run initdb");
        assert!(initdb.success(), "initdb failed");
        let addr = free_addr();
        let port = addr.rsplit(':').next().expect("port").to_owned();
        let mut server = PostgresServer {
            url: format!("postgres://countersign@127.0.0.1:{port}/postgres"),
            dir,
            port,
            bin,
            child: None,
        };
        server.run().await;
        server
    }

    /// Starts the postmaster (after a crash: it recovers from its WAL first)
    /// and waits until it takes connections.
    pub async fn run(&mut self) {
        let child = command(&self.bin.join("postgres"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-h", "127.0.0.1", "-p", &self.port, "-k"])
            .arg(&self.dir)
            .args(["-c", "max_connections=100"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let up = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                use sqlx::Connection as _;
                if let Ok(conn) = sqlx::PgConnection::connect(&self.url).await {
                    let _ = conn.close().await;
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        assert!(up.is_ok(), "PostgreSQL did not start in {:?}", self.dir);
    }

    /// The postmaster's pid, from its lock file.
    fn postmaster(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// `kill -9` of the postmaster and every process it started, by their
    /// ids: the server stops dead, mid-transaction, with nothing written out.
    pub async fn kill_9(&mut self) {
        let postmaster = self.postmaster().expect("postmaster.pid");
        let children = std::process::Command::new("ps")
            .args(["-o", "pid=", "--ppid", &postmaster.to_string()])
            .output()
            .expect("ps");
        let mut pids = vec![postmaster.to_string()];
        pids.extend(
            String::from_utf8_lossy(&children.stdout)
                .split_whitespace()
                .map(str::to_owned),
        );
        let _ = std::process::Command::new("kill")
            .arg("-KILL")
            .args(&pids)
            .status();
        if let Some(mut child) = self.child.take() {
            let _ = child.wait().await;
        }
        // Gone when connecting is refused.
        let gone = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                use sqlx::Connection as _;
                if sqlx::PgConnection::connect(&self.url).await.is_err() {
                    return;
                }
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert!(gone.is_ok(), "PostgreSQL still answers after kill -9");
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        if let Some(pid) = self.postmaster() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
