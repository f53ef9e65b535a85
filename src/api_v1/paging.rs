//! Cursor paging for every list: `?cursor=` takes an opaque cursor this API
//! handed out for the same list (the domain's keyset cursor over the list's
//! index order, tagged with the list's name and base64url-encoded), and every
//! page says where the next one is: `next` in the body (a link, or `null` on
//! the last page) and `Link: <…>; rel="next"` (RFC 8288).

use axum::{
    Json,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;
use serde_json::json;

use super::problem::{Problem, ProblemType};

/// Which list a cursor belongs to, and what the domain's cursor looks like.
#[derive(Debug, Clone, Copy)]
pub struct List {
    pub name: &'static str,
    pub valid: fn(&str) -> bool,
}

pub fn encode(list: List, raw: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{raw}", list.name))
}

/// The domain's cursor inside `cursor`, or a 400 when it is not one of this list's.
pub fn decode(list: List, cursor: Option<&str>) -> Result<Option<String>, Problem> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let bad = || {
        Problem::new(
            ProblemType::BadCursor,
            format!(
                "cursor: not a cursor of the {} list; use the `next` link of the previous page, or leave it out for the first page",
                list.name
            ),
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let raw = text
        .strip_prefix(list.name)
        .and_then(|rest| rest.strip_prefix(':'))
        .filter(|raw| (list.valid)(raw))
        .ok_or_else(bad)?;
    Ok(Some(raw.to_owned()))
}

/// The most rows a page holds, and the default.
pub const PAGE_MAX: i64 = 100;

/// `?limit=`: 1 to [`PAGE_MAX`] rows, [`PAGE_MAX`] when left out.
pub fn limit(limit: Option<i64>) -> Result<i64, Problem> {
    match limit {
        None => Ok(PAGE_MAX),
        Some(n) if (1..=PAGE_MAX).contains(&n) => Ok(n),
        Some(n) => Err(Problem::new(
            ProblemType::BadQuery,
            format!("limit: {n} is not between 1 and {PAGE_MAX}"),
        )),
    }
}

/// One page of `rows` under `key`, with the link to the next page built from
/// `path` and the query parameters that select the list.
pub fn page<T: Serialize>(
    list: List,
    key: &str,
    rows: &[T],
    next: Option<&str>,
    path: &str,
    filters: &[(&str, Option<&str>)],
) -> Response {
    let next = next.map(|raw| {
        let mut link = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in filters {
            if let Some(value) = value {
                link.append_pair(name, value);
            }
        }
        link.append_pair("cursor", &encode(list, raw));
        format!("{path}?{}", link.finish())
    });
    let mut response = Json(json!({ key: rows, "next": next })).into_response();
    if let Some(value) = next
        .as_deref()
        .and_then(|link| HeaderValue::from_str(&format!("<{link}>; rel=\"next\"")).ok())
    {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEMS: List = List {
        name: "items",
        valid: |raw| raw.contains('\u{1f}'),
    };
    const TASKS: List = List {
        name: "tasks",
        valid: |raw| raw.contains('\u{1f}'),
    };

    #[test]
    fn a_cursor_reads_back_only_for_its_own_list() {
        let cursor = encode(ITEMS, "payroll\u{1f}0193");
        assert_eq!(
            decode(ITEMS, Some(&cursor)).unwrap().as_deref(),
            Some("payroll\u{1f}0193")
        );
        assert_eq!(
            decode(TASKS, Some(&cursor)).unwrap_err().kind,
            ProblemType::BadCursor
        );
    }

    #[test]
    fn made_up_cursors_are_refused() {
        for cursor in [
            "",
            "!!!",
            "aXRlbXM6",
            "bm9wZQ",
            &encode(ITEMS, "no separator"),
        ] {
            assert_eq!(
                decode(ITEMS, Some(cursor)).unwrap_err().kind,
                ProblemType::BadCursor,
                "{cursor}"
            );
        }
        assert_eq!(decode(ITEMS, None).unwrap(), None);
    }
}
