//! Provisioning: an item's Provisioning tab, the administrators' Provisioning
//! page, and the fulfilment tasks of a person's inbox.

use leptos::prelude::*;

use crate::types::{AppError, JobState, JobView, Page, ProvisioningView};

/// The Provisioning tab's fields, as its form sends them (flat, so the form
/// also works before the WebAssembly has loaded). Credentials are write-only:
/// empty keeps the stored one.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TargetForm {
    pub connector: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub secret: String,
    #[serde(default)]
    pub fulfillers_group: String,
    #[serde(default)]
    pub ldap_url: String,
    #[serde(default)]
    pub ldap_bind_dn: String,
    #[serde(default)]
    pub ldap_password: String,
    #[serde(default)]
    pub ldap_group_dn: String,
    #[serde(default)]
    pub ldap_member_attribute: String,
    #[serde(default)]
    pub ldap_user_base: String,
    #[serde(default)]
    pub ldap_user_filter: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub ldap_read_member_of: Option<String>,
    #[serde(default)]
    pub ldap_allow_plain_loopback: Option<String>,
    #[serde(default)]
    pub ldap_ca_pem: String,
    #[serde(default)]
    pub scim_base_url: String,
    #[serde(default)]
    pub scim_auth: String,
    #[serde(default)]
    pub scim_secret: String,
    #[serde(default)]
    pub scim_token_url: String,
    #[serde(default)]
    pub scim_client_id: String,
    #[serde(default)]
    pub scim_scope: String,
    #[serde(default)]
    pub scim_group: String,
    #[serde(default)]
    pub scim_group_by: String,
    #[serde(default)]
    pub scim_user_name: String,
}

#[cfg(feature = "ssr")]
fn ticked(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "false")
}

#[cfg(feature = "ssr")]
impl From<TargetForm> for crate::domain::provisioning::target::TargetInput {
    fn from(form: TargetForm) -> Self {
        use crate::domain::provisioning::{
            ldap::settings::LdapInput, scim_client::settings::ScimInput,
        };
        Self {
            ldap: LdapInput {
                url: form.ldap_url,
                bind_dn: form.ldap_bind_dn,
                password: form.ldap_password,
                group_dn: form.ldap_group_dn,
                member_attribute: form.ldap_member_attribute,
                user_base: form.ldap_user_base,
                user_filter: form.ldap_user_filter,
                read_member_of: ticked(&form.ldap_read_member_of),
                allow_plain_loopback: ticked(&form.ldap_allow_plain_loopback),
                ca_pem: form.ldap_ca_pem,
            },
            scim: ScimInput {
                base_url: form.scim_base_url,
                auth: form.scim_auth,
                secret: form.scim_secret,
                token_url: form.scim_token_url,
                client_id: form.scim_client_id,
                scope: form.scim_scope,
                group: form.scim_group,
                group_by: form.scim_group_by,
                user_name: form.scim_user_name,
            },
            connector: form.connector,
            url: form.url,
            secret: form.secret,
            fulfillers_group: form.fulfillers_group,
        }
    }
}

#[server(endpoint = "provisioning/target")]
pub async fn provisioning_target(item_id: String) -> Result<ProvisioningView, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::provisioning::target::view(&s.db, &s.provisioning, &user, &item_id).await?)
}

/// Saves the Provisioning tab. Credentials are write-only: empty keeps the
/// stored one (while the target still points where it did).
#[server(endpoint = "provisioning/save")]
pub async fn save_provisioning(
    id: String,
    version: i64,
    #[server(flatten)] target: TargetForm,
) -> Result<ProvisioningView, AppError> {
    use crate::domain::provisioning::target;
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let change = target::check(&s.provisioning, &id, &target.into())?;
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

/// "Test connection": proves the target, its credential and its group, before
/// saving.
#[server(endpoint = "provisioning/test")]
pub async fn test_provisioning(
    id: String,
    #[server(flatten)] target: TargetForm,
) -> Result<String, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::provisioning::target::test_connection(
        &s.db,
        &s.provisioning,
        &user,
        &id,
        &target.into(),
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

/// The Provisioning tab's "People with this access": one page, newest grant
/// first (administrators only).
#[server(endpoint = "provisioning/holders")]
pub async fn item_holders(
    item_id: String,
    after: Option<String>,
) -> Result<Page<crate::types::Holder>, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::assignments::holders(&s.db, &user, &item_id, after.as_deref(), 50).await?)
}

/// "Revoke": an administrator takes a person's access to an item away (the
/// Provisioning tab's holders, the Directory page's "Access to remove"); the
/// target is told through provisioning.
#[server(endpoint = "provisioning/revoke")]
pub async fn revoke_access(user_id: String, item_id: String) -> Result<(), AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::assignments::revoke(&s.db, &user, (&user_id, &item_id)).await?)
}
