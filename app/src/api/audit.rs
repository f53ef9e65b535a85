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
    use crate::types::parse_date;
    use crate::{db::audit::AuditFilter, types::Role};
    crate::auth::require_role(&[Role::Admin, Role::Auditor])?;
    let s = crate::services::current()?;
    let some = |v: String| {
        let v = v.trim().to_owned();
        (!v.is_empty()).then_some(v)
    };
    let day = |field: &str, value: String| -> Result<Option<i64>, AppError> {
        match value.trim() {
            "" => Ok(None),
            v => parse_date(v).map(Some).ok_or_else(|| AppError::Field {
                field: field.to_owned(),
                message: "use the form YYYY-MM-DD".into(),
            }),
        }
    };
    let filter = AuditFilter {
        action: some(action),
        item_id: some(item_id),
        request_id: some(request_id),
        actor_id: some(actor_id),
        from: day("from", from)?,
        // "until" includes that whole day.
        until: day("until", until)?.map(|d| d + 86_400),
    };
    let limit = 50;
    let rows = crate::db::audit::list(s.db.pool(), &filter, before, limit + 1)
        .await
        .map_err(crate::domain::DomainError::from)?;
    Ok(Page::from_overfetch(rows, limit, |r| r.seq.to_string()))
}

#[server(endpoint = "audit/get")]
pub async fn get_audit_record(seq: i64) -> Result<AuditRecord, AppError> {
    use crate::types::Role;
    crate::auth::require_role(&[Role::Admin, Role::Auditor])?;
    let s = crate::services::current()?;
    crate::db::audit::find(s.db.pool(), seq)
        .await
        .map_err(crate::domain::DomainError::from)?
        .ok_or(AppError::NotFound)
}
