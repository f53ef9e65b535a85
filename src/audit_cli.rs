//! `countersign audit verify|head|export`.
//!
//! Verify walks the hash chain (`app::domain::audit::verify_chain_against`), checks
//! it still holds the heads anchored outside the database (`--expect-head`), and
//! re-checks every e-signature's evidence (`evidence.rs`). It exits non-zero when
//! anything does not hold, or when a signature could not be checked at all, unless
//! `--offline` accepts the latter.

mod evidence;

use std::process::ExitCode;

use app::{
    db::{Db, DbError, audit as store},
    domain::audit::{self, Anchor},
};

use crate::config::Config;
pub use evidence::check_signature;
use evidence::{Checked, PublishedKeys, check_e_signature};

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Walk the chain, recompute every hash, re-check every e-signature's ID token
    /// (signature and claims); exit non-zero naming the first broken record, or when
    /// a signature cannot be checked.
    Verify {
        /// Do not ask the provider for its keys: check signatures with the keys
        /// stored with them only, and count (not fail) those that have none.
        #[arg(long)]
        offline: bool,
        /// A head printed earlier by `countersign audit head` (`SEQ:HASH`): fail
        /// unless the chain still holds that record with that hash. Repeatable.
        #[arg(long = "expect-head", value_name = "SEQ:HASH")]
        expect_head: Vec<Anchor>,
    },
    /// Print the chain's head as `SEQ:HASH`, to keep outside the database
    /// (docs/operations.md).
    Head,
    /// Write the whole trail to stdout as JSON lines.
    Export,
}

pub async fn run(config: Config, command: AuditCommand) -> ExitCode {
    let db = match Db::connect(&config.database_url).await {
        Ok(db) => db,
        Err(err) => {
            eprintln!("countersign: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match command {
        AuditCommand::Verify {
            offline,
            expect_head,
        } => verify(&db, &config, offline, &expect_head).await,
        AuditCommand::Head => audit::head(&db).await.map(|head| {
            println!("{head}");
            ExitCode::SUCCESS
        }),
        AuditCommand::Export => export(&db).await,
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("countersign: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn export(db: &Db) -> Result<ExitCode, DbError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let mut after = 0;
    loop {
        let page = store::chain_after(db.pool(), after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for record in &page {
            let line = serde_json::to_string(record).unwrap_or_default();
            if writeln!(out, "{line}").is_err() {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn verify(
    db: &Db,
    config: &Config,
    offline: bool,
    anchors: &[Anchor],
) -> Result<ExitCode, DbError> {
    let report = audit::verify_chain_against(db, anchors).await?;
    if let Some((seq, why)) = &report.broken {
        println!("audit chain BROKEN at record {seq}: {why}");
        return Ok(ExitCode::FAILURE);
    }
    println!("audit chain OK: {} records", report.records);
    for anchor in anchors {
        println!("anchored head {anchor} is in the chain");
    }
    let published = match (&config.oidc, offline) {
        (_, true) => PublishedKeys::Offline,
        (None, false) => PublishedKeys::Unreachable,
        (Some(oidc), false) => match fetch_jwks(oidc.issuer_url.as_str()).await {
            Some(jwks) => PublishedKeys::Keys(jwks),
            None => PublishedKeys::Unreachable,
        },
    };
    let (mut verified, mut not_checked) = (0, 0);
    let mut after = 0;
    loop {
        let page = store::chain_after(db.pool(), after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for record in &page {
            let signature = &record.details["e_signature"];
            if signature["id_token"].is_null() {
                continue;
            }
            match check_e_signature(signature, &published) {
                Ok(Checked::Verified) => verified += 1,
                Ok(Checked::NotChecked(why)) => {
                    not_checked += 1;
                    println!("e-signature of record {} NOT CHECKED: {why}", record.seq);
                }
                Err(why) => {
                    println!("e-signature of record {} FAILS: {why}", record.seq);
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    println!("e-signatures OK: {verified} verified, {not_checked} not checked");
    if not_checked > 0 && !offline {
        println!(
            "{not_checked} e-signatures could not be checked: make the provider reachable, \
             or accept that with --offline"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The provider's published keys (JWKS), by discovery; `None` when unreachable.
pub async fn fetch_jwks(issuer: &str) -> Option<serde_json::Value> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()?;
    let discovery: serde_json::Value = client
        .get(format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ))
        .send()
        .await
        .ok()?
        .error_for_status()
        .ok()?
        .json()
        .await
        .ok()?;
    let jwks_uri = discovery["jwks_uri"].as_str()?;
    client
        .get(jwks_uri)
        .send()
        .await
        .ok()?
        .error_for_status()
        .ok()?
        .json()
        .await
        .ok()
}
