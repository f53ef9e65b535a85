//! The audit trail, for admins and auditors.

use leptos::prelude::*;

use crate::types::{AppError, AuditRecord, Page};

#[server(endpoint = "audit/list")]
pub async fn audit_list(
    action: String,
    item_id: String,
    request_id: String,
    actor_id: String,
    from: String,
    until: String,
    before: Option<i64>,
) -> Result<Page<AuditRecord>, AppError> {
    use crate::domain::audit::{self, FilterForm};
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    let filter = FilterForm {
        action,
        item_id,
        request_id,
        actor_id,
        from,
        until,
    };
    Ok(audit::list(&s.db, &user, filter, before, 50).await?)
}

#[server(endpoint = "audit/get")]
pub async fn get_audit_record(seq: i64) -> Result<AuditRecord, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::audit::get(&s.db, &user, seq).await?)
}
