use super::World;
use crate::{
    db::{Db, audit as store, test_db::drop_audit_guard},
    domain::{
        DomainError,
        audit::{self, Anchor, AuditActor, Entry, verify_chain, verify_chain_against},
    },
};

/// Runs `sql` against the trail as someone with the owner's rights would: the
/// append-only triggers dropped first.
async fn tamper(w: &World, sql: &str) {
    drop_audit_guard(&w.db).await.unwrap();
    sqlx::query(sql).execute(w.db.pool()).await.unwrap();
}

async fn append_system(db: &Db, n: usize) {
    let mut tx = db.write_tx().await.unwrap();
    audit::append(
        &mut tx,
        AuditActor::System,
        Entry {
            action: "test.append",
            target_kind: "test",
            target_id: &n.to_string(),
            item_id: None,
            request_id: None,
            details: serde_json::json!({ "n": n }),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Appends a record hashed the version-1 way, as Countersign wrote them before
/// version 2.
async fn append_version_1(w: &World, actor_id: Option<&str>) {
    let mut tx = w.db.write_tx().await.unwrap();
    let (seq, prev_hash) = store::lock_head(&mut tx).await.unwrap();
    let mut record = store::StoredRecord {
        hash_version: 1,
        seq,
        at: 1_700_000_000 + seq,
        actor_id: actor_id.map(str::to_owned),
        actor_issuer: None,
        actor_subject: None,
        actor_name: "Countersign (system)".into(),
        action: "test.legacy".into(),
        target_kind: "test".into(),
        target_id: seq.to_string(),
        item_id: None,
        request_id: None,
        details_json: r#"{"legacy":true}"#.into(),
        prev_hash,
        hash: String::new(),
    };
    record.hash = audit::hash_v1(&record);
    store::insert(&mut tx, &record).await.unwrap();
    tx.commit().await.unwrap();
}

async fn scenario(w: &World) {
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let (_, task) = w.pending_request(&w.alice, &item).await;
    super::decide_as(
        w,
        (&w.bob, "s"),
        &[task],
        (crate::types::Decision::Approve, "ok"),
        None,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_chain_verifies_after_a_realistic_scenario() {
    let w = World::new().await;
    scenario(&w).await;
    let report = verify_chain(&w.db).await.unwrap();
    assert!(report.records >= 5, "{report:?}");
    assert_eq!(report.broken, None);
}

#[tokio::test]
async fn editing_one_field_of_one_record_is_detected_at_that_record() {
    let w = World::new().await;
    scenario(&w).await;
    tamper(
        &w,
        "UPDATE audit_log SET actor_name = 'Mallory' WHERE seq = 3",
    )
    .await;
    let report = verify_chain(&w.db).await.unwrap();
    assert_eq!(report.broken.map(|(seq, _)| seq), Some(3));
}

#[tokio::test]
async fn deleting_a_record_is_detected() {
    let w = World::new().await;
    scenario(&w).await;
    tamper(&w, "DELETE FROM audit_log WHERE seq = 2").await;
    assert_eq!(
        verify_chain(&w.db).await.unwrap().broken.map(|(s, _)| s),
        Some(2)
    );
    let w = World::new().await;
    scenario(&w).await;
    let (last, _) = crate::db::audit::head(w.db.pool()).await.unwrap();
    drop_audit_guard(&w.db).await.unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = $1")
        .bind(last)
        .execute(w.db.pool())
        .await
        .unwrap();
    assert_eq!(
        verify_chain(&w.db).await.unwrap().broken.map(|(s, _)| s),
        Some(last),
        "removing the newest record"
    );
}

#[tokio::test]
async fn swapping_two_records_is_detected() {
    let w = World::new().await;
    scenario(&w).await;
    drop_audit_guard(&w.db).await.unwrap();
    for sql in [
        "UPDATE audit_log SET seq = 1000 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 1000",
    ] {
        sqlx::query(sql).execute(w.db.pool()).await.unwrap();
    }
    assert_eq!(
        verify_chain(&w.db).await.unwrap().broken.map(|(s, _)| s),
        Some(2)
    );
}

#[tokio::test]
async fn concurrent_appends_keep_one_chain() {
    let w = World::new().await;
    let append = |n: usize| {
        let db = w.db.clone();
        async move { append_system(&db, n).await }
    };
    let handles: Vec<_> = (0..16).map(|n| tokio::spawn(append(n))).collect();
    for h in handles {
        h.await.unwrap();
    }
    let report = verify_chain(&w.db).await.unwrap();
    assert_eq!(report.records, 16);
    assert_eq!(report.broken, None);
}

#[tokio::test]
async fn changing_who_acted_is_detected_at_that_record() {
    let w = World::new().await;
    scenario(&w).await;
    let who = store::find(w.db.pool(), 3).await.unwrap().unwrap();
    assert!(
        who.actor_subject.is_some(),
        "record 3 was written by a person"
    );
    tamper(
        &w,
        &format!(
            "UPDATE audit_log SET actor_id = '{}' WHERE seq = 3",
            w.dave.id
        ),
    )
    .await;

    let report = verify_chain(&w.db).await.unwrap();

    assert_eq!(report.broken.map(|(seq, _)| seq), Some(3));
}

#[tokio::test]
async fn details_are_hashed_as_stored_not_as_re_serialised() {
    let w = World::new().await;
    append_system(&w.db, 1).await;
    // The same JSON value, other bytes: version 1 could not tell.
    tamper(
        &w,
        r#"UPDATE audit_log SET details_json = '{ "n": 1 }' WHERE seq = 1"#,
    )
    .await;

    let report = verify_chain(&w.db).await.unwrap();

    assert_eq!(report.broken.map(|(seq, _)| seq), Some(1));
}

#[tokio::test]
async fn records_of_an_older_version_keep_verifying_and_new_ones_are_version_2() {
    let w = World::new().await;
    let before = w.audit_count().await;
    append_version_1(&w, None).await;
    append_version_1(&w, Some(&w.alice.id)).await;
    append_system(&w.db, 1).await;

    let report = verify_chain(&w.db).await.unwrap();

    assert_eq!(report.broken, None);
    assert_eq!(report.records, before + 3);
    let newest = store::stored_after(w.db.pool(), before + 2, 10)
        .await
        .unwrap();
    assert_eq!(newest[0].hash_version, audit::HASH_VERSION);
    assert_eq!(audit::HASH_VERSION, 2);
}

#[tokio::test]
async fn a_version_1_record_after_version_2_ones_is_refused_as_a_downgrade() {
    let w = World::new().await;
    append_system(&w.db, 1).await;
    append_version_1(&w, None).await;

    let report = verify_chain(&w.db).await.unwrap();

    let (seq, why) = report.broken.expect("a downgrade is refused");
    assert_eq!(seq, 2);
    assert!(why.contains("downgrade"), "{why}");
}

#[tokio::test]
async fn the_database_refuses_to_change_or_remove_an_audit_record() {
    let w = World::new().await;
    append_system(&w.db, 1).await;

    let update = sqlx::query("UPDATE audit_log SET actor_name = 'Mallory' WHERE seq = 1")
        .execute(w.db.pool())
        .await;
    let delete = sqlx::query("DELETE FROM audit_log WHERE seq = 1")
        .execute(w.db.pool())
        .await;

    for (what, outcome) in [("UPDATE", update), ("DELETE", delete)] {
        let err = outcome.expect_err("the trigger refuses it").to_string();
        assert!(
            err.contains("append-only"),
            "{what} ({:?}): {err}",
            w.db.backend()
        );
    }
    let kept = store::find(w.db.pool(), 1).await.unwrap().unwrap();
    assert_eq!(kept.actor_name, "Countersign (system)");
    assert_eq!(verify_chain(&w.db).await.unwrap().broken, None);
}

#[tokio::test]
async fn an_anchored_head_detects_a_consistently_rewritten_tail() {
    let w = World::new().await;
    for n in 0..4 {
        append_system(&w.db, n).await;
    }
    let anchor = audit::head(&w.db).await.unwrap();
    assert_eq!(anchor.seq, 4);
    assert_eq!(
        verify_chain_against(&w.db, std::slice::from_ref(&anchor))
            .await
            .unwrap()
            .broken,
        None
    );

    // Someone with write access drops the last two records, resets the head and
    // appends others: every hash and link is consistent again.
    let second = store::find(w.db.pool(), 2).await.unwrap().unwrap();
    tamper(&w, "DELETE FROM audit_log WHERE seq > 2").await;
    sqlx::query("UPDATE audit_head SET seq = 2, hash = $1 WHERE id = 1")
        .bind(&second.hash)
        .execute(w.db.pool())
        .await
        .unwrap();
    for n in 10..13 {
        append_system(&w.db, n).await;
    }
    assert_eq!(verify_chain(&w.db).await.unwrap().broken, None);

    let report = verify_chain_against(&w.db, &[anchor]).await.unwrap();

    let (seq, why) = report.broken.expect("the anchor is gone");
    assert_eq!(seq, 4);
    assert!(why.contains("anchored head"), "{why}");
}

#[test]
fn an_anchor_reads_as_audit_head_prints_it() {
    let hash = "ab".repeat(32);
    let anchor: Anchor = format!("12:{hash}").parse().unwrap();
    assert_eq!(anchor.to_string(), format!("12:{hash}"));
    assert!("12".parse::<Anchor>().is_err());
    assert!("x:ab".parse::<Anchor>().is_err());
    assert!(format!("-1:{hash}").parse::<Anchor>().is_err());
}

#[tokio::test]
async fn only_admins_and_auditors_read_the_audit_trail() {
    let w = World::new().await;
    scenario(&w).await;
    let everything = || audit::FilterForm::default();

    for reader in [&w.carol, &w.erin] {
        let page = audit::list(&w.db, reader, everything(), None, 50)
            .await
            .unwrap();
        assert!(!page.rows.is_empty());
        assert!(audit::get(&w.db, reader, page.rows[0].seq).await.is_ok());
        assert!(audit::export(&w.db, reader, Default::default()).is_ok());
    }
    for other in [&w.alice, &w.bob] {
        let forbidden = |r: Result<_, DomainError>| matches!(r, Err(DomainError::Forbidden(_)));
        assert!(forbidden(
            audit::list(&w.db, other, everything(), None, 50)
                .await
                .map(|_| ())
        ));
        assert!(forbidden(audit::get(&w.db, other, 1).await.map(|_| ())));
        assert!(forbidden(
            audit::export(&w.db, other, Default::default()).map(|_| ())
        ));
    }
}

#[tokio::test]
async fn the_audit_filter_names_a_malformed_day() {
    let w = World::new().await;
    let form = audit::FilterForm {
        until: "31/12/2025".into(),
        ..Default::default()
    };

    let err = audit::list(&w.db, &w.erin, form, None, 50)
        .await
        .unwrap_err();

    assert!(
        matches!(err, DomainError::Invalid { field: "until", .. }),
        "{err:?}"
    );
}
