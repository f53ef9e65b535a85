//! What approvers see: their pending tasks (newest first, with whether approving
//! will ask them to sign in again), the count for the navigation, and the tasks
//! they decided.

use super::{DomainError, approvals::actor_groups, org, routing::needs_reauth};
use crate::{
    db::{
        Db, items,
        requests::{self as store, RequestSummary},
        tasks::{self, TaskRow},
    },
    types::{
        AccessRequestConfig, CurrentUser, Decision, InboxTask, InboxView, Page, parse_time_cursor,
    },
};

/// The actor's pending tasks, newest first.
pub async fn inbox(
    db: &Db,
    actor: &CurrentUser,
    before: Option<&str>,
    limit: i64,
) -> Result<Page<InboxTask>, DomainError> {
    let config = org::config(db).await?;
    pending(db, actor, &config, before, limit).await
}

/// The inbox page: the actor's pending tasks and whether the organisation
/// decides them in its own system, from one read of its configuration.
pub async fn view(
    db: &Db,
    actor: &CurrentUser,
    before: Option<&str>,
    limit: i64,
) -> Result<InboxView, DomainError> {
    let config = org::config(db).await?;
    Ok(InboxView {
        tasks: pending(db, actor, &config, before, limit).await?,
        decisions_external: config.approvals_must_be_external,
    })
}

async fn pending(
    db: &Db,
    actor: &CurrentUser,
    config: &AccessRequestConfig,
    before: Option<&str>,
    limit: i64,
) -> Result<Page<InboxTask>, DomainError> {
    let groups = actor_groups(db, actor).await?;
    let limit = limit.clamp(1, 100);
    let before = before.and_then(parse_time_cursor);
    let rows = tasks::inbox(db.pool(), &actor.id, &groups, before, limit + 1).await?;
    let page = Page::from_overfetch(rows, limit, |(t, _)| format!("{}_{}", t.created_at, t.id));
    let mut item_ids: Vec<&str> = page
        .rows
        .iter()
        .map(|(_, s)| s.request.item_id.as_str())
        .collect();
    item_ids.sort_unstable();
    item_ids.dedup();
    let counts = items::step_counts(db.pool(), &item_ids).await?;
    let steps_of = |item_id: &str| {
        counts
            .iter()
            .find(|(id, _)| id == item_id)
            .map_or(0, |(_, n)| *n)
    };
    let mut out = Vec::with_capacity(page.rows.len());
    for (task, summary) in page.rows {
        let steps = steps_of(&summary.request.item_id);
        out.push(inbox_task(config, task, summary, steps));
    }
    Ok(Page {
        rows: out,
        next: page.next,
    })
}

/// One task as the inbox shows it; `item_steps` is how many steps its item
/// has today (as the request page counts them: never fewer than the step reached).
fn inbox_task(
    config: &AccessRequestConfig,
    task: TaskRow,
    s: RequestSummary,
    item_steps: i64,
) -> InboxTask {
    let needs = needs_reauth(
        config,
        s.item_requires_reauth,
        s.request.kind,
        Decision::Approve,
    );
    InboxTask {
        task_id: task.id,
        request_id: s.request.id,
        request_kind: s.request.kind,
        item_name: s.item_name,
        item_kind: s.item_kind,
        requester_name: s.requester_name,
        beneficiary_name: s.beneficiary_name,
        justification: s.request.justification,
        end_date: s.request.end_date,
        created_at: task.created_at,
        step: task.position + 1,
        steps_total: item_steps.max(task.position + 1),
        needs_reauth: needs,
    }
}

/// The tasks the actor decided, newest first.
pub async fn history(
    db: &Db,
    actor: &CurrentUser,
    before: Option<&str>,
    limit: i64,
) -> Result<Page<crate::types::DecidedTask>, DomainError> {
    let limit = limit.clamp(1, 100);
    let before = before.and_then(parse_time_cursor);
    let rows = tasks::decided_by(db.pool(), &actor.id, before, limit + 1).await?;
    let page = Page::from_overfetch(rows, limit, |t| {
        format!("{}_{}", t.decided_at.unwrap_or(0), t.id)
    });
    let mut out = Vec::with_capacity(page.rows.len());
    for task in page.rows {
        let Some(s) = store::summary_of(db.pool(), &task.request_id).await? else {
            continue;
        };
        out.push(crate::types::DecidedTask {
            task_id: task.id,
            request_id: s.request.id,
            item_name: s.item_name,
            requester_name: s.requester_name,
            beneficiary_name: s.beneficiary_name,
            state: task.state,
            decided_at: task.decided_at,
            comment: task.comment,
            automatic: task.automatic,
        });
    }
    Ok(Page {
        rows: out,
        next: page.next,
    })
}

pub async fn inbox_count(db: &Db, actor: &CurrentUser) -> Result<i64, DomainError> {
    let groups = actor_groups(db, actor).await?;
    Ok(tasks::inbox_count(db.pool(), &actor.id, &groups).await?)
}
