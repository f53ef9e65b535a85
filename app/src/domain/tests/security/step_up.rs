use super::*;

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
        let err = org::save(
            &w.db,
            &w.carol,
            "s",
            &weaker,
            stored.version,
            true,
            None,
            &w.fallback,
        )
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
        org::save(
            &w.db,
            &w.carol,
            "s",
            &off,
            stored.version,
            true,
            None,
            &w.fallback,
        )
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
        &w.fallback,
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
    org::save(
        &w.db,
        &w.carol,
        "s",
        &stricter,
        stored.version,
        true,
        None,
        &w.fallback,
    )
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
    let err = items::set_steps(
        &w.db,
        admin,
        (&item.id, item.version),
        (&steps, &w.fallback.roles),
        None,
    )
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
        (&steps, &w.fallback.roles),
        Some(&challenge),
    )
    .await
    .unwrap();
    // An item without the requirement changes freely.
    let plain = w.item_approved_by("Wiki", &w.bob).await;
    items::set_steps(
        &w.db,
        admin,
        (&plain.id, plain.version),
        (&steps, &w.fallback.roles),
        None,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn creating_a_personal_access_token_needs_step_up_and_a_bounded_life() {
    let w = World::new().await;
    let me = (&w.bob, "s");
    let too_long = tokens::create(&w.db, me, ("ci", 91, &Scope::ALL), 90, None)
        .await
        .unwrap_err();
    assert!(matches!(
        too_long,
        DomainError::Invalid { field: "days", .. }
    ));
    let challenge = challenge_of(
        tokens::create(&w.db, me, ("ci", 30, &Scope::ALL), 90, None)
            .await
            .unwrap_err(),
    );
    assert!(tokens::list(&w.db, &w.bob).await.unwrap().is_empty());
    sign(&w, &w.bob, "bob", "s", &challenge).await;
    let (row, secret) = tokens::create(&w.db, me, ("ci", 30, &Scope::ALL), 90, Some(&challenge))
        .await
        .unwrap();
    assert!(secret.starts_with("cs_"));
    assert_eq!(row.expires_at - row.created_at, 30 * 86_400);
}

#[tokio::test]
async fn a_token_keeps_the_scopes_signed_for_and_needs_at_least_one() {
    let w = World::new().await;
    let me = (&w.bob, "s");
    let none = tokens::create(&w.db, me, ("ci", 30, &[]), 90, None)
        .await
        .unwrap_err();
    assert!(matches!(
        none,
        DomainError::Invalid {
            field: "scopes",
            ..
        }
    ));
    let wanted = [Scope::Approve, Scope::Read, Scope::Read];
    let challenge = challenge_of(
        tokens::create(&w.db, me, ("ci", 30, &wanted), 90, None)
            .await
            .unwrap_err(),
    );
    sign(&w, &w.bob, "bob", "s", &challenge).await;
    // The signature covers the scopes: it cannot make a wider token.
    let wider = tokens::create(&w.db, me, ("ci", 30, &Scope::ALL), 90, Some(&challenge))
        .await
        .unwrap_err();
    assert!(matches!(
        wider,
        DomainError::ReauthRefused(ReauthRefusal::OtherAction)
    ));
    let (row, _) = tokens::create(&w.db, me, ("ci", 30, &wanted), 90, Some(&challenge))
        .await
        .unwrap();
    assert_eq!(row.scopes().unwrap(), vec![Scope::Read, Scope::Approve]);
    let listed = tokens::list(&w.db, &w.bob).await.unwrap();
    assert_eq!(
        listed[0].scopes().unwrap(),
        vec![Scope::Read, Scope::Approve]
    );
}

#[test]
fn a_token_does_what_its_scopes_and_its_owners_roles_now_both_allow() {
    use crate::domain::tokens::{ScopeRefusal, authorize};
    let person = |roles: Vec<Role>| CurrentUser {
        id: "u".into(),
        name: "U".into(),
        email: None,
        roles,
        groups: None,
    };
    let admin = person(vec![Role::Requester, Role::Admin]);
    let auditor = person(vec![Role::Requester, Role::Auditor]);
    let requester = person(vec![Role::Requester]);
    assert_eq!(authorize(&admin, &Scope::ALL, Scope::Admin), Ok(()));
    assert_eq!(
        authorize(&admin, &[Scope::Read], Scope::Admin),
        Err(ScopeRefusal::NotGranted(Scope::Admin))
    );
    assert!(matches!(
        authorize(&requester, &Scope::ALL, Scope::Admin),
        Err(ScopeRefusal::RoleLost(_))
    ));
    assert_eq!(authorize(&auditor, &[Scope::Audit], Scope::Audit), Ok(()));
    assert_eq!(authorize(&admin, &[Scope::Audit], Scope::Audit), Ok(()));
    assert!(matches!(
        authorize(&requester, &[Scope::Audit], Scope::Audit),
        Err(ScopeRefusal::RoleLost(_))
    ));
    for everyday in [Scope::Read, Scope::Request, Scope::Approve] {
        assert_eq!(authorize(&requester, &[everyday], everyday), Ok(()));
        let others: Vec<Scope> = Scope::ALL.into_iter().filter(|s| *s != everyday).collect();
        assert_eq!(
            authorize(&admin, &others, everyday),
            Err(ScopeRefusal::NotGranted(everyday))
        );
    }
}

#[tokio::test]
async fn creating_a_directory_token_needs_an_administrator_and_step_up() {
    use crate::domain::directory::tokens as directory_tokens;
    let w = World::new().await;
    let not_admin = directory_tokens::create(&w.db, (&w.bob, "s"), ("okta", 30), None)
        .await
        .unwrap_err();
    assert!(matches!(not_admin, DomainError::Forbidden(_)));
    let me = (&w.carol, "s");
    let too_long = directory_tokens::create(&w.db, me, ("okta", 731), None)
        .await
        .unwrap_err();
    assert!(matches!(
        too_long,
        DomainError::Invalid { field: "days", .. }
    ));
    let challenge = challenge_of(
        directory_tokens::create(&w.db, me, ("okta", 365), None)
            .await
            .unwrap_err(),
    );
    assert!(
        directory_tokens::list(&w.db, &w.carol)
            .await
            .unwrap()
            .is_empty()
    );
    sign(&w, &w.carol, "carol", "s", &challenge).await;
    let (row, secret) = directory_tokens::create(&w.db, me, ("okta", 365), Some(&challenge))
        .await
        .unwrap();
    assert!(secret.starts_with("csd_"));
    assert_eq!(row.expires_at - row.created_at, 365 * 86_400);
    // Only its hash is kept; the text works once, and a personal token's
    // check does not take it.
    assert!(!row.secret_hash.contains(&secret[4..]));
    let found = directory_tokens::authenticate(&w.db, &secret)
        .await
        .unwrap();
    assert_eq!(found.map(|t| t.id), Some(row.id.clone()));
    assert!(
        tokens::authenticate(&w.db, &secret)
            .await
            .unwrap()
            .is_none()
    );
    let forged = format!("{}x", &secret[..secret.len() - 1]);
    assert!(
        directory_tokens::authenticate(&w.db, &forged)
            .await
            .unwrap()
            .is_none()
    );
    let listed = directory_tokens::list(&w.db, &w.carol).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].created_by, "Carol Example");
    assert!(listed[0].last_used_at.is_some());

    directory_tokens::revoke(&w.db, &w.carol, &row.id)
        .await
        .unwrap();
    assert!(
        directory_tokens::authenticate(&w.db, &secret)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(w.audit_records("directory_token.created").await.len(), 1);
    assert_eq!(w.audit_records("directory_token.revoked").await.len(), 1);
}
