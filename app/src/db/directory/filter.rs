//! A parsed SCIM filter (RFC 7644 §3.4.2.2, parsed by `scim_v2`) as a SQL
//! condition over `users u` or `directory_groups g`. The SQL text is assembled
//! only from this module's own column names and placeholders; every value the
//! client sent is a bound parameter. Each condition is two-valued (never NULL),
//! so `not (…)` means what the client means even where a column is empty.

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};
use sqlx::{Any, Executor};

use crate::db::DbError;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    Text(String),
    Int(i64),
}

/// A SQL condition with `$1…$n` placeholders and their values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Where {
    pub sql: String,
    pub binds: Vec<Bind>,
}

impl Where {
    /// Every row.
    pub fn all() -> Where {
        Where {
            sql: "1 = 1".into(),
            binds: Vec::new(),
        }
    }
}

/// Which resource a filter selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Users,
    Groups,
}

/// Why a filter cannot be run: the client's `invalidFilter`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unsupported(pub String);

const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:user";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user";

/// What a filterable attribute is stored as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    /// A text column compared exactly (ids, `externalId`).
    Exact(&'static str),
    /// A text column compared without regard to case; the expression is
    /// lower-cased (`user_name_key` already is).
    Folded(&'static str),
    /// `active`: the person is not disabled.
    Active,
    /// `members.value`: a member with this id.
    Member,
    /// A constant: the one email kept is the work and primary one.
    Always(bool),
}

/// The column of `path` (without a value filter) on `resource`.
fn column(resource: Resource, path: &AttrPath) -> Result<Column, Unsupported> {
    let uri = path.uri.as_deref().map(str::to_lowercase);
    let name = path.name.to_lowercase();
    let sub = path.sub_attr.as_deref().map(str::to_lowercase);
    let unknown = || Unsupported(format!("{path} cannot be filtered on"));
    let column = match (resource, uri.as_deref()) {
        (Resource::Users, None | Some(CORE_USER)) => match (name.as_str(), sub.as_deref()) {
            ("id", None) => Column::Exact("u.id"),
            ("username", None) => Column::Folded("u.user_name_key"),
            ("externalid", None) => Column::Exact("u.external_id"),
            ("displayname", None) => Column::Folded("LOWER(u.name)"),
            ("emails", None | Some("value")) => Column::Folded("LOWER(u.email)"),
            ("emails", Some("type")) => Column::Always(true),
            ("emails", Some("primary")) => Column::Always(true),
            ("active", None) => Column::Active,
            _ => return Err(unknown()),
        },
        (Resource::Users, Some(ENTERPRISE)) => match (name.as_str(), sub.as_deref()) {
            ("employeenumber", None) => Column::Exact("u.employee_number"),
            ("department", None) => Column::Folded("LOWER(u.department)"),
            ("manager", None | Some("value")) => Column::Exact("u.manager_id"),
            _ => return Err(unknown()),
        },
        (Resource::Groups, None | Some(CORE_GROUP)) => match (name.as_str(), sub.as_deref()) {
            ("id", None) => Column::Exact("g.id"),
            ("displayname", None) => Column::Folded("LOWER(g.display_name)"),
            ("externalid", None) => Column::Exact("g.external_id"),
            ("members", None | Some("value")) => Column::Member,
            _ => return Err(unknown()),
        },
        _ => return Err(unknown()),
    };
    Ok(column)
}

/// Builds the condition, numbering placeholders from `$1`.
struct Builder {
    resource: Resource,
    binds: Vec<Bind>,
}

impl Builder {
    fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    fn filter(&mut self, filter: &Filter) -> Result<String, Unsupported> {
        match filter {
            Filter::Attr(exp) => self.attr(exp, None),
            Filter::ValuePath(vp) => {
                let parent = vp.attr.clone();
                self.val_filter(&vp.filter, &parent)
            }
            Filter::Not(inner) => Ok(format!("NOT ({})", self.filter(inner)?)),
            Filter::And(items) => self.join(items.as_slice(), " AND ", Self::filter),
            Filter::Or(items) => self.join(items.as_slice(), " OR ", Self::filter),
        }
    }

    /// A filter inside `attr[…]`: its attribute names are `attr`'s
    /// sub-attributes.
    fn val_filter(&mut self, filter: &ValFilter, parent: &AttrPath) -> Result<String, Unsupported> {
        match filter {
            ValFilter::Attr(exp) => self.attr(exp, Some(parent)),
            ValFilter::Not(inner) => Ok(format!("NOT ({})", self.val_filter(inner, parent)?)),
            ValFilter::And(items) => {
                let parts: Result<Vec<String>, Unsupported> = items
                    .as_slice()
                    .iter()
                    .map(|f| self.val_filter(f, parent).map(|s| format!("({s})")))
                    .collect();
                Ok(parts?.join(" AND "))
            }
            ValFilter::Or(items) => {
                let parts: Result<Vec<String>, Unsupported> = items
                    .as_slice()
                    .iter()
                    .map(|f| self.val_filter(f, parent).map(|s| format!("({s})")))
                    .collect();
                Ok(parts?.join(" OR "))
            }
        }
    }

    fn join<T>(
        &mut self,
        items: &[T],
        with: &str,
        each: fn(&mut Self, &T) -> Result<String, Unsupported>,
    ) -> Result<String, Unsupported> {
        let parts: Result<Vec<String>, Unsupported> = items
            .iter()
            .map(|item| each(self, item).map(|s| format!("({s})")))
            .collect();
        Ok(parts?.join(with))
    }

    fn attr(&mut self, exp: &AttrExp, parent: Option<&AttrPath>) -> Result<String, Unsupported> {
        let path = |p: &AttrPath| match parent {
            None => p.clone(),
            Some(parent) if p.sub_attr.is_none() && p.uri.is_none() => AttrPath {
                uri: parent.uri.clone(),
                name: parent.name.clone(),
                sub_attr: Some(p.name.clone()),
            },
            Some(_) => AttrPath::with_name(format!("{p}")),
        };
        match exp {
            AttrExp::Present(p) => {
                let p = path(p);
                Ok(match column(self.resource, &p)? {
                    Column::Exact(c) | Column::Folded(c) => {
                        format!("({c} IS NOT NULL AND {c} <> '')")
                    }
                    Column::Active => "1 = 1".into(),
                    Column::Member => {
                        "EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id)".into()
                    }
                    Column::Always(_) => "(u.email IS NOT NULL AND u.email <> '')".into(),
                })
            }
            AttrExp::Comparison(p, op, value) => {
                let p = path(p);
                let column = column(self.resource, &p)?;
                self.comparison(&p, column, op, value)
            }
        }
    }

    fn comparison(
        &mut self,
        path: &AttrPath,
        column: Column,
        op: &CompareOp,
        value: &CompValue,
    ) -> Result<String, Unsupported> {
        let refuse = || Unsupported(format!("{path} {op} {value} is not supported"));
        match column {
            Column::Active => {
                let wanted = match value {
                    CompValue::True => true,
                    CompValue::False => false,
                    _ => return Err(refuse()),
                };
                let wanted = match op {
                    CompareOp::Eq => wanted,
                    CompareOp::Ne => !wanted,
                    _ => return Err(refuse()),
                };
                Ok(if wanted {
                    "u.disabled_at IS NULL".into()
                } else {
                    "u.disabled_at IS NOT NULL".into()
                })
            }
            Column::Always(constant) => {
                let matches = match (op, value) {
                    (CompareOp::Eq, CompValue::Str(s)) => s.eq_ignore_ascii_case("work"),
                    (CompareOp::Eq, CompValue::True) => constant,
                    (CompareOp::Eq, CompValue::False) => !constant,
                    _ => return Err(refuse()),
                };
                Ok(if matches { "1 = 1" } else { "1 = 0" }.into())
            }
            Column::Member => {
                let (CompareOp::Eq, CompValue::Str(id)) = (op, value) else {
                    return Err(refuse());
                };
                let p = self.bind(Bind::Text(id.clone()));
                Ok(format!(
                    "EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id \
                     AND m.user_id = {p})"
                ))
            }
            Column::Exact(c) | Column::Folded(c) => {
                let CompValue::Str(text) = value else {
                    return Err(refuse());
                };
                let text = if matches!(column, Column::Folded(_)) {
                    text.to_lowercase()
                } else {
                    text.clone()
                };
                let condition = match op {
                    CompareOp::Eq => format!("{c} = {}", self.bind(Bind::Text(text))),
                    CompareOp::Ne => {
                        return Ok(format!(
                            "({c} IS NULL OR {c} <> {})",
                            self.bind(Bind::Text(text))
                        ));
                    }
                    CompareOp::Co => self.like(c, &format!("%{}%", escape_like(&text))),
                    CompareOp::Sw => self.like(c, &format!("{}%", escape_like(&text))),
                    CompareOp::Ew => self.like(c, &format!("%{}", escape_like(&text))),
                    CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
                        return Err(refuse());
                    }
                };
                Ok(format!("({c} IS NOT NULL AND {condition})"))
            }
        }
    }

    fn like(&mut self, column: &str, pattern: &str) -> String {
        let p = self.bind(Bind::Text(pattern.to_owned()));
        format!("{column} LIKE {p} ESCAPE '\\'")
    }
}

/// `%`, `_` and `\` taken literally in a `LIKE … ESCAPE '\'` pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The condition `filter` stands for on `resource` (`None`: every row).
pub fn translate(filter: Option<&Filter>, resource: Resource) -> Result<Where, Unsupported> {
    let Some(filter) = filter else {
        return Ok(Where::all());
    };
    let mut builder = Builder {
        resource,
        binds: Vec::new(),
    };
    let sql = builder.filter(filter)?;
    Ok(Where {
        sql,
        binds: builder.binds,
    })
}

/// How many rows of `from` meet `condition`.
pub async fn count<'c, E: Executor<'c, Database = Any>>(
    ex: E,
    from: &str,
    condition: &str,
    binds: &[Bind],
) -> Result<i64, DbError> {
    let sql = format!("SELECT COUNT(*) FROM {from} WHERE {condition}");
    let mut query = sqlx::query_as::<_, (i64,)>(&sql);
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text.clone()),
            Bind::Int(int) => query.bind(*int),
        };
    }
    Ok(query.fetch_one(ex).await?.0)
}

#[cfg(test)]
mod tests;
