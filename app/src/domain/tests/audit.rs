use super::World;
use crate::{
    domain::audit::{self, AuditActor, Entry, verify_chain},
    types::Approver,
};

async fn scenario(w: &World) {
    let item = w
        .item(
            "Payroll",
            &w.carol,
            &[Approver::User {
                user_id: w.bob.id.clone(),
            }],
        )
        .await;
    let id = w.request(&w.alice, &item).await;
    let task = w.pending_tasks(&id).await.remove(0).id;
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
    sqlx::query("UPDATE audit_log SET actor_name = 'Mallory' WHERE seq = 3")
        .execute(w.db.pool())
        .await
        .unwrap();
    let report = verify_chain(&w.db).await.unwrap();
    assert_eq!(report.broken.map(|(seq, _)| seq), Some(3));
}

#[tokio::test]
async fn deleting_a_record_is_detected() {
    let w = World::new().await;
    scenario(&w).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(w.db.pool())
        .await
        .unwrap();
    assert_eq!(
        verify_chain(&w.db).await.unwrap().broken.map(|(s, _)| s),
        Some(2)
    );
    let w = World::new().await;
    scenario(&w).await;
    let (last, _) = crate::db::audit::head(w.db.pool()).await.unwrap();
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
        async move {
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
    };
    let handles: Vec<_> = (0..16).map(|n| tokio::spawn(append(n))).collect();
    for h in handles {
        h.await.unwrap();
    }
    let report = verify_chain(&w.db).await.unwrap();
    assert_eq!(report.records, 16);
    assert_eq!(report.broken, None);
}
