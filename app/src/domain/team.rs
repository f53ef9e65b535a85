//! My team: a manager's direct reports (as the directory names their manager),
//! each with the access they hold and the requests waiting for them. A person
//! sees only the people who report to them.

use super::DomainError;
use crate::{
    db::{Db, assignments, managers, requests},
    types::{CurrentUser, Page, PersonRef, TeamMember},
};

/// How many reports one page shows at most.
pub const PAGE_MAX: i64 = 50;
/// How many held items one report shows at most (the rest: "and more").
pub const ACCESS_SHOWN: i64 = 25;
/// How many pending requests one report shows at most.
pub const PENDING_SHOWN: i64 = 10;

/// One page of the actor's direct reports who have not left, by name; `after`
/// is the `next` of the previous page.
pub async fn reports(
    db: &Db,
    actor: &CurrentUser,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<TeamMember>, DomainError> {
    let limit = limit.clamp(1, PAGE_MAX);
    let after = match after {
        None => None,
        Some(cursor) => Some(cursor.split_once('\u{1f}').ok_or_else(|| {
            DomainError::invalid(
                "after",
                "this page link is damaged: start from the first page",
            )
        })?),
    };
    let rows = managers::reports_of(db.pool(), &actor.id, after, limit + 1).await?;
    let page = Page::from_overfetch(rows, limit, |r| format!("{}\u{1f}{}", r.name, r.id));
    let mut out = Vec::with_capacity(page.rows.len());
    for report in page.rows {
        let mut access = assignments::of_user(db.pool(), &report.id, ACCESS_SHOWN + 1).await?;
        let more_access = access.len() as i64 > ACCESS_SHOWN;
        access.truncate(ACCESS_SHOWN as usize);
        let pending = requests::pending_lines_of(db.pool(), &report.id, PENDING_SHOWN).await?;
        out.push(TeamMember {
            person: PersonRef {
                id: report.id,
                name: report.name,
                email: report.email,
            },
            access,
            more_access,
            pending,
        });
    }
    Ok(Page {
        rows: out,
        next: page.next,
    })
}

/// Does anybody (who has not left) report to the actor? (The navigation shows
/// My team only then.)
pub async fn has_reports(db: &Db, actor: &CurrentUser) -> Result<bool, DomainError> {
    Ok(managers::has_reports(db.pool(), &actor.id).await?)
}
