//! Choosing a person: an item's owner, a named approver, someone to hand a task
//! to (`approvals::eligible_assignees`), someone to request access for. One
//! search ([`PeopleQuery`]: name, user name or email, any part, any case) and,
//! per purpose, one rule of who may be offered; the same rule is checked again
//! when the chosen id comes back, because the browser decides nothing.
//!
//! A person who left the organisation is never offered, and never accepted.

use super::{DomainError, identity::RoleMap, org, search::search_text};
use crate::{
    db::{
        Db,
        people::{self as store, Among, Search},
        users::{self, UserRow},
    },
    types::{CurrentUser, Page, PersonRef, RequestOnBehalfOfConfig, Role},
};

/// People on one page of a picker's answer.
pub const PAGE: i64 = 20;
/// Words in one search.
pub const TERMS_MAX: usize = 5;

/// What a person typed into a picker, and which page they want.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeopleQuery {
    /// Each word must be a part of the name, user name or email.
    terms: Vec<String>,
    /// After this (name, id): the cursor of the page before.
    after: Option<(String, String)>,
}

impl PeopleQuery {
    /// `text` as words (at most [`TERMS_MAX`], within the search length cap), and
    /// the page after `cursor` (from [`Page::next`]).
    pub fn parse(text: &str, cursor: Option<&str>) -> Result<PeopleQuery, DomainError> {
        let text = search_text(text)?;
        let terms: Vec<String> = text
            .split_whitespace()
            .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
            .filter(|w| !w.is_empty())
            .collect();
        if terms.len() > TERMS_MAX {
            return Err(DomainError::invalid(
                "search",
                format!("Search for at most {TERMS_MAX} words."),
            ));
        }
        let after = match cursor {
            None | Some("") => None,
            Some(cursor) => {
                let (name, id) = cursor
                    .rsplit_once('\u{1f}')
                    .ok_or_else(|| DomainError::invalid("after", "not a page of this search"))?;
                Some((name.to_owned(), id.to_owned()))
            }
        };
        Ok(PeopleQuery { terms, after })
    }

    /// One page of the people it finds `among`, never those in `except`.
    pub(crate) async fn page(
        &self,
        conn: &mut sqlx::AnyConnection,
        among: Among<'_>,
        except: &[&str],
    ) -> Result<Page<PersonRef>, DomainError> {
        let rows = store::search(
            conn,
            &Search {
                terms: &self.terms,
                among,
                except,
                after: self.after.as_ref().map(|(n, i)| (n.as_str(), i.as_str())),
                limit: PAGE + 1,
            },
        )
        .await?;
        Ok(Page::from_overfetch(rows, PAGE, |p| {
            format!("{}\u{1f}{}", p.name, p.id)
        }))
    }
}

/// Anyone who has not left: for an item's owner (administrators) and the audit
/// trail's actor filter (administrators and auditors).
pub async fn anyone(
    db: &Db,
    actor: &CurrentUser,
    query: &PeopleQuery,
) -> Result<Page<PersonRef>, DomainError> {
    if !(actor.has(Role::Admin) || actor.has(Role::Auditor)) {
        return Err(DomainError::Forbidden(
            "only administrators and auditors look people up",
        ));
    }
    let mut conn = db.pool().acquire().await?;
    query.page(&mut conn, Among::Everyone, &[]).await
}

/// Person `id` as the audit trail's actor filter shows them (administrators
/// and auditors; people who left included: they acted, and their records stay).
pub async fn audit_actor(
    db: &Db,
    actor: &CurrentUser,
    id: &str,
) -> Result<Option<PersonRef>, DomainError> {
    if !crate::access::may_read_audit(actor) {
        return Err(DomainError::Forbidden(
            "only administrators and auditors read the audit trail",
        ));
    }
    Ok(users::find(db, id).await?.map(|u| PersonRef {
        id: u.id,
        name: u.name,
        email: u.email,
    }))
}

/// The people who hold the approver role (members of its groups): whom an
/// administrator may name as an item's approver.
pub async fn approvers(
    db: &Db,
    actor: &CurrentUser,
    query: &PeopleQuery,
    roles: &RoleMap,
) -> Result<Page<PersonRef>, DomainError> {
    super::items::require_admin(actor)?;
    let mut conn = db.pool().acquire().await?;
    query
        .page(&mut conn, Among::Groups(&roles.approver_groups), &[])
        .await
}

