//! A request's approval path shown up front: how many steps it has, who
//! decides the steps not reached yet, and whether approving is e-signed. The
//! steps still to come are the item's steps as they are now (each step is
//! routed only when it is reached), so they are a preview, not a promise of
//! who will decide.

use super::{DomainError, items::steps_view, org, routing::approvals_signed};
use crate::{
    db::{Db, requests::RequestSummary},
    types::{RequestKind, RequestPlan, RequestStatus, TaskView, UpcomingStep},
};

/// The plan of a request whose tasks so far are `tasks`.
pub async fn of_request(
    db: &Db,
    summary: &RequestSummary,
    tasks: &[TaskView],
) -> Result<RequestPlan, DomainError> {
    let config = org::config(db).await?;
    let signed = summary.request.kind == RequestKind::Grant
        && approvals_signed(&config, summary.item_requires_reauth);
    let reached = tasks.iter().map(|t| t.position).max().unwrap_or(0);
    let upcoming = if summary.request.status == RequestStatus::Pending {
        steps_view(db, &summary.request.item_id)
            .await?
            .into_iter()
            .zip(1_i64..)
            .filter(|(_, position)| *position > reached)
            .map(|(step, position)| UpcomingStep {
                position,
                approver_label: step.label,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(RequestPlan {
        steps_total: upcoming.last().map_or(reached, |s| s.position),
        upcoming,
        approvals_signed: signed,
    })
}
