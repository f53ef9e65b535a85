//! Rows the code cannot read: a stored value that no enum spells is an error
//! naming its table, column and value, never read as some default.

use super::{
    Db, DbError,
    items::{self, ItemFields},
    requests::{self, NewRequest},
    tasks::{self, NewTask},
    test_db,
    users::{self, SignInProfile},
};
use crate::types::{ItemKind, RequestKind};

/// Bob's pending request for an item, with one task for bob: (request, task, bob).
async fn pending_request(db: &Db) -> (String, String, String) {
    let bob = users::upsert_at_sign_in(
        db,
        &SignInProfile {
            issuer: "https://idp.example.test",
            subject: "bob",
            name: "Bob",
            email: None,
            login_name: None,
            groups: &[],
        },
    )
    .await
    .expect("bob");
    let fields = ItemFields {
        kind: ItemKind::Application,
        name: "Payroll",
        description: "",
        owner_id: None,
        requestable: true,
        enabled: true,
    };
    items::insert(db.pool(), "item-1", &fields, &bob.id, 1)
        .await
        .expect("item");
    let mut tx = db.write_tx().await.expect("tx");
    let request = NewRequest {
        id: "request-1",
        kind: RequestKind::Grant,
        item_id: "item-1",
        requester_id: &bob.id,
        beneficiary_id: &bob.id,
        justification: "payday",
        end_date: None,
        now: 2,
    };
    requests::insert(&mut tx, &request).await.expect("request");
    let task = NewTask {
        id: "task-1",
        request_id: "request-1",
        position: 0,
        approver_user_id: Some(&bob.id),
        approver_group: None,
        manager_step: false,
        now: 2,
    };
    tasks::insert(&mut tx, &task).await.expect("task");
    tx.commit().await.expect("commit");
    ("request-1".into(), "task-1".into(), bob.id)
}

async fn store(db: &Db, sql: &str) {
    sqlx::query(sql).execute(db.pool()).await.expect(sql);
}

#[track_caller]
fn assert_unknown(err: DbError, table: &str, column: &str, value: &str) {
    assert!(
        matches!(
            &err,
            DbError::UnknownValue { table: t, column: c, value: v }
                if *t == table && *c == column && v == value
        ),
        "expected {table}.{column} = {value:?} named, got {err:?}"
    );
}

#[tokio::test]
async fn an_unknown_request_status_is_an_error_not_cancelled() {
    let (db, _database) = test_db::TestDatabase::migrated().await.expect("database");
    let (request, _, bob) = pending_request(&db).await;
    store(&db, "UPDATE access_requests SET status = 'on_hold'").await;

    let found = requests::find(db.pool(), &request).await.unwrap_err();
    let summary = requests::summary_of(db.pool(), &request).await.unwrap_err();
    let listed = requests::of_person(db.pool(), &bob, None, 10)
        .await
        .unwrap_err();

    for err in [found, summary, listed] {
        assert_unknown(err, "access_requests", "status", "on_hold");
    }
}

#[tokio::test]
async fn an_unknown_request_kind_is_an_error_not_grant() {
    let (db, _database) = test_db::TestDatabase::migrated().await.expect("database");
    let (request, _, _) = pending_request(&db).await;
    store(&db, "UPDATE access_requests SET kind = 'transfer'").await;

    let err = requests::find(db.pool(), &request).await.unwrap_err();

    assert_unknown(err, "access_requests", "kind", "transfer");
}

#[tokio::test]
async fn an_unknown_task_state_is_an_error_not_cancelled() {
    let (db, _database) = test_db::TestDatabase::migrated().await.expect("database");
    let (_, task, _) = pending_request(&db).await;
    store(&db, "UPDATE approval_tasks SET state = 'paused'").await;

    let err = tasks::find(db.pool(), &task).await.unwrap_err();

    assert_unknown(err, "approval_tasks", "state", "paused");
}

#[tokio::test]
async fn an_unknown_item_kind_is_an_error_in_the_inbox() {
    let (db, _database) = test_db::TestDatabase::migrated().await.expect("database");
    let (_, _, bob) = pending_request(&db).await;
    store(&db, "UPDATE access_items SET kind = 'printer'").await;

    let err = tasks::inbox(db.pool(), &bob, &[], None, 10)
        .await
        .unwrap_err();

    assert_unknown(err, "access_items", "kind", "printer");
}
