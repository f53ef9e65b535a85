//! The changes that mail someone (and, for new tasks, post to the chat), each
//! called in the change's transaction.

use std::sync::Arc;

use super::{About, Notice, approvers, people, send};
use crate::{
    db::{Tx, items, notifications as store, outbox::JobRow, requests::RequestRow, users},
    domain::{DomainError, outbox::FailureListener},
    types::{JobKind, RequestStatus},
};

/// Tells the approvers of task `task_id` (step `position` of `request`, given
/// to `user_id` or the group `group`) that it waits for them.
pub async fn task_opened(
    tx: &mut Tx,
    task_id: &str,
    request: &RequestRow,
    (user_id, group): (Option<&str>, Option<&str>),
    position: i64,
    now: i64,
) -> Result<(), DomainError> {
    let mail = super::enabled(tx).await?;
    let chats = super::chat::scopes_for(tx, &request.item_id).await?;
    if !mail && chats.is_empty() {
        return Ok(());
    }
    let requester = users::find_in(&mut **tx, &request.requester_id).await?;
    let beneficiary = users::find_in(&mut **tx, &request.beneficiary_id).await?;
    let item = items::find(&mut **tx, &request.item_id).await?;
    let notice = Notice::TaskAssigned {
        task_id: task_id.to_owned(),
        request_id: request.id.clone(),
        item_name: item.map(|i| i.name).unwrap_or_default(),
        request_kind: request.kind,
        requester_name: requester.map(|u| u.name).unwrap_or_default(),
        beneficiary_name: beneficiary.map(|u| u.name).unwrap_or_default(),
        step: position + 1,
    };
    let about = About {
        item_id: Some(&request.item_id),
        request_id: Some(&request.id),
    };
    super::chat::post(tx, &chats, &notice, about, task_id, now).await?;
    if mail {
        let to = approvers(tx, user_id, group).await?;
        let to: Vec<_> = to
            .into_iter()
            .filter(|r| r.id != request.requester_id && r.id != request.beneficiary_id)
            .collect();
        let to = super::digest::without_digest_readers(tx, to).await?;
        send(tx, &to, &notice, about, task_id, now).await?;
    }
    Ok(())
}

/// Tells the requester and the beneficiary that `request` was closed with
/// `outcome` (by `by`, who is not told of their own act).
pub async fn request_closed(
    tx: &mut Tx,
    request: &RequestRow,
    outcome: RequestStatus,
    by: Option<&str>,
    comment: Option<&str>,
    now: i64,
) -> Result<(), DomainError> {
    if !super::enabled(tx).await? {
        return Ok(());
    }
    let ids: Vec<&str> = [
        request.requester_id.as_str(),
        request.beneficiary_id.as_str(),
    ]
    .into_iter()
    .filter(|id| Some(*id) != by)
    .collect();
    let to = people(tx, &ids).await?;
    if to.is_empty() {
        return Ok(());
    }
    let by_name = match by {
        Some(id) => users::find_in(&mut **tx, id).await?.map(|u| u.name),
        None => None,
    };
    let item = items::find(&mut **tx, &request.item_id).await?;
    let notice = Notice::RequestClosed {
        request_id: request.id.clone(),
        item_name: item.map(|i| i.name).unwrap_or_default(),
        request_kind: request.kind,
        outcome,
        by_name,
        comment: comment.map(str::to_owned),
    };
    let about = About {
        item_id: Some(&request.item_id),
        request_id: Some(&request.id),
    };
    send(tx, &to, &notice, about, &request.id, now).await?;
    Ok(())
}

/// Tells `user_id` that their access to `item_id` reached its end date
/// (`end_date`).
pub async fn access_expired(
    tx: &mut Tx,
    (user_id, item_id): (&str, &str),
    end_date: Option<i64>,
    now: i64,
) -> Result<(), DomainError> {
    if !super::enabled(tx).await? {
        return Ok(());
    }
    let to = people(tx, &[user_id]).await?;
    let item = items::find(&mut **tx, item_id).await?;
    let notice = Notice::AccessExpired {
        item_name: item.map(|i| i.name).unwrap_or_default(),
    };
    let about = About {
        item_id: Some(item_id),
        request_id: None,
    };
    let key = format!("{item_id}:{}", end_date.unwrap_or(now));
    send(tx, &to, &notice, about, &key, now).await?;
    Ok(())
}

/// Tells the administrators (the members of the administrators' groups) when
/// a provisioning job fails after its last attempt.
pub struct ProvisioningFailures {
    admin_groups: Vec<String>,
}

impl ProvisioningFailures {
    pub fn new(admin_groups: Vec<String>) -> Arc<ProvisioningFailures> {
        Arc::new(ProvisioningFailures { admin_groups })
    }
}

#[async_trait::async_trait]
impl FailureListener for ProvisioningFailures {
    async fn failed(
        &self,
        tx: &mut Tx,
        job: &JobRow,
        error: &str,
        now: i64,
    ) -> Result<(), DomainError> {
        if job.kind != JobKind::Provision || !super::enabled(tx).await? {
            return Ok(());
        }
        let mut to = Vec::new();
        for group in &self.admin_groups {
            for admin in store::members_of(&mut **tx, group, 200).await? {
                if !to.iter().any(|r: &store::Recipient| r.id == admin.id) {
                    to.push(admin);
                }
            }
        }
        let item_name = match &job.item_id {
            Some(id) => items::find(&mut **tx, id).await?.map(|i| i.name),
            None => None,
        };
        let person_name = match &job.user_id {
            Some(id) => users::find_in(&mut **tx, id).await?.map(|u| u.name),
            None => None,
        };
        let notice = Notice::ProvisioningFailed {
            job_id: job.id.clone(),
            item_name: item_name.unwrap_or_default(),
            person_name: person_name.unwrap_or_default(),
            operation: job.operation,
            error: error.to_owned(),
        };
        let about = About {
            item_id: job.item_id.as_deref(),
            request_id: job.request_id.as_deref(),
        };
        let key = format!("{}:{}", job.id, now);
        send(tx, &to, &notice, about, &key, now).await?;
        Ok(())
    }
}
