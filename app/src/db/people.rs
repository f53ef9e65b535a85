//! The people pickers' one search: over `users.search_key` (name, user name and
//! email, lower-cased, kept by a trigger), never a person who left, one page by
//! (name, id) at a time.
//!
//! The index `users_picker` is (name, id, email, search_key) over the people who
//! have not left: a search over everyone walks it in page order and stops at its
//! page, and a search that matches nobody reads that index alone (1–2 ms at
//! 10,000 people, `countersign bench`). A search among groups does the same,
//! checking each person's membership on the way, when the groups are large; when
//! they are small (at most [`SMALL_GROUPS`] members) it starts from their members
//! instead, so that a common word does not walk everyone to find a few.

use sqlx::AnyConnection;

use super::DbError;
use crate::types::PersonRef;

/// Groups with at most this many members (together) are searched from their
/// members; larger ones by walking everyone in page order.
pub const SMALL_GROUPS: i64 = 2_000;

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

    /// `query` with the values bound, in order.
    fn bound<'q, T>(
        self,
        mut query: sqlx::query::QueryAs<'q, sqlx::Any, T, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, T, sqlx::any::AnyArguments<'q>> {
        for value in self.values {
            query = match value {
                Value::Text(s) => query.bind(s),
                Value::Int(n) => query.bind(n),
            };
        }
        query
    }

    fn list(&mut self, values: &[&str]) -> String {
        values
            .iter()
            .map(|v| self.text(v))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The ids of the groups named `names` (those that exist).
async fn group_ids(conn: &mut AnyConnection, names: &[String]) -> Result<Vec<String>, DbError> {
    let mut c = Conditions::default();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let list = c.list(&names);
    let sql = format!("SELECT id FROM directory_groups WHERE display_name IN ({list})");
    let rows: Vec<(String,)> = c.bound(sqlx::query_as(&sql)).fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// How many memberships the groups `ids` have, counted up to `cap`.
async fn members_up_to(conn: &mut AnyConnection, ids: &[&str], cap: i64) -> Result<i64, DbError> {
    let mut c = Conditions::default();
    let list = c.list(ids);
    let limit = c.bind(Value::Int(cap));
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM group_members \
         WHERE group_id IN ({list}) LIMIT {limit}) counted"
    );
    let (count,): (i64,) = c.bound(sqlx::query_as(&sql)).fetch_one(conn).await?;
    Ok(count)
}

/// How a search among groups meets their members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Membership {
    /// From the members, sorted afterwards: cheap when they are few.
    FromMembers,
    /// Along the page order, each person's membership looked up: cheap when
    /// they are many (the page fills quickly).
    AlongPageOrder,
}

/// One page of the people `search` finds, by name.
pub async fn search(
    conn: &mut AnyConnection,
    search: &Search<'_>,
) -> Result<Vec<PersonRef>, DbError> {
    let Among::Groups(names) = search.among else {
        return search_by(conn, search, None).await;
    };
    let ids = group_ids(conn, names).await?;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let membership = if members_up_to(conn, &ids, SMALL_GROUPS + 1).await? <= SMALL_GROUPS {
        Membership::FromMembers
    } else {
        Membership::AlongPageOrder
    };
    search_by(conn, search, Some((&ids, membership))).await
}

/// `search`, among the members of the groups `ids` (met by `membership`) when
/// given.
async fn search_by(
    conn: &mut AnyConnection,
    search: &Search<'_>,
    groups: Option<(&[&str], Membership)>,
) -> Result<Vec<PersonRef>, DbError> {
    let mut c = Conditions::default();
    c.clauses.push("u.disabled_at IS NULL".into());
    for term in search.terms {
        let p = c.text(&contains(term));
        c.clauses
            .push(format!("u.search_key LIKE lower({p}) ESCAPE '\\'"));
    }
    if let Among::ReportsOf(manager) = search.among {
        let p = c.text(manager);
        c.clauses.push(format!("u.manager_id = {p}"));
    }
    if let Some((ids, membership)) = groups {
        let list = c.list(ids);
        c.clauses.push(match membership {
            Membership::FromMembers => format!(
                "u.id IN (SELECT m.user_id FROM group_members m WHERE m.group_id IN ({list}))"
            ),
            Membership::AlongPageOrder => format!(
                "EXISTS (SELECT 1 FROM group_members m \
                 WHERE m.user_id = u.id AND m.group_id IN ({list}))"
            ),
        });
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
    // On PostgreSQL, planned for its values each time (an unnamed statement gets
    // no generic plan): whether a term is rare decides between the trigram index
    // and the page order, and which groups decide where to start. SQLite plans
    // without the values anyway, so it keeps its prepared statement.
    let postgres = conn.backend_name() == "PostgreSQL";
    let query = c.bound(sqlx::query_as(&sql)).persistent(!postgres);
    Ok(query.fetch_all(conn).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{test_db::TestDatabase, users};

    /// Both ways of meeting a group's members find the same people, in order.
    #[tokio::test]
    async fn both_membership_plans_find_the_same_page() {
        let (db, _database) = TestDatabase::migrated().await.unwrap();
        for (login, name, groups) in [
            ("a", "Ann Finance", vec!["finance".to_string()]),
            ("b", "Bea Finance", vec!["finance".into(), "ops".into()]),
            ("c", "Cid Ops", vec!["ops".into()]),
            ("d", "Dan Nobody", vec![]),
        ] {
            let profile = users::SignInProfile {
                issuer: "https://idp.example.test",
                subject: login,
                name,
                email: None,
                login_name: None,
                groups: &groups,
            };
            users::upsert_at_sign_in(&db, &profile).await.unwrap();
        }
        let groups = ["finance".to_string(), "ops".to_string()];
        let terms = ["n".to_string()];
        let search = Search {
            terms: &terms,
            among: Among::Groups(&groups),
            except: &[],
            after: None,
            limit: 10,
        };
        let mut conn = db.pool().acquire().await.unwrap();
        let ids = group_ids(&mut conn, &groups).await.unwrap();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut found = Vec::new();
        for plan in [Membership::FromMembers, Membership::AlongPageOrder] {
            let page = search_by(&mut conn, &search, Some((&ids, plan)))
                .await
                .unwrap();
            found.push(page.into_iter().map(|p| p.name).collect::<Vec<_>>());
        }
        assert_eq!(found[0], ["Ann Finance", "Bea Finance"]);
        assert_eq!(found[0], found[1]);
        assert_eq!(ids.len(), 2);
        assert_eq!(members_up_to(&mut conn, &ids, 10).await.unwrap(), 4);
        assert_eq!(members_up_to(&mut conn, &ids, 2).await.unwrap(), 2);
    }

    #[test]
    fn a_term_is_matched_literally() {
        assert_eq!(contains("smi"), "%smi%");
        assert_eq!(contains("j_smith"), "%j\\_smith%");
        assert_eq!(contains("100%"), "%100\\%%");
        assert_eq!(contains("a\\b"), "%a\\\\b%");
    }
}
