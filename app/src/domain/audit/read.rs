//! Reading the audit trail: the audit page, one record, the export. Every read
//! takes the caller and checks here that they may read it (`access::may_read_audit`).

use super::super::DomainError;
use crate::{
    access::may_read_audit,
    db::{Db, DbError, audit as store, audit::AuditFilter},
    types::{AuditRecord, CurrentUser, Page, parse_date},
};

/// The audit page's filter as typed: a blank field matches anything; `from` and
/// `until` are days (YYYY-MM-DD, UTC), `until` included.
#[derive(Debug, Clone, Default)]
pub struct FilterForm {
    pub action: String,
    pub item_id: String,
    pub request_id: String,
    pub actor_id: String,
    pub from: String,
    pub until: String,
}

impl FilterForm {
    fn parse(self) -> Result<AuditFilter, DomainError> {
        let day = |field: &'static str, value: &str| match value.trim() {
            "" => Ok(None),
            v => parse_date(v)
                .map(Some)
                .ok_or_else(|| DomainError::invalid(field, "use the form YYYY-MM-DD")),
        };
        Ok(AuditFilter {
            action: given(Some(self.action)),
            item_id: given(Some(self.item_id)),
            request_id: given(Some(self.request_id)),
            actor_id: given(Some(self.actor_id)),
            from: day("from", &self.from)?,
            // "until" includes that whole day.
            until: day("until", &self.until)?.map(|d| d + 86_400),
        })
    }
}

/// A filter value as given: trimmed, and `None` when blank.
pub fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn require_reader(caller: &CurrentUser) -> Result<(), DomainError> {
    if may_read_audit(caller) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "the audit trail is for administrators and auditors",
        ))
    }
}

/// One page of the records matching `filter`, newest first, below `before`.
pub async fn list(
    db: &Db,
    caller: &CurrentUser,
    filter: FilterForm,
    before: Option<i64>,
    limit: i64,
) -> Result<Page<AuditRecord>, DomainError> {
    require_reader(caller)?;
    let filter = filter.parse()?;
    let rows = store::list(db.pool(), &filter, before, limit + 1).await?;
    Ok(Page::from_overfetch(rows, limit, |r| r.seq.to_string()))
}

/// Record `seq`.
pub async fn get(db: &Db, caller: &CurrentUser, seq: i64) -> Result<AuditRecord, DomainError> {
    require_reader(caller)?;
    store::find(db.pool(), seq)
        .await?
        .ok_or(DomainError::NotFound("audit record"))
}

/// The records matching `filter`, page by page, for a caller who may read them.
#[derive(Debug, Clone)]
pub struct Export {
    db: Db,
    filter: AuditFilter,
}

/// Starts an export of the records matching `filter`.
pub fn export(db: &Db, caller: &CurrentUser, filter: AuditFilter) -> Result<Export, DomainError> {
    require_reader(caller)?;
    Ok(Export {
        db: db.clone(),
        filter,
    })
}

impl Export {
    /// The next `limit` records, newest first, below `before`.
    pub async fn page(&self, before: Option<i64>, limit: i64) -> Result<Vec<AuditRecord>, DbError> {
        store::list(self.db.pool(), &self.filter, before, limit).await
    }
}
