//! `Idempotency-Key`: first call, replay, under way, another request, another
//! caller, a released key, and the clean-up after a day.

use serde_json::json;

use super::World;
use crate::{
    db::idempotency as store,
    domain::{
        DomainError,
        idempotency::{self, KEEP_SECS, Start},
        now,
    },
};

#[tokio::test]
async fn a_key_answers_once_per_caller_and_request() {
    let w = World::new().await;
    let call = (
        "create_request",
        &json!({ "item_id": "i", "justification": "j" }),
    );
    let Start::First(key) = idempotency::start(&w.db, "token:a", "k1", call)
        .await
        .unwrap()
    else {
        panic!("the first call with a key runs");
    };
    assert_eq!(
        idempotency::start(&w.db, "token:a", "k1", call)
            .await
            .unwrap(),
        Start::UnderWay
    );
    idempotency::finish(&w.db, &key, 201, "{\"id\":\"r\"}")
        .await
        .unwrap();
    assert_eq!(
        idempotency::start(&w.db, "token:a", "k1", call)
            .await
            .unwrap(),
        Start::Replay {
            status: 201,
            body: "{\"id\":\"r\"}".into()
        }
    );
    // Key order in the body does not matter; another value or operation does.
    let reordered = (
        "create_request",
        &json!({ "justification": "j", "item_id": "i" }),
    );
    assert!(matches!(
        idempotency::start(&w.db, "token:a", "k1", reordered)
            .await
            .unwrap(),
        Start::Replay { .. }
    ));
    let other = (
        "create_request",
        &json!({ "item_id": "i", "justification": "x" }),
    );
    assert_eq!(
        idempotency::start(&w.db, "token:a", "k1", other)
            .await
            .unwrap(),
        Start::OtherRequest
    );
    let elsewhere = ("decide", call.1);
    assert_eq!(
        idempotency::start(&w.db, "token:a", "k1", elsewhere)
            .await
            .unwrap(),
        Start::OtherRequest
    );
    // Another caller's same key is another key.
    assert!(matches!(
        idempotency::start(&w.db, "token:b", "k1", call)
            .await
            .unwrap(),
        Start::First(_)
    ));
}

#[tokio::test]
async fn a_released_key_runs_again_and_a_bad_key_is_refused() {
    let w = World::new().await;
    let call = ("decide", &json!({ "task_id": "t" }));
    let Start::First(key) = idempotency::start(&w.db, "token:a", "k2", call)
        .await
        .unwrap()
    else {
        panic!("first");
    };
    idempotency::release(&w.db, &key).await.unwrap();
    assert!(matches!(
        idempotency::start(&w.db, "token:a", "k2", call)
            .await
            .unwrap(),
        Start::First(_)
    ));
    for bad in ["", "tab\there", "é", &"k".repeat(256)] {
        let err = idempotency::start(&w.db, "token:a", bad, call)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                DomainError::Invalid {
                    field: "Idempotency-Key",
                    ..
                }
            ),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn keys_older_than_a_day_are_removed() {
    let w = World::new().await;
    let old = now() - KEEP_SECS - 1;
    assert!(
        store::claim(w.db.pool(), ("token:a", "old"), "h", old)
            .await
            .unwrap()
    );
    assert!(
        store::claim(w.db.pool(), ("token:a", "new"), "h", now())
            .await
            .unwrap()
    );
    assert_eq!(idempotency::purge_expired(&w.db).await.unwrap(), 1);
    assert!(
        store::find(w.db.pool(), ("token:a", "old"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store::find(w.db.pool(), ("token:a", "new"))
            .await
            .unwrap()
            .is_some()
    );
}
