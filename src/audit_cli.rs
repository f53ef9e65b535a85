//! `countersign audit verify` and `countersign audit export`.
//!
//! Verify walks the hash chain (`app::domain::audit::verify_chain`) and re-checks
//! every e-signature: the stored ID token's RS256 signature against the key
//! stored with it at signing time, and against the provider's current keys (JWKS)
//! when the provider is reachable.

use std::process::ExitCode;

use app::{
    db::{Db, audit as store},
    domain::audit::verify_chain,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::config::Config;

pub async fn run(config: Config, verify: bool) -> ExitCode {
    let db = match Db::connect(&config.database_url).await {
        Ok(db) => db,
        Err(err) => {
            eprintln!("countersign: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = if verify {
        verify_all(&db, &config).await
    } else {
        export(&db).await
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("countersign: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn export(db: &Db) -> Result<ExitCode, app::db::DbError> {
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

async fn verify_all(db: &Db, config: &Config) -> Result<ExitCode, app::db::DbError> {
    let report = verify_chain(db).await?;
    if let Some((seq, why)) = &report.broken {
        println!("audit chain BROKEN at record {seq}: {why}");
        return Ok(ExitCode::FAILURE);
    }
    println!("audit chain OK: {} records", report.records);
    let keys = match &config.oidc {
        Some(oidc) => fetch_jwks(oidc.issuer_url.as_str()).await,
        None => None,
    };
    let mut signatures = 0;
    let mut after = 0;
    loop {
        let page = store::chain_after(db.pool(), after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for record in &page {
            let Some(token) = record.details["e_signature"]["id_token"].as_str() else {
                continue;
            };
            signatures += 1;
            if let Some(keys) = &keys
                && let Err(why) = check_signature(token, keys)
            {
                println!("e-signature of record {} FAILS: {why}", record.seq);
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    match keys {
        Some(_) => {
            println!("e-signatures OK: {signatures} ID tokens verified against the provider's keys")
        }
        None => println!(
            "e-signatures: {signatures} stored; provider keys not reachable, signatures not re-checked"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn fetch_jwks(issuer: &str) -> Option<serde_json::Value> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
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
        .json()
        .await
        .ok()?;
    let jwks_uri = discovery["jwks_uri"].as_str()?;
    client.get(jwks_uri).send().await.ok()?.json().await.ok()
}

/// Checks an RS256 ID token's signature against the key of its `kid` in `jwks`.
pub fn check_signature(token: &str, jwks: &serde_json::Value) -> Result<(), String> {
    use openidconnect::{
        JsonWebKey, SignatureVerificationError,
        core::{CoreJsonWebKey, CoreJwsSigningAlgorithm},
    };
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("not a JWT".into());
    };
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("unreadable header")?;
    if header["alg"] != "RS256" {
        return Err(format!("unexpected algorithm {}", header["alg"]));
    }
    let kid = header["kid"].as_str().ok_or("no kid")?;
    let key_json = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .ok_or_else(|| format!("the provider no longer publishes key {kid}"))?;
    let key: CoreJsonWebKey =
        serde_json::from_value(key_json.clone()).map_err(|e| format!("key {kid}: {e}"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "signature is not base64url")?;
    let message = format!("{}.{payload}", token.split('.').next().unwrap_or_default());
    key.verify_signature(
        &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        message.as_bytes(),
        &signature,
    )
    .map_err(|e: SignatureVerificationError| format!("signature does not verify: {e}"))
}
