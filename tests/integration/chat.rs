//! Chat notifications end to end (issue 18): an administrator sets the
//! organisation's and an item's incoming webhooks; a new task is posted to
//! both, once, through the outbox, with a link to the task; a chat that is
//! down is retried; the URL (the credential) never reaches a page, the audit
//! trail, a job or a log line; bad input is refused and changes nothing.
//!
//! The app's own worker loop is off (`COUNTERSIGN_OUTBOX_INTERVAL_MS=0`): each
//! test runs the worker itself at the time it chooses.

use app::{
    domain::now,
    types::{AccessItem, Role},
};
use serde_json::Value;

use crate::{
    provisioning::KEY,
    support::{Browser, TestApp},
    webhook_receiver::Receiver,
};

/// The part of a webhook URL that is the credential.
const SECRET_PATH: &str = "T0SECRET/B0SECRET/xoxChatCredential";

async fn app() -> TestApp {
    TestApp::builder()
        .with_config(&[
            ("COUNTERSIGN_SECRET_KEY", KEY),
            ("COUNTERSIGN_OUTBOX_INTERVAL_MS", "0"),
        ])
        .spawn()
        .await
}

fn hook(receiver: &Receiver) -> String {
    format!("{}?path={SECRET_PATH}", receiver.url())
}

/// carol (an administrator) saves a webhook: `item_id` empty for the
/// organisation's.
async fn save(
    carol: &Browser,
    item_id: &str,
    version: &str,
    url: &str,
    format: &str,
) -> (u16, Value) {
    let (status, body) = carol
        .server_fn(
            "/api/chat/save",
            &[
                ("item_id", item_id),
                ("version", version),
                ("url", url),
                ("format", format),
            ],
        )
        .await;
    (status.as_u16(), body)
}

