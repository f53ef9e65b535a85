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
    tracing::info!(
        addr = %app.config.addr,
        public_url = %app.config.public_url,
        database = ?app.state.db.backend(),
        "Countersign listening"
    );
    println!("Countersign is running at {}", app.config.public_url);
    app.serve().await
}

async fn migrate(config: Config) -> Result<(), countersign::StartError> {
    let db = app::db::Db::connect(&config.database_url).await?;
    db.migrate().await?;
    println!("database is up to date");
    Ok(())
}
