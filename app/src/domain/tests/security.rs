//! The security review's rules (issue 14): every path that ends in access to an
//! item whose approvals must be e-signed carries a signature for every step;
//! weakening a control needs step-up; freshness is newer than the sign-in;
//! reassignment and reading stay with the people entitled to them.

use super::{World, decide_as, named, no_skew, token_for, web};
use crate::{
    db::{assignments, challenges, org_config},
    domain::{
        DomainError, approvals, items, now, org, reauth,
        reauth::{Freshness, ReauthRefusal},
        requests, tokens,
    },
    types::{
        AccessItem, AccessRequestConfig, Approver, CurrentUser, Decision, RequestStatus, TaskState,
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

#[tokio::test]
async fn auto_approval_never_approves_a_step_that_must_be_signed() {
    let w = World::new().await;
    let item = signed_item(&w, "Payroll", &w.bob, &[Approver::Owner]).await;
    let stored = org_config::load(w.db.pool()).await.unwrap();
    w.configure(AccessRequestConfig {
        auto_approval_enabled: true,
        ..stored.config
    })
    .await;
    let id = w.request(&w.bob, &item).await;
    let tasks = w.pending_tasks(&id).await;
    assert_eq!(tasks.len(), 1, "the step waits for a signature");
    assert!(!tasks[0].automatic);
    assert_eq!(tasks[0].approver_group.as_deref(), Some("admins"));
    assert_eq!(w.status(&id).await, RequestStatus::Pending);
    assert!(
        !assignments::holds(w.db.pool(), &w.bob.id, &item.id)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn every_path_that_grants_a_signed_item_carries_a_signature_for_every_step() {
    let w = World::new().await;
    let two_steps = [named(&w.bob), named(&w.dave)];
    let item = signed_item(&w, "Payroll", &w.carol, &two_steps).await;
    // One at a time, each step signed.
    let single = w.request(&w.alice, &item).await;
    approve_signed(
        &w,
        &w.bob,
        "bob",
        &[w.pending_tasks(&single).await[0].id.clone()],
    )
    .await;
    approve_signed(
        &w,
        &w.dave,
        "dave",
        &[w.pending_tasks(&single).await[0].id.clone()],
    )
    .await;
    assert_granted_and_every_step_signed(&w, &single, &w.alice.id).await;
    // A batch: one signature covers the batch, recorded on each step.
    let other = signed_item(&w, "Ledger", &w.carol, &[named(&w.bob)]).await;
    let a = w.request(&w.alice, &other).await;
    let b = w.request(&w.erin, &other).await;
    let batch = vec![
        w.pending_tasks(&a).await[0].id.clone(),
        w.pending_tasks(&b).await[0].id.clone(),
    ];
    approve_signed(&w, &w.bob, "bob", &batch).await;
    assert_granted_and_every_step_signed(&w, &a, &w.alice.id).await;
    assert_granted_and_every_step_signed(&w, &b, &w.erin.id).await;
    // Reassigned, then approved by the new assignee: still signed.
    let handed = signed_item(&w, "Treasury", &w.carol, &[named(&w.bob)]).await;
    let (r, task) = w.pending_request(&w.alice, &handed).await;
    approvals::reassign(
        &w.db,
        &web(&w.bob, "s"),
        (&task, &w.dave.id),
        "On leave",
        &w.fallback,
    )
    .await
    .unwrap();
    approve_signed(
        &w,
        &w.dave,
        "dave",
        &[w.pending_tasks(&r).await[0].id.clone()],
    )
    .await;
    assert_granted_and_every_step_signed(&w, &r, &w.alice.id).await;
    // Auto-approval: the requester's own step is not approved by the system.
    let stored = org_config::load(w.db.pool()).await.unwrap();
    w.configure(AccessRequestConfig {
        auto_approval_enabled: true,
        ..stored.config
    })
    .await;
    let own = signed_item(&w, "Vault", &w.bob, &[Approver::Owner, named(&w.dave)]).await;
    let mine = w.request(&w.bob, &own).await;
    assert_eq!(w.pending_tasks(&mine).await.len(), 1);
    assert_eq!(w.status(&mine).await, RequestStatus::Pending);
}

#[tokio::test]
async fn a_step_approved_before_the_item_required_signing_blocks_the_grant() {
    let w = World::new().await;
    let item = w
        .item("Payroll", &w.carol, &[named(&w.bob), named(&w.dave)])
        .await;
    let id = w.request(&w.alice, &item).await;
    approve_signed(
        &w,
        &w.bob,
        "bob",
        &[w.pending_tasks(&id).await[0].id.clone()],
    )
    .await;
    w.require_reauth(&item, 0).await;
    let last = w.pending_tasks(&id).await[0].id.clone();
    let session = "dave-session";
    let challenge = challenge_of(
        decide_as(
            &w,
            (&w.dave, session),
            std::slice::from_ref(&last),
            (Decision::Approve, "ok"),
            None,
        )
        .await
        .unwrap_err(),
    );
    sign(&w, &w.dave, "dave", session, &challenge).await;
    let before = w.audit_count().await;
    let err = decide_as(
        &w,
        (&w.dave, session),
        &[last],
        (Decision::Approve, "ok"),
        Some(&challenge),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
    assert_eq!(w.status(&id).await, RequestStatus::Pending);
    assert_eq!(w.audit_count().await, before, "nothing recorded");
}

#[tokio::test]
async fn weakening_the_organisation_configuration_needs_step_up() {
    let w = World::new().await;
    let weakenings = [
        AccessRequestConfig {
            auto_approval_enabled: true,
            ..Default::default()
        },
        AccessRequestConfig {
            default_reauth_window_minutes: 30,
            ..Default::default()
        },
    ];
    for weaker in weakenings {
        let stored = org::settings(&w.db, &w.carol, true).await.unwrap();
        let before = w.audit_count().await;
        let err = org::save(&w.db, &w.carol, "s", &weaker, stored.version, true, None)
            .await
            .unwrap_err();
        challenge_of(err);
        let after = org::settings(&w.db, &w.carol, true).await.unwrap();
        assert_eq!(after.config, stored.config, "nothing changed");
        assert_eq!(w.audit_count().await, before);
    }
    // Turning approvalsMustBeExternal off, once it is on.
    w.configure(AccessRequestConfig {
        approvals_must_be_external: true,
        ..Default::default()
    })
    .await;
    let stored = org::settings(&w.db, &w.carol, true).await.unwrap();
    let off = AccessRequestConfig::default();
    let challenge = challenge_of(
        org::save(&w.db, &w.carol, "s", &off, stored.version, true, None)
            .await
            .unwrap_err(),
    );
    sign(&w, &w.carol, "carol", "s", &challenge).await;
    let saved = org::save(
        &w.db,
        &w.carol,
        "s",
        &off,
        stored.version,
        true,
        Some(&challenge),
    )
    .await
    .unwrap();
    assert!(!saved.config.approvals_must_be_external);
}

#[tokio::test]
async fn strengthening_the_configuration_needs_no_step_up() {
    let w = World::new().await;
    let stored = org::settings(&w.db, &w.carol, true).await.unwrap();
    let stricter = AccessRequestConfig {
        approvals_must_be_external: true,
        ..Default::default()
    };
    org::save(&w.db, &w.carol, "s", &stricter, stored.version, true, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn changing_who_signs_for_a_signed_item_needs_step_up() {
    let w = World::new().await;
    let item = signed_item(&w, "Payroll", &w.carol, &[named(&w.bob)]).await;
    let input = items::ItemInput {
        kind: "application".into(),
        name: item.name.clone(),
        description: item.description.clone(),
        owner_id: w.bob.id.clone(),
        requestable: true,
        enabled: true,
    };
    let admin = (&w.carol, "s");
    let err = items::update(&w.db, admin, (&item.id, item.version), &input, None)
        .await
        .unwrap_err();
    challenge_of(err);
    let steps = [named(&w.dave)];
    let err = items::set_steps(&w.db, admin, (&item.id, item.version), &steps, None)
        .await
        .unwrap_err();
    let challenge = challenge_of(err);
    let unchanged = crate::db::items::steps(w.db.pool(), &item.id)
        .await
        .unwrap();
    assert_eq!(unchanged, vec![named(&w.bob)]);
    sign(&w, &w.carol, "carol", "s", &challenge).await;
    items::set_steps(
        &w.db,
        admin,
        (&item.id, item.version),
        &steps,
        Some(&challenge),
    )
    .await
    .unwrap();
    // An item without the requirement changes freely.
    let plain = w.item_approved_by("Wiki", &w.bob).await;
    items::set_steps(&w.db, admin, (&plain.id, plain.version), &steps, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn creating_a_personal_access_token_needs_step_up_and_a_bounded_life() {
    let w = World::new().await;
    let me = (&w.bob, "s");
    let too_long = tokens::create(&w.db, me, ("ci", 91), 90, None)
        .await
        .unwrap_err();
    assert!(matches!(
        too_long,
        DomainError::Invalid { field: "days", .. }
    ));
    let challenge = challenge_of(
        tokens::create(&w.db, me, ("ci", 30), 90, None)
            .await
            .unwrap_err(),
    );
    assert!(tokens::list(&w.db, &w.bob).await.unwrap().is_empty());
    sign(&w, &w.bob, "bob", "s", &challenge).await;
    let (row, secret) = tokens::create(&w.db, me, ("ci", 30), 90, Some(&challenge))
        .await
        .unwrap();
    assert!(secret.starts_with("cs_"));
    assert_eq!(row.expires_at - row.created_at, 30 * 86_400);
}

#[tokio::test]
async fn a_reauthentication_must_be_newer_than_the_sign_in() {
    let w = World::new().await;
    let item = signed_item(&w, "Payroll", &w.carol, &[named(&w.bob)]).await;
    let (_, task) = w.pending_request(&w.alice, &item).await;
    let session = "bob-session";
    let challenge = challenge_of(
        decide_as(
            &w,
            (&w.bob, session),
            std::slice::from_ref(&task),
            (Decision::Approve, "ok"),
            None,
        )
        .await
        .unwrap_err(),
    );
    // A provider that ignored prompt=login returns the sign-in's auth_time,
    // which lies within the skew of the challenge: still refused.
    let signed_in_at = now();
    let lenient = Freshness {
        signed_in_auth_time: signed_in_at,
        skew_secs: 60,
    };
    let same = reauth::verify(
        &w.db,
        (&w.bob.id, session),
        &challenge,
        &token_for("bob", signed_in_at),
        lenient,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        same,
        DomainError::ReauthRefused(ReauthRefusal::NotFresh)
    ));
    reauth::verify(
        &w.db,
        (&w.bob.id, session),
        &challenge,
        &token_for("bob", signed_in_at + 1),
        lenient,
    )
    .await
    .unwrap();
    // The next re-authentication must be newer than that one, too.
    decide_as(
        &w,
        (&w.bob, session),
        &[task],
        (Decision::Approve, "ok"),
        Some(&challenge),
    )
    .await
    .unwrap();
    let (_, next) = w.pending_request(&w.erin, &item).await;
    let second = challenge_of(
        decide_as(
            &w,
            (&w.bob, session),
            &[next],
            (Decision::Approve, "ok"),
            None,
        )
        .await
        .unwrap_err(),
    );
    let replayed = reauth::verify(
        &w.db,
        (&w.bob.id, session),
        &second,
        &token_for("bob", signed_in_at + 1),
        lenient,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        replayed,
        DomainError::ReauthRefused(ReauthRefusal::NotFresh)
    ));
}

#[tokio::test]
async fn a_refused_action_asked_again_reuses_its_open_challenge() {
    let w = World::new().await;
    let item = signed_item(&w, "Payroll", &w.carol, &[named(&w.bob)]).await;
    let id = w.request(&w.alice, &item).await;
    let task = vec![w.pending_tasks(&id).await[0].id.clone()];
    let ask = || decide_as(&w, (&w.bob, "s"), &task, (Decision::Approve, "ok"), None);
    let first = challenge_of(ask().await.unwrap_err());
    let second = challenge_of(ask().await.unwrap_err());
    assert_eq!(first, second);
}

#[tokio::test]
async fn expired_unverified_challenges_are_purged_and_verified_ones_kept() {
    let w = World::new().await;
    let item = signed_item(&w, "Payroll", &w.carol, &[named(&w.bob)]).await;
    let id = w.request(&w.alice, &item).await;
    let task = vec![w.pending_tasks(&id).await[0].id.clone()];
    let open = challenge_of(
        decide_as(&w, (&w.bob, "s"), &task, (Decision::Approve, "ok"), None)
            .await
            .unwrap_err(),
    );
    let kept = challenge_of(
        decide_as(&w, (&w.bob, "s"), &task, (Decision::Approve, "other"), None)
            .await
            .unwrap_err(),
    );
    sign(&w, &w.bob, "bob", "s", &kept).await;
    crate::db::test_db::age_challenges(&w.db, reauth::CHALLENGE_TTL_SECS + 1).await;
    assert_eq!(reauth::purge_expired(&w.db).await.unwrap(), 1);
    assert!(
        challenges::find(w.db.pool(), &open)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        challenges::find(w.db.pool(), &kept)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn reassignment_goes_only_to_people_who_could_approve_the_step() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let (_, task) = w.pending_request(&w.alice, &item).await;
    let to_auditor = approvals::reassign(
        &w.db,
        &web(&w.bob, "s"),
        (&task, &w.erin.id),
        "Please",
        &w.fallback,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        to_auditor,
        DomainError::Invalid { field: "to", .. }
    ));
    let offered = approvals::eligible_assignees(&w.db, &w.bob, &task, "", &w.fallback)
        .await
        .unwrap();
    let names: Vec<_> = offered.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["Dave Example"],
        "approvers only, not bob himself"
    );
    // A group step goes only to the group's members.
    let group = w
        .item(
            "Audit log",
            &w.carol,
            &[Approver::Group {
                group: "approvers".into(),
            }],
        )
        .await;
    let (g, gtask) = w.pending_request(&w.alice, &group).await;
    let to_admin = approvals::reassign(
        &w.db,
        &web(&w.bob, "s"),
        (&gtask, &w.carol.id),
        "Please",
        &w.fallback,
    )
    .await
    .unwrap_err();
    assert!(matches!(to_admin, DomainError::Invalid { field: "to", .. }));
    assert_eq!(w.pending_tasks(&g).await[0].id, gtask, "nothing changed");
}

#[tokio::test]
async fn deciding_needs_the_approver_role() {
    let w = World::new().await;
    // erin (an auditor) is a member of "auditors" but not an approver.
    let item = w
        .item(
            "Reports",
            &w.carol,
            &[Approver::Group {
                group: "auditors".into(),
            }],
        )
        .await;
    let id = w.request(&w.alice, &item).await;
    let task = vec![w.pending_tasks(&id).await[0].id.clone()];
    let err = decide_as(&w, (&w.erin, "s"), &task, (Decision::Approve, "ok"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
    assert_eq!(w.status(&id).await, RequestStatus::Pending);
    // A named approver who is not an approver never gets the step: it falls back.
    let named_erin = w.item_approved_by("Exports", &w.erin).await;
    let r = w.request(&w.alice, &named_erin).await;
    assert_eq!(
        w.pending_tasks(&r).await[0].approver_user_id.as_deref(),
        Some(w.carol.id.as_str()),
        "the owner takes it"
    );
}

#[tokio::test]
async fn a_request_is_read_only_by_the_people_involved() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let id = w.request(&w.alice, &item).await;
    for reader in [&w.alice, &w.bob, &w.carol, &w.erin] {
        requests::view(&w.db, reader, &id).await.unwrap();
    }
    let err = requests::view(&w.db, &w.dave, &id).await.unwrap_err();
    assert!(
        matches!(err, DomainError::NotFound(_)),
        "dave is an approver, not of this"
    );
    // A group step: its members read it, other approvers do not.
    let group = w
        .item(
            "Reports",
            &w.carol,
            &[Approver::Group {
                group: "finance".into(),
            }],
        )
        .await;
    let g = w.request(&w.alice, &group).await;
    assert!(requests::view(&w.db, &w.bob, &g).await.is_err());
}

#[tokio::test]
async fn with_approvals_external_the_web_cannot_decide_but_the_api_can() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let id = w.request(&w.alice, &item).await;
    w.configure(AccessRequestConfig {
        approvals_must_be_external: true,
        ..Default::default()
    })
    .await;
    let task = vec![w.pending_tasks(&id).await[0].id.clone()];
    let err = decide_as(&w, (&w.bob, "s"), &task, (Decision::Approve, "ok"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
    assert_eq!(w.status(&id).await, RequestStatus::Pending);
    let api = approvals::Caller {
        user: &w.bob,
        session_key: "token:1",
        channel: approvals::Channel::Api,
    };
    let command = approvals::DecideCommand {
        tasks: &task,
        decision: Decision::Approve,
        comment: "ok",
        proof: None,
    };
    approvals::decide(&w.db, &api, &command, &w.fallback)
        .await
        .unwrap();
    assert_eq!(w.status(&id).await, RequestStatus::Approved);
}

/// A live session of `who` in the session store, as signing in leaves one.
async fn session_of(w: &World, who: &CurrentUser) -> tower_sessions::session::Id {
    use tower_sessions::SessionStore as _;
    let mut record = tower_sessions::session::Record {
        id: tower_sessions::session::Id::default(),
        data: [(
            crate::auth::SESSION_USER.to_owned(),
            serde_json::json!({ "user_id": who.id, "signed_in_at": now(), "session_key": "k" }),
        )]
        .into_iter()
        .collect(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    let store = crate::db::session_store::DbSessionStore::new(w.db.clone());
    store.create(&mut record).await.unwrap();
    record.id
}

async fn session_alive(w: &World, id: &tower_sessions::session::Id) -> bool {
    use tower_sessions::SessionStore as _;
    let store = crate::db::session_store::DbSessionStore::new(w.db.clone());
    store.load(id).await.unwrap().is_some()
}

/// A token of `who`, created through its step-up.
async fn token_of(w: &World, who: &CurrentUser, login: &str) -> String {
    let me = (who, "s");
    let challenge = challenge_of(
        tokens::create(&w.db, me, ("ci", 30), 90, None)
            .await
            .unwrap_err(),
    );
    sign(w, who, login, "s", &challenge).await;
    tokens::create(&w.db, me, ("ci", 30), 90, Some(&challenge))
        .await
        .unwrap()
        .1
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_and_revokes_every_token() {
    let w = World::new().await;
    let token = token_of(&w, &w.bob, "bob").await;
    let (laptop, phone) = (session_of(&w, &w.bob).await, session_of(&w, &w.bob).await);
    let others = session_of(&w, &w.dave).await;
    let ended = crate::domain::identity::sign_out_everywhere(&w.db, &w.bob.id)
        .await
        .unwrap();
    assert_eq!((ended.sessions, ended.tokens), (2, 1));
    assert!(!session_alive(&w, &laptop).await && !session_alive(&w, &phone).await);
    assert!(
        session_alive(&w, &others).await,
        "dave's session is his own"
    );
    assert!(tokens::authenticate(&w.db, &token).await.unwrap().is_none());
}

#[tokio::test]
async fn a_disabled_person_cannot_sign_in_and_loses_sessions_and_tokens() {
    let w = World::new().await;
    let token = token_of(&w, &w.bob, "bob").await;
    let session = session_of(&w, &w.bob).await;
    let not_admin = crate::domain::identity::disable(&w.db, &w.dave, &w.bob.id)
        .await
        .unwrap_err();
    assert!(matches!(not_admin, DomainError::Forbidden(_)));
    assert!(tokens::authenticate(&w.db, &token).await.unwrap().is_some());
    crate::domain::identity::disable(&w.db, &w.carol, &w.bob.id)
        .await
        .unwrap();
    assert!(!session_alive(&w, &session).await);
    assert!(tokens::authenticate(&w.db, &token).await.unwrap().is_none());
    let groups = vec!["approvers".to_string()];
    let again = crate::domain::identity::record_sign_in(
        &w.db,
        &crate::db::users::SignInProfile {
            issuer: super::ISSUER,
            subject: "bob",
            name: "Bob Example",
            email: None,
            groups: &groups,
        },
        &w.fallback.roles,
    )
    .await
    .unwrap_err();
    assert!(matches!(again, DomainError::Forbidden(_)));
}