async fn stored(app: &TestApp) -> Vec<(String, String, i64)> {
    sqlx::query_as("SELECT scope, url_sealed, version FROM chat_webhooks ORDER BY scope")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

/// The states of the chat jobs of `request`.
async fn chat_jobs(app: &TestApp, request: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT state FROM outbox_jobs WHERE request_id = $1 AND kind = 'chat' ORDER BY id",
    )
    .bind(request)
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

async fn item(app: &TestApp, name: &str) -> AccessItem {
    let bob = app.person("bob", &[Role::Approver]).await;
    app.item_approved_by(name, &bob).await
}

async fn signed_in(app: &TestApp, login: &str) -> Browser {
    let browser = app.new_browser();
    browser.sign_in(login).await;
    browser
}

/// carol (an administrator) and bob (an approver) in their browsers; alice
/// has signed in once.
async fn people(app: &TestApp) -> (Browser, Browser) {
    let carol = signed_in(app, "carol").await;
    let bob = signed_in(app, "bob").await;
    signed_in(app, "alice").await;
    (carol, bob)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_task_is_posted_once_to_the_organisations_and_the_items_chat() {
    let app = app().await;
    let (carol, bob) = people(&app).await;
    let org_chat = Receiver::open().await;
    let item_chat = Receiver::open().await;
    let payroll = item(&app, "Payroll").await;
    let other = item(&app, "Other").await;

    let (status, body) = save(&carol, "", "0", &hook(&org_chat), "slack").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["host"], "127.0.0.1");
    assert_eq!(body["version"], 1);
    let (status, body) = save(&carol, &payroll.id, "0", &hook(&item_chat), "teams").await;
    assert_eq!(status, 200, "{body}");

    let alice = app.person("alice", &[]).await;
    let (request, task) = app.pending_request(&alice, &payroll, "Month end").await;
    let (other_request, _) = app.pending_request(&alice, &other, "Also").await;
    let jobs = chat_jobs(&app, &request).await;
    assert_eq!(jobs.len(), 2, "one job per channel: {jobs:?}");
    assert_eq!(
        chat_jobs(&app, &other_request).await.len(),
        1,
        "only the organisation's"
    );

    let report = app.worker.run_due(now()).await.unwrap();
    assert_eq!(report.done, 3, "{report:?}");
    // Run again: nothing is posted twice.
    app.worker.run_due(now() + 3600).await.unwrap();

    let org_posts = org_chat.posts();
    assert_eq!(org_posts.len(), 2, "{org_posts:?}");
    let text = org_posts
        .iter()
        .map(|p| p["text"].as_str().unwrap_or_default().to_owned())
        .find(|t| t.contains("Payroll"))
        .expect("the Payroll task was posted");
    assert!(text.contains("Alice"), "{text}");
    let link = format!("{}/inbox#task-{task}", app.origin());
    assert!(text.contains(&format!("<{link}|Open the task>")), "{text}");

    let item_posts = item_chat.posts();
    assert_eq!(item_posts.len(), 1, "{item_posts:?}");
    let card = &item_posts[0]["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["actions"][0]["url"], link.as_str());
    assert!(
        card["body"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Payroll")
    );

    // The link opens bob's task.
    let inbox = bob.get("/inbox").await.text().await.unwrap();
    assert!(
        inbox.contains(&format!("id=\"task-{task}\"")),
        "the inbox shows the task"
    );

    // The URL is a credential: it is nowhere but sealed in its row.
    let audit: Vec<(String,)> = sqlx::query_as("SELECT details_json FROM audit_log")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let changes: Vec<&(String,)> = audit
        .iter()
        .filter(|(d,)| d.contains("\"scope\""))
        .collect();
    assert_eq!(changes.len(), 2, "each change is audited");
    let payloads: Vec<(String,)> = sqlx::query_as("SELECT payload_json FROM outbox_jobs")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let view = carol
        .server_fn("/api/chat/get", &[("item_id", "")])
        .await
        .1
        .to_string();
    let settings = carol.get("/admin/settings").await.text().await.unwrap();
    for (place, text) in [
        ("audit", format!("{audit:?}")),
        ("jobs", format!("{payloads:?}")),
        ("view", view),
        ("settings page", settings),
        ("logs", app.server_log()),
    ] {
        assert!(
            !text.contains("xoxChatCredential"),
            "the URL leaked into {place}"
        );
    }
    for (_, sealed, _) in stored(&app).await {
        assert!(!sealed.contains("xoxChatCredential"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_that_is_down_is_retried_and_gets_each_task_once() {
    let app = app().await;
    let (carol, _) = people(&app).await;
    let chat = Receiver::open().await;
    let payroll = item(&app, "Payroll").await;
    assert_eq!(save(&carol, "", "0", &hook(&chat), "slack").await.0, 200);
    chat.answer(503);

    let alice = app.person("alice", &[]).await;
    let (request, _) = app.pending_request(&alice, &payroll, "Month end").await;
    let t0 = now();
    let report = app.worker.run_due(t0).await.unwrap();
    assert_eq!((report.done, report.retrying), (0, 1), "{report:?}");
    assert_eq!(chat_jobs(&app, &request).await, ["queued"]);

    chat.answer(200);
    let report = app.worker.run_due(t0 + 3600).await.unwrap();
    assert_eq!(report.done, 1, "{report:?}");
    assert_eq!(chat.posts().len(), 1);
    assert_eq!(chat.deliveries().len(), 2, "one refused, one accepted");
    assert_eq!(chat_jobs(&app, &request).await, ["done"]);

    // A webhook that no longer exists (404) fails for good, visibly.
    chat.answer(404);
    let (second, _) = app
        .pending_request(&alice, &item(&app, "Ledger").await, "x")
        .await;
    let report = app.worker.run_due(t0 + 7200).await.unwrap();
    assert_eq!(report.failed, 1, "{report:?}");
    assert_eq!(chat_jobs(&app, &second).await, ["failed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_webhook_posts_nothing_more_and_the_test_message_arrives() {
    let app = app().await;
    let (carol, _) = people(&app).await;
    let chat = Receiver::open().await;
    let payroll = item(&app, "Payroll").await;
    assert_eq!(
        save(&carol, &payroll.id, "0", &hook(&chat), "slack")
            .await
            .0,
        200
    );

    let (status, body) = carol
        .server_fn("/api/chat/test", &[("item_id", &payroll.id)])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("accepted"), "{body}");
    assert_eq!(chat.posts().len(), 1);
    assert!(
        chat.posts()[0]["text"]
            .as_str()
            .unwrap()
            .contains("Countersign can post here")
    );

    // A task written before the removal is not posted after it.
    let alice = app.person("alice", &[]).await;
    let (request, _) = app.pending_request(&alice, &payroll, "Before").await;
    let (status, body) = carol
        .server_fn(
            "/api/chat/save",
            &[
                ("item_id", payroll.id.as_str()),
                ("version", "1"),
                ("format", "slack"),
                ("remove", "on"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["host"], Value::Null);
    app.worker.run_due(now()).await.unwrap();
    assert_eq!(chat_jobs(&app, &request).await, ["done"]);
    assert_eq!(chat.posts().len(), 1, "nothing posted after the removal");
    let (later, _) = app
        .pending_request(&alice, &item(&app, "Ledger").await, "After")
        .await;
    assert!(chat_jobs(&app, &later).await.is_empty());
    assert!(stored(&app).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_chat_settings_are_refused_and_change_nothing() {
    let app = app().await;
    let (carol, bob) = people(&app).await;
    let chat = Receiver::open().await;
    let payroll = item(&app, "Payroll").await;

    let refusals: [(&Browser, &str, &str, &str, &str, u16, &str); 6] = [
        (&bob, "", "0", &hook(&chat), "slack", 403, ""),
        (
            &carol,
            "",
            "0",
            "http://chat.example.com/hook",
            "slack",
            400,
            "https",
        ),
        (&carol, "", "0", "not a url", "slack", 400, "absolute URL"),
        (
            &carol,
            "",
            "0",
            &hook(&chat),
            "irc",
            400,
            "Slack-compatible or Microsoft Teams",
        ),
        (
            &carol,
            "",
            "0",
            "",
            "slack",
            400,
            "enter the incoming-webhook URL",
        ),
        (&carol, "no-such-item", "0", &hook(&chat), "slack", 404, ""),
    ];
    for (who, item_id, version, url, format, status, says) in refusals {
        let (got, body) = save(who, item_id, version, url, format).await;
        assert_eq!(got, status, "{url} {format}: {body}");
        assert!(body.to_string().contains(says), "{body}");
    }
    assert!(stored(&app).await.is_empty(), "nothing was stored");

    // A stale version is refused and keeps what is stored.
    assert_eq!(
        save(&carol, &payroll.id, "0", &hook(&chat), "slack")
            .await
            .0,
        200
    );
    let before = stored(&app).await;
    let (status, body) = save(&carol, &payroll.id, "0", &hook(&chat), "teams").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(stored(&app).await, before);
    // bob may neither read nor test it.
    let (status, _) = bob
        .server_fn("/api/chat/get", &[("item_id", &payroll.id)])
        .await;
    assert_eq!(status, 403);
    let (status, _) = bob
        .server_fn("/api/chat/test", &[("item_id", &payroll.id)])
        .await;
    assert_eq!(status, 403);
    assert!(chat.deliveries().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_secret_key_no_webhook_can_be_stored() {
    let app = TestApp::builder()
        .with_config(&[("COUNTERSIGN_OUTBOX_INTERVAL_MS", "0")])
        .spawn()
        .await;
    let carol = signed_in(&app, "carol").await;
    let (status, body) = save(&carol, "", "0", "https://hooks.example.com/x", "slack").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string().contains("COUNTERSIGN_SECRET_KEY"),
        "{body}"
    );
    assert!(stored(&app).await.is_empty());
}