/// Whom a requester may ask access for, besides themselves, under the
/// organisation's `requestOnBehalfOfConfig`. The one reading of that rule: the
/// candidates offered here and the check on the chosen person when a request
/// is made (`on_behalf::beneficiary`) both start from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBehalfOf {
    Nobody,
    /// `allowRequestOnBehalfOfAnyoneByAnyone`.
    Anyone,
    /// Only `allowRequestOnBehalfOfEmployeeByManager`: a manager's direct
    /// reports (`users.manager_id`).
    DirectReports,
}

impl OnBehalfOf {
    pub fn under(rules: &RequestOnBehalfOfConfig) -> OnBehalfOf {
        if rules.allow_request_on_behalf_of_anyone_by_anyone {
            OnBehalfOf::Anyone
        } else if rules.allow_request_on_behalf_of_employee_by_manager {
            OnBehalfOf::DirectReports
        } else {
            OnBehalfOf::Nobody
        }
    }
}

/// The people `actor` may request access for (never themselves: "Myself" is
/// the form's default); an empty page when the organisation allows nobody.
pub async fn on_behalf_candidates(
    db: &Db,
    actor: &CurrentUser,
    query: &PeopleQuery,
) -> Result<Page<PersonRef>, DomainError> {
    let config = org::config(db).await?;
    let among = match OnBehalfOf::under(&config.request_on_behalf_of_config) {
        OnBehalfOf::Nobody => {
            return Ok(Page {
                rows: Vec::new(),
                next: None,
            });
        }
        OnBehalfOf::Anyone => Among::Everyone,
        OnBehalfOf::DirectReports => Among::ReportsOf(&actor.id),
    };
    let mut conn = db.pool().acquire().await?;
    query.page(&mut conn, among, &[&actor.id]).await
}

/// The person `id`, when they may own an item: known and not left.
pub async fn eligible_owner<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    ex: E,
    id: &str,
) -> Result<UserRow, DomainError> {
    match users::find_in(ex, id).await? {
        None => Err(DomainError::invalid("owner", "no such person")),
        Some(user) if user.disabled_at.is_some() => Err(DomainError::invalid(
            "owner",
            format!(
                "{} has left the organisation: choose someone else",
                user.name
            ),
        )),
        Some(user) => Ok(user),
    }
}

/// The person `id`, when they may be named as an approver: known, not left, and
/// holding the approver role by their current groups.
pub async fn eligible_approver<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    ex: E,
    id: &str,
    roles: &RoleMap,
) -> Result<UserRow, DomainError> {
    let refuse = |message: String| DomainError::invalid("steps", message);
    match users::find_in(ex, id).await? {
        None => Err(refuse("a named approver does not exist".into())),
        Some(user) if user.disabled_at.is_some() => Err(refuse(format!(
            "{} has left the organisation: choose another approver",
            user.name
        ))),
        Some(user) if !roles.roles_for(&user.groups).contains(&Role::Approver) => {
            Err(refuse(format!(
                "{} is not an approver: choose a member of {}",
                user.name,
                roles.approver_groups.join(", ")
            )))
        }
        Some(user) => Ok(user),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_its_words() {
        let q = PeopleQuery::parse("  Alice   smi ", None).unwrap();
        assert_eq!(q.terms, vec!["Alice", "smi"]);
        assert_eq!(PeopleQuery::parse("", None).unwrap().terms.len(), 0);
    }

    #[test]
    fn too_many_words_or_characters_are_refused() {
        assert!(PeopleQuery::parse("a b c d e f", None).is_err());
        assert!(PeopleQuery::parse(&"a".repeat(201), None).is_err());
        assert!(PeopleQuery::parse(&"a".repeat(200), None).is_ok());
    }

    #[test]
    fn a_cursor_is_a_name_and_an_id() {
        let q = PeopleQuery::parse("", Some("Ann Lee\u{1f}0190-id")).unwrap();
        assert_eq!(q.after, Some(("Ann Lee".into(), "0190-id".into())));
        assert!(PeopleQuery::parse("", Some("garbage")).is_err());
    }

    #[test]
    fn on_behalf_reads_the_configuration_once() {
        let rules = |anyone, reports| RequestOnBehalfOfConfig {
            allow_request_on_behalf_of_anyone_by_anyone: anyone,
            allow_request_on_behalf_of_employee_by_manager: reports,
        };
        assert_eq!(OnBehalfOf::under(&rules(false, false)), OnBehalfOf::Nobody);
        assert_eq!(OnBehalfOf::under(&rules(true, true)), OnBehalfOf::Anyone);
        assert_eq!(
            OnBehalfOf::under(&rules(false, true)),
            OnBehalfOf::DirectReports
        );
    }
}
