//! Provisioning: an item's Provisioning tab, the administrators' Provisioning
//! page, and the fulfilment tasks of a person's inbox.

use leptos::prelude::*;

use crate::types::{AppError, JobState, JobView, Page, ProvisioningView};

#[cfg(feature = "ssr")]
fn input(
    connector: String,
    url: String,
    secret: String,
    fulfillers_group: String,
) -> crate::domain::provisioning::target::TargetInput {
    crate::domain::provisioning::target::TargetInput {
        connector,
        url,
        secret,
        fulfillers_group,
    }
}

#[server(endpoint = "provisioning/target")]
pub async fn provisioning_target(item_id: String) -> Result<ProvisioningView, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::provisioning::target::view(&s.db, &s.provisioning, &user, &item_id).await?)
}

/// Saves the Provisioning tab. `secret` is write-only: empty keeps the stored one.
#[server(endpoint = "provisioning/save")]
pub async fn save_provisioning(
    id: String,
    version: i64,
    connector: String,
    #[server(default)] url: String,
    #[server(default)] secret: String,
    #[server(default)] fulfillers_group: String,
) -> Result<ProvisioningView, AppError> {
    use crate::domain::provisioning::target;
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let change = target::check(
        &s.provisioning,
        &id,
        &input(connector, url, secret, fulfillers_group),
    )?;
    Ok(target::save(
        &s.db,
        &s.provisioning,
        (&user, &key),
        (&id, version),
        &change,
        None,
    )
    .await?)
}

/// "Test connection": a signed test event to the URL, before saving.
#[server(endpoint = "provisioning/test")]
pub async fn test_provisioning(
    id: String,
    connector: String,
    #[server(default)] url: String,
    #[server(default)] secret: String,
) -> Result<String, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::provisioning::target::test_connection(
        &s.db,
        &s.provisioning,
        &user,
        &id,
        &input(connector, url, secret, String::new()),
    )
    .await?)
}

/// The Provisioning page: jobs in `state`, newest first.
#[server(endpoint = "provisioning/jobs")]
pub async fn provisioning_jobs(
    state: JobState,
    after: Option<String>,
) -> Result<Page<JobView>, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(
        crate::domain::provisioning::status::list(&s.db, &user, state, after.as_deref(), 25)
            .await?,
    )
}

#[server(endpoint = "provisioning/retry")]
pub async fn retry_job(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::provisioning::status::retry(&s.db, &user, &id).await?)
}

/// "Mark as done", with what the person did.
#[server(endpoint = "provisioning/done")]
pub async fn mark_job_done(id: String, note: String) -> Result<JobView, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::provisioning::status::mark_done(&s.db, &user, &id, &note).await?)
}

/// The fulfilment tasks waiting for the signed-in person.
#[server(endpoint = "provisioning/waiting")]
pub async fn fulfilment_tasks() -> Result<Vec<JobView>, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::provisioning::status::waiting_for(&s.db, &user).await?)
}
