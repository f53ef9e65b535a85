//! What the Directory page shows: where the identity provider connects, how
//! the directory is configured, what it holds and what it did lately.

use crate::{
    db::{Db, directory},
    domain::DomainError,
    types::{CurrentUser, DirectoryStatusView, Role},
};

use super::DirectorySettings;

/// The SCIM base URL under the public URL.
pub fn endpoint_url(public_url: &str) -> String {
    format!("{}/scim/v2", public_url.trim_end_matches('/'))
}

/// The directory's status, for administrators.
pub async fn directory_status(
    db: &Db,
    actor: &CurrentUser,
    settings: &DirectorySettings,
    public_url: &str,
) -> Result<DirectoryStatusView, DomainError> {
    if !actor.has(Role::Admin) {
        return Err(DomainError::Forbidden(
            "only administrators see the directory",
        ));
    }
    let counts = directory::counts(db.pool()).await?;
    Ok(DirectoryStatusView {
        endpoint_url: endpoint_url(public_url),
        mode: settings.mode,
        match_key: settings.match_key,
        last_success_at: directory::operations::last_success(db.pool()).await?,
        users: counts.users,
        active_users: counts.active_users,
        directory_users: counts.directory_users,
        groups: counts.groups,
        operations: directory::operations::newest(db.pool(), 100).await?,
    })
}
