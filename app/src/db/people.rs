//! The people pickers' one search: over `users.search_key` (name, user name and
//! email, lower-cased, kept by a trigger), never a person who left, one page by
//! (name, id) at a time.
//!
//! The index `users_picker` is (name, id, email, search_key) over the people who
//! have not left: a search over everyone walks it in page order and stops at its
//! page, and a search that matches nobody reads that index alone (1–2 ms at
//! 10,000 people, `countersign bench`). A search among groups starts from their
//! members instead, so a small group costs little whatever the query.

use super::DbError;
use crate::types::PersonRef;

/// Whom a search may return (besides: never anybody who left).
#[derive(Debug, Clone, Copy)]
pub enum Among<'a> {
    Everyone,
    /// The members of any of these groups (by name), as the directory or the
    /// last sign-in says.
    Groups(&'a [String]),
    /// The people whose manager is this person (`users.manager_id`).
    ReportsOf(&'a str),
}

/// One page of a search.
#[derive(Debug, Clone, Copy)]
pub struct Search<'a> {
    /// Each must be a part of the person's name, user name or email (any case).
    pub terms: &'a [String],
    pub among: Among<'a>,
    /// People never returned (the one searching, a request's requester, …).
    pub except: &'a [&'a str],
    /// Keyset: the page starts after this (name, id).
    pub after: Option<(&'a str, &'a str)>,
    pub limit: i64,
}

/// `LIKE` pattern for "contains `term`": the term's own `%`, `_` and `\` are
/// matched literally (`ESCAPE '\'`), so `j_smith` finds `j_smith` only.
fn contains(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A query being written: its conditions, and the values behind their numbered
/// placeholders (only placeholders are assembled, never input).
#[derive(Default)]
struct Conditions {
    clauses: Vec<String>,
    values: Vec<Value>,
}

enum Value {
    Text(String),
    Int(i64),
}

impl Conditions {
    /// `$N` for a new value.
    fn bind(&mut self, value: Value) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }

    fn text(&mut self, value: &str) -> String {
        self.bind(Value::Text(value.to_owned()))
    }

    fn list(&mut self, values: &[&str]) -> String {
        values
            .iter()
            .map(|v| self.text(v))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One page of the people `search` finds, by name.
pub async fn search<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    ex: E,
    search: &Search<'_>,
) -> Result<Vec<PersonRef>, DbError> {
    let mut c = Conditions::default();
    c.clauses.push("u.disabled_at IS NULL".into());
    for term in search.terms {
        let p = c.text(&contains(term));
        c.clauses
            .push(format!("u.search_key LIKE lower({p}) ESCAPE '\\'"));
    }
    match search.among {
        Among::Everyone => {}
        Among::Groups([]) => return Ok(Vec::new()),
        Among::Groups(groups) => {
            let names: Vec<&str> = groups.iter().map(String::as_str).collect();
            let list = c.list(&names);
            c.clauses.push(format!(
                "u.id IN (SELECT m.user_id FROM group_members m \
                 JOIN directory_groups g ON g.id = m.group_id WHERE g.display_name IN ({list}))"
            ));
        }
        Among::ReportsOf(manager) => {
            let p = c.text(manager);
            c.clauses.push(format!("u.manager_id = {p}"));
        }
    }
    if !search.except.is_empty() {
        let list = c.list(search.except);
        c.clauses.push(format!("u.id NOT IN ({list})"));
    }
    if let Some((name, id)) = search.after {
        let (n, i) = (c.text(name), c.text(id));
        c.clauses
            .push(format!("(u.name > {n} OR (u.name = {n} AND u.id > {i}))"));
    }
    let limit = c.bind(Value::Int(search.limit));
    let sql = format!(
        "SELECT u.id, u.name, u.email FROM users u WHERE {} ORDER BY u.name, u.id LIMIT {limit}",
        c.clauses.join(" AND ")
    );
    let mut query = sqlx::query_as::<_, PersonRef>(&sql);
    for value in c.values {
        query = match value {
            Value::Text(s) => query.bind(s),
            Value::Int(n) => query.bind(n),
        };
    }
    Ok(query.fetch_all(ex).await?)
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn a_term_is_matched_literally() {
        assert_eq!(contains("smi"), "%smi%");
        assert_eq!(contains("j_smith"), "%j\\_smith%");
        assert_eq!(contains("100%"), "%100\\%%");
        assert_eq!(contains("a\\b"), "%a\\\\b%");
    }
}
