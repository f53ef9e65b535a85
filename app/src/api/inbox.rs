//! The approver's inbox: pending tasks, decisions, reassignment.

use leptos::prelude::*;

use crate::types::{AppError, InboxView, Page};

/// The inbox page's tasks, and whether decisions are made in the
/// organisation's external system (`approvalsMustBeExternal`: read-only).
#[server(endpoint = "inbox/list")]
pub async fn inbox(before: Option<String>) -> Result<InboxView, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::inbox::view(&s.db, &user, before.as_deref(), 20).await?)
}

#[server(endpoint = "inbox/count")]
pub async fn inbox_count() -> Result<i64, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::inbox::inbox_count(&s.db, &user).await?)
}

/// Approves or denies the tasks (form fields `task_ids[]`, `decision` =
/// `approve`|`deny`, `comment`). An approval that must be e-signed answers
/// `ReauthRequired`; nothing is recorded before the proof.
#[server(endpoint = "inbox/decide")]
pub async fn decide(
    #[server(default)] task_ids: Vec<String>,
    decision: crate::types::Decision,
    comment: String,
) -> Result<usize, AppError> {
    use crate::domain::approvals::{self, Caller, Channel, DecideCommand};
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let caller = Caller {
        user: &user,
        session_key: &key,
        channel: Channel::Web,
    };
    let command = DecideCommand {
        tasks: &task_ids,
        decision,
        comment: &comment,
        proof: None,
    };
    let done = approvals::decide(&s.db, &caller, &command, &s.fallback).await?;
    super::after_plain_form(&format!("/inbox?decided={}", done.len()));
    Ok(done.len())
}

/// One task's card in the inbox: approve, deny or reassign it (`act`), with
/// the card's comment; `to_user_id` is the person chosen for a reassignment.
/// The same domain functions decide as for [`decide`] and [`reassign`]. Posted
/// by a plain form, it answers with the inbox saying what was done (and a
/// needed signature goes to the provider: `src/action_errors.rs`).
#[server(endpoint = "inbox/act")]
pub async fn act_on_task(
    task_id: String,
    act: crate::types::TaskAction,
    comment: String,
    to_user_id: Option<String>,
) -> Result<crate::types::TaskAction, AppError> {
    use crate::{
        domain::approvals::{self, Caller, Channel, DecideCommand},
        types::{Decision, TaskAction},
    };
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let caller = Caller {
        user: &user,
        session_key: &key,
        channel: Channel::Web,
    };
    let decision = match act {
        TaskAction::Approve => Some(Decision::Approve),
        TaskAction::Deny => Some(Decision::Deny),
        TaskAction::Reassign => None,
    };
    match decision {
        Some(decision) => {
            let tasks = [task_id];
            let command = DecideCommand {
                tasks: &tasks,
                decision,
                comment: &comment,
                proof: None,
            };
            approvals::decide(&s.db, &caller, &command, &s.fallback).await?;
        }
        None => {
            let to = to_user_id.as_deref().unwrap_or_default();
            approvals::reassign(&s.db, &caller, (&task_id, to), &comment, &s.fallback).await?;
        }
    }
    super::after_plain_form(&format!("/inbox?done={}", act.as_str()));
    Ok(act)
}

/// `to_user_id` is the person chosen in the picker (absent when nobody was).
#[server(endpoint = "inbox/reassign")]
pub async fn reassign(
    task_id: String,
    to_user_id: Option<String>,
    comment: String,
) -> Result<(), AppError> {
    use crate::domain::approvals::{self, Caller, Channel};
    let (user, key) = crate::auth::require_session()?;
    let s = crate::services::current()?;
    let caller = Caller {
        user: &user,
        session_key: &key,
        channel: Channel::Web,
    };
    Ok(approvals::reassign(
        &s.db,
        &caller,
        (&task_id, to_user_id.as_deref().unwrap_or_default()),
        &comment,
        &s.fallback,
    )
    .await?)
}

#[server(endpoint = "inbox/history")]
pub async fn inbox_history(
    before: Option<String>,
) -> Result<Page<crate::types::DecidedTask>, AppError> {
    let user = crate::auth::require_user()?;
    let s = crate::services::current()?;
    Ok(crate::domain::inbox::history(&s.db, &user, before.as_deref(), 25).await?)
}
