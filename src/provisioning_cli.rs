//! `countersign provisioning status`: what the Provisioning page shows, for the
//! operator's terminal. It exits 1 when a job has failed, so a monitor can run it.

use std::process::ExitCode;

use app::{db::Db, domain::provisioning::status, types::JobState};

use crate::config::Config;

#[derive(clap::Subcommand)]
pub enum ProvisioningCommand {
    /// How many jobs are in each state, then the newest failed, retrying,
    /// running and manual ones. Exits 1 when any job has failed.
    Status {
        /// How many jobs of each state to list.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

pub async fn run(config: Config, command: ProvisioningCommand) -> ExitCode {
    let ProvisioningCommand::Status { limit } = command;
    let db = match Db::connect(&config.database_url).await {
        Ok(db) => db,
        Err(err) => {
            eprintln!("countersign: {err}");
            return ExitCode::FAILURE;
        }
    };
    let report = match status::report(&db, limit.clamp(1, status::PAGE_MAX)).await {
        Ok(report) => report,
        Err(err) => {
            eprintln!("countersign: {err}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", render(&report));
    let failed = report
        .counts
        .iter()
        .any(|(state, n)| *state == JobState::Failed && *n > 0);
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The report as text: one line of counts, then one line per job.
pub fn render(report: &status::StatusReport) -> String {
    let mut out = String::from("jobs:");
    for state in JobState::ALL {
        let n = report
            .counts
            .iter()
            .find(|(s, _)| *s == state)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        out.push_str(&format!(" {}={n}", state.as_str()));
    }
    out.push('\n');
    if report.attention.is_empty() {
        out.push_str("nothing failed, retrying or waiting for a person\n");
    }
    for job in &report.attention {
        out.push_str(&format!(
            "{}  {:<7} {:<6} {:<24} {:<24} {}\n",
            job.id,
            job.state.as_str(),
            job.operation.as_str(),
            job.item_name.as_deref().unwrap_or("-"),
            job.person_name.as_deref().unwrap_or("-"),
            job.describe(),
        ));
    }
    out
}
