use super::*;

fn everyone() -> crate::domain::people::PeopleQuery {
    crate::domain::people::PeopleQuery::parse("", None).unwrap()
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
    let offered = approvals::eligible_assignees(&w.db, &w.bob, &task, &everyone(), &w.fallback)
        .await
        .unwrap();
    let names: Vec<_> = offered.rows.iter().map(|p| p.name.as_str()).collect();
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
    // A named approver who is no longer an approver never gets the step: it
    // falls back. (Naming a non-approver is refused: `domain::tests::people`.)
    let named_dave = w.item_approved_by("Exports", &w.dave).await;
    crate::db::users::upsert_at_sign_in(
        &w.db,
        &crate::db::users::SignInProfile {
            issuer: crate::domain::tests::ISSUER,
            subject: "dave",
            name: "Dave Example",
            email: None,
            login_name: None,
            groups: &["staff".to_string()],
        },
    )
    .await
    .unwrap();
    let r = w.request(&w.alice, &named_dave).await;
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
pub(in crate::domain::tests) async fn session_of(
    w: &World,
    who: &CurrentUser,
) -> tower_sessions::session::Id {
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

pub(in crate::domain::tests) async fn session_alive(
    w: &World,
    id: &tower_sessions::session::Id,
) -> bool {
    use tower_sessions::SessionStore as _;
    let store = crate::db::session_store::DbSessionStore::new(w.db.clone());
    store.load(id).await.unwrap().is_some()
}

/// A token of `who`, created through its step-up.
pub(in crate::domain::tests) async fn token_of(
    w: &World,
    who: &CurrentUser,
    login: &str,
) -> String {
    let me = (who, "s");
    let challenge = challenge_of(
        tokens::create(&w.db, me, ("ci", 30, &Scope::ALL), 90, None)
            .await
            .unwrap_err(),
    );
    sign(w, who, login, "s", &challenge).await;
    tokens::create(&w.db, me, ("ci", 30, &Scope::ALL), 90, Some(&challenge))
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
            issuer: crate::domain::tests::ISSUER,
            subject: "bob",
            name: "Bob Example",
            email: None,
            login_name: None,
            groups: &groups,
        },
        &w.fallback.roles,
    )
    .await
    .unwrap_err();
    assert!(matches!(again, DomainError::Forbidden(_)));
}
