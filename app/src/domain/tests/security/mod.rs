//! The security review's rules (issue 14): every path that ends in access to an
//! item whose approvals must be e-signed carries a signature for every step;
//! weakening a control needs step-up; freshness is newer than the sign-in;
//! reassignment and reading stay with the people entitled to them.

mod freshness;
pub(super) mod people;
mod signing_paths;
mod step_up;

use super::{World, decide_as, named, no_skew, token_for, web};
use crate::{
    db::{assignments, challenges, org_config},
    domain::{
        DomainError, approvals, items, now, org, reauth,
        reauth::{Freshness, ReauthRefusal},
        requests, tokens,
    },
    types::{
        AccessItem, AccessRequestConfig, Approver, CurrentUser, Decision, RequestStatus, Role,
        Scope, TaskState,
    },
};

fn challenge_of(err: DomainError) -> String {
    match err {
        DomainError::ReauthRequired { challenge_id } => challenge_id,
        other => panic!("expected ReauthRequired, got {other:?}"),
    }
}

/// `who` (signed in as `login`) re-authenticates for `challenge` now.
async fn sign(w: &World, who: &CurrentUser, login: &str, session: &str, challenge: &str) {
    reauth::verify(
        &w.db,
        (&who.id, session),
        challenge,
        &token_for(login, now()),
        no_skew(),
    )
    .await
    .expect("re-authentication verified");
}

/// Approves `tasks` as `who`, re-authenticating when asked, in a sign-in of its
/// own (two re-authentications of one sign-in in the same second would rightly
/// not count as fresh).
async fn approve_signed(w: &World, who: &CurrentUser, login: &str, tasks: &[String]) {
    let session = format!("{login}-{}", crate::domain::new_id());
    let first = decide_as(w, (who, &session), tasks, (Decision::Approve, "ok"), None).await;
    let challenge = match first {
        Ok(_) => return,
        Err(err) => challenge_of(err),
    };
    sign(w, who, login, &session, &challenge).await;
    decide_as(
        w,
        (who, &session),
        tasks,
        (Decision::Approve, "ok"),
        Some(&challenge),
    )
    .await
    .expect("signed approval");
}

/// The request granted access, and every approved step of it carries an
/// e-signature in the audit trail.
async fn assert_granted_and_every_step_signed(w: &World, request: &str, beneficiary: &str) {
    assert_eq!(w.status(request).await, RequestStatus::Approved);
    let row = crate::db::requests::find(w.db.pool(), request)
        .await
        .unwrap()
        .unwrap();
    assert!(
        assignments::holds(w.db.pool(), beneficiary, &row.item_id)
            .await
            .unwrap()
    );
    let tasks = crate::db::tasks::of_request(w.db.pool(), request)
        .await
        .unwrap();
    let approved: Vec<_> = tasks
        .iter()
        .filter(|t| t.state == TaskState::Approved)
        .collect();
    assert!(!approved.is_empty());
    for task in approved {
        let record = crate::db::audit::for_target(w.db.pool(), "approval_task", &task.id)
            .await
            .unwrap()
            .expect("audit record of the step");
        assert_eq!(record.action, "approval.approved", "step {}", task.position);
        assert!(
            record.details["e_signature"]["id_token"].is_string(),
            "step {} carries its signature",
            task.position
        );
    }
}

/// An item owned by `owner` with `steps`, whose approvals must be e-signed
/// (window 0), with the organisation's flag on.
async fn signed_item(w: &World, name: &str, owner: &CurrentUser, steps: &[Approver]) -> AccessItem {
    let item = w.item(name, owner, steps).await;
    w.require_reauth(&item, 0).await
}
