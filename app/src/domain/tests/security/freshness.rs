use super::*;

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
