//! `GET /audit/export.csv` and `GET /audit/export.json`: the audit trail under the
//! same filter as the audit page, streamed page by page (never built in memory).
//! Admins and auditors only.

use app::{
    db::audit::AuditFilter,
    domain::{DomainError, audit},
    types::{AuditRecord, CurrentUser},
};
use axum::{
    Extension,
    body::Body,
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::stream;
use serde::Deserialize;

use crate::AppState;

const PAGE: i64 = 500;

#[derive(Debug, Deserialize, Default)]
pub struct ExportQuery {
    action: Option<String>,
    item: Option<String>,
    request: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    until: Option<String>,
}

impl ExportQuery {
    /// The filter, or the sentence that says which bound is not a time. An
    /// empty value means no filter (the audit page's form sends every field).
    fn filter(self) -> Result<AuditFilter, String> {
        Ok(AuditFilter {
            from: time_bound("from", self.from)?,
            until: time_bound("until", self.until)?,
            actor_id: audit::given(self.actor),
            action: audit::given(self.action),
            item_id: audit::given(self.item),
            request_id: audit::given(self.request),
        })
    }
}

/// `from`/`until`: Unix seconds, or a UTC date (`YYYY-MM-DD`, its start).
fn time_bound(name: &str, value: Option<String>) -> Result<Option<i64>, String> {
    let Some(value) = audit::given(value) else {
        return Ok(None);
    };
    value
        .parse::<i64>()
        .ok()
        .or_else(|| app::types::parse_date(&value))
        .map(Some)
        .ok_or_else(|| {
            format!(
                "The filter \"{name}\" must be a UTC date (YYYY-MM-DD) or Unix seconds, or empty \
                 for no limit. Nothing was exported."
            )
        })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

pub async fn csv(
    state: State<AppState>,
    user: Option<Extension<CurrentUser>>,
    query: Query<ExportQuery>,
) -> Response {
    export(state, user, query, Format::Csv).await
}

pub async fn json(
    state: State<AppState>,
    user: Option<Extension<CurrentUser>>,
    query: Query<ExportQuery>,
) -> Response {
    export(state, user, query, Format::Json).await
}

async fn export(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Query(query): Query<ExportQuery>,
    format: Format,
) -> Response {
    let Some(Extension(user)) = user else {
        return (StatusCode::UNAUTHORIZED, "Sign in first.").into_response();
    };
    let filter = match query.filter() {
        Ok(filter) => filter,
        Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
    };
    let export = match audit::export(&state.db, &user, filter) {
        Ok(export) => export,
        Err(DomainError::Forbidden(_)) => {
            return (
                StatusCode::FORBIDDEN,
                "The audit trail is for administrators and auditors.",
            )
                .into_response();
        }
        Err(err) => {
            tracing::error!(error = %err, "audit export failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    // State: (cursor: records below this seq; first chunk?; done?)
    let chunks = stream::unfold((None::<i64>, true, false), move |(before, first, done)| {
        let export = export.clone();
        async move {
            if done {
                return None;
            }
            let rows = match export.page(before, PAGE).await {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::error!(error = %err, "audit export failed");
                    return Some((
                        Err(std::io::Error::other("audit export failed")),
                        (before, false, true),
                    ));
                }
            };
            let last = rows.len() < PAGE as usize;
            let next = rows.last().map(|r| r.seq);
            let mut out = String::new();
            if first {
                out.push_str(match format {
                    Format::Csv => "seq,at_utc,actor_name,actor_issuer,actor_subject,action,target_kind,target_id,item_id,request_id,e_signed,details,prev_hash,hash\n",
                    Format::Json => "[",
                });
            }
            for (i, record) in rows.iter().enumerate() {
                match format {
                    Format::Csv => out.push_str(&csv_line(record)),
                    Format::Json => {
                        if !(first && i == 0) {
                            out.push(',');
                        }
                        out.push_str(&serde_json::to_string(record).unwrap_or_default());
                    }
                }
            }
            if last && format == Format::Json {
                out.push(']');
            }
            Some((Ok::<_, std::io::Error>(out), (next, false, last)))
        }
    });
    let (content_type, name) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "countersign-audit.csv"),
        Format::Json => ("application/json", "countersign-audit.json"),
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// One CSV record (RFC 4180 quoting). Cells that a spreadsheet would run as a
/// formula are prefixed with `'` (CSV injection).
fn csv_line(r: &AuditRecord) -> String {
    let signed = r.details["e_signature"].is_object();
    let cells = [
        r.seq.to_string(),
        app::types::format_utc(r.at),
        r.actor_name.clone(),
        r.actor_issuer.clone().unwrap_or_default(),
        r.actor_subject.clone().unwrap_or_default(),
        r.action.clone(),
        r.target_kind.clone(),
        r.target_id.clone(),
        r.item_id.clone().unwrap_or_default(),
        r.request_id.clone().unwrap_or_default(),
        signed.to_string(),
        r.details.to_string(),
        r.prev_hash.clone(),
        r.hash.clone(),
    ];
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
