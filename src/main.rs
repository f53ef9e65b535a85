use std::process::ExitCode;

use clap::{Parser, Subcommand};
use countersign::{Countersign, config::Config, telemetry};

/// Countersign: access requests and approvals, e-signed by re-authentication at
/// your OpenID Connect provider. Configured by environment variables (see README).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve the web app and API (the default).
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Copy the SQLite database to the new FILE while the server runs (online,
    /// consistent; mode 0600). PostgreSQL: use pg_dump or PITR (docs/operations.md).
    Backup {
        /// Where to write the copy; refused if it exists.
        file: std::path::PathBuf,
    },
    /// The audit trail: verify its hash chain and evidence, print its head, or export it.
    Audit {
        #[command(subcommand)]
        command: countersign::audit_cli::AuditCommand,
    },
    /// Provisioning through the outbox: failed, retrying and manual jobs.
    Provisioning {
        #[command(subcommand)]
        command: countersign::provisioning_cli::ProvisioningCommand,
    },
    /// Fill the database with the demo organisation's people and access items
    /// (idempotent; for `make run`, never for production).
    DemoSeed {
        /// The issuer the demo users sign in from.
        #[arg(long, default_value = "http://127.0.0.1:3001")]
        issuer: String,
    },
    /// Fill a scratch database with many items and audit records and time the
    /// catalog's and the audit trail's queries (scripts/bench.sh).
    #[command(hide = true)]
    Bench {
        #[arg(long, default_value_t = 100_000)]
        items: i64,
        #[arg(long, default_value_t = 1_000_000)]
        records: i64,
        /// People in the directory the people pickers search.
        #[arg(long, default_value_t = 10_000)]
        people: i64,
    },
    /// Provisioning through the outbox to a webhook receiver on loopback: jobs
    /// per second with 1 and 2 workers, and approval-to-delivery latency
    /// (scripts/bench.sh).
    #[command(hide = true)]
    BenchOutbox {
        #[arg(long, default_value_t = 2_000)]
        jobs: usize,
        #[arg(long, default_value_t = 200)]
        samples: usize,
        #[arg(long, default_value_t = 1_000)]
        interval_ms: u64,
    },
    /// Push people and groups to a SCIM service the way an identity provider's
    /// initial sync does, one request at a time, and time it (scripts/bench.sh).
    #[command(hide = true)]
    BenchDirectory {
        /// The SCIM base URL, e.g. http://127.0.0.1:3000/scim/v2.
        #[arg(long)]
        url: String,
        /// The directory token.
        #[arg(long, env = "BENCH_SCIM_TOKEN", hide_env_values = true)]
        token: String,
        #[arg(long, default_value_t = 10_000)]
        users: usize,
        #[arg(long, default_value_t = 1_000)]
        groups: usize,
    },
    /// Print a directory token made in an empty scratch database, for
    /// `bench-directory` (refuses a database with anybody in it).
    #[command(hide = true)]
    BenchDirectoryToken,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("countersign: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(config).await,
        Command::Backup { file } => {
            return backup(&config.database_url, &file).await;
        }
        Command::Audit { command } => {
            return countersign::audit_cli::run(config, command).await;
        }
        Command::Provisioning { command } => {
            return countersign::provisioning_cli::run(config, command).await;
        }
        Command::DemoSeed { issuer } => countersign::demo::seed(config, &issuer).await,
        Command::BenchDirectory {
            url,
            token,
            users,
            groups,
        } => {
            return match countersign::bench_directory::run(&url, &token, users, groups).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("countersign bench-directory: {err}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::BenchDirectoryToken => {
            return match countersign::bench_directory::seed_token(&config.database_url).await {
                Ok(token) => {
                    println!("{token}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("countersign bench-directory-token: {err}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::BenchOutbox {
            jobs,
            samples,
            interval_ms,
        } => {
            return match countersign::bench_outbox::run(
                &config.database_url,
                jobs,
                samples,
                interval_ms.max(1),
            )
            .await
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("countersign bench-outbox: {err}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Bench {
            items,
            records,
            people,
        } => countersign::bench::run(&config.database_url, (items, records), people)
            .await
            .map_err(countersign::StartError::from),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "countersign stopped");
            eprintln!("countersign: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), countersign::StartError> {
    let app = Countersign::build(config).await?;
    let addr = app.config.addr;
    // Said once it listens, so whoever waits for the line can connect at once.
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| countersign::StartError::Bind { addr, source })?;
    tracing::info!(
        addr = %app.config.addr,
        public_url = %app.config.public_url,
        database = ?app.state.db.backend(),
        "Countersign listening"
    );
    println!("Countersign is running at {}", app.config.public_url);
    app.serve_on(listener).await?;
    println!("Countersign stopped");
    Ok(())
}

async fn migrate(config: Config) -> Result<(), countersign::StartError> {
    let db = app::db::Db::connect(&config.database_url).await?;
    db.migrate().await?;
    println!("database is up to date");
    Ok(())
}

async fn backup(database_url: &str, file: &std::path::Path) -> ExitCode {
    match countersign::backup::run(database_url, file).await {
        Ok(done) => {
            println!(
                "backup written to {} ({} bytes)",
                file.display(),
                done.bytes
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("countersign backup: {err}");
            ExitCode::FAILURE
        }
    }
}
