//! Reminders, escalation and the daily digest end to end (issue 18): the real
//! app, its worker on a clock the test moves, mail to a real SMTP server on
//! loopback (aiosmtpd).
//!
//! The app's own worker loop is off (`COUNTERSIGN_OUTBOX_INTERVAL_MS=0`): each
//! test runs the worker itself at the time it chooses. A worker runs its
//! scheduled work at most once a minute of its clock, so each step moves the
//! clock on by more than that.

use app::{
    db::{audit::AuditFilter, tasks},
    domain::{escalation, now},
    types::{AccessItem, Role, TaskState},
};
use serde_json::{Value, json};

use crate::{
    smtp_sink::{Mail, SmtpSink},
    support::{Browser, TestApp},
};

const DAY: i64 = 86_400;

type Fields<'a> = Vec<(&'a str, &'a str)>;

async fn app_mailing_to(port: u16) -> TestApp {
    let mail = SmtpSink::config(port);
    let mut vars: Vec<(&str, &str)> = mail.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("COUNTERSIGN_OUTBOX_INTERVAL_MS", "0"));
    TestApp::builder().with_config(&vars).spawn().await
}

struct People {
    alice: Browser,
    bob: Browser,
    carol: Browser,
    dave: Browser,
}

async fn people(app: &TestApp) -> People {
    let p = People {
        alice: app.new_browser(),
        bob: app.new_browser(),
        carol: app.new_browser(),
        dave: app.new_browser(),
    };
    p.alice.sign_in("alice").await;
    p.bob.sign_in("bob").await;
    p.carol.sign_in("carol").await;
    p.dave.sign_in("dave").await;
    p
}

async fn item(app: &TestApp, name: &str) -> AccessItem {
    let bob = app.person("bob", &[Role::Approver]).await;
    app.item_approved_by(name, &bob).await
}

/// The settings as carol's page reads them.
async fn settings(carol: &Browser) -> Value {
    let (status, body) = carol.server_fn("/api/settings/get", &[]).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// carol saves the "Reminders and escalation" form: (field, value) pairs
/// besides the version.
async fn save_escalation(carol: &Browser, fields: &[(&str, &str)]) -> (u16, Value) {
    let version = settings(carol).await["version"].to_string();
    let mut form = vec![("escalation[version]".to_owned(), version)];
    for (field, value) in fields {
        form.push((format!("escalation[{field}]"), (*value).to_owned()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body) = carol
        .server_fn("/api/settings/save_escalation", &form)
        .await;
    (status.as_u16(), body)
}

async fn configure(carol: &Browser, fields: &[(&str, &str)]) {
    let (status, body) = save_escalation(carol, fields).await;
    assert_eq!(status, 200, "{body}");
}

async fn audit_of(app: &TestApp, action: &str) -> Vec<app::types::AuditRecord> {
    let filter = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    app::db::audit::list(app.db.pool(), &filter, None, 100)
        .await
        .expect("audit")
}

fn to<'a>(mails: &'a [Mail], address: &str, subject_starts: &str) -> Vec<&'a Mail> {
    mails
        .iter()
        .filter(|m| m.rcpt_to == [address] && m.subject.starts_with(subject_starts))
        .collect()
}

/// When the task opened (the clock the scan counts from).
async fn opened_at(app: &TestApp, task: &str) -> i64 {
    tasks::find(app.db.pool(), task)
        .await
        .expect("task")
        .expect("exists")
        .created_at
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_follow_the_configuration_then_the_task_escalates_to_the_fallback_person() {
    let sink = SmtpSink::start(0).await;
    let app = app_mailing_to(sink.port).await;
    let p = people(&app).await;
    let dave = app.person("dave", &[Role::Approver]).await;
    configure(
        &p.carol,
        &[
            ("days_between_reminders", "2"),
            ("max_reminders", "2"),
            ("days_until_escalation", "7"),
            ("fallback_person", &dave.id),
        ],
    )
    .await;
    // bob turns off every mail he can: reminders are essential and still come.
    let (status, _) = p
        .bob
        .server_fn(
            "/api/notifications/save",
            &[("choices[form]", "notifications")],
        )
        .await;
    assert_eq!(status, 200);
    let payroll = item(&app, "Payroll").await;
    let alice = app.person("alice", &[]).await;
    let (request, task) = app.pending_request(&alice, &payroll, "Month end").await;
    let t0 = opened_at(&app, &task).await;
    app.worker.run_due(now()).await.expect("run");
    assert_eq!(sink.wait_for(1).await.len(), 1, "bob's new task");

    let run = |at: i64| {
        let worker = app.worker.clone();
        async move { worker.run_due(at).await.expect("run") }
    };
    run(t0 + 2 * DAY - 120).await;
    assert_eq!(sink.mails().len(), 1, "not yet");
    run(t0 + 2 * DAY + 60).await;
    let mails = sink.wait_for(2).await;
    let first = to(&mails, "bob@example.com", "Reminder: approval waiting");
    assert_eq!(first.len(), 1, "{mails:#?}");
    assert_eq!(
        first[0].subject,
        "Reminder: approval waiting: Payroll for Alice Example"
    );
    assert!(first[0].text.contains("reminder 1 of at most 2"));
    assert!(first[0].header("List-Unsubscribe").is_none(), "essential");
    assert!(
        first[0]
            .link_under(&p.bob.origin())
            .expect("link")
            .ends_with(&format!("/inbox#task-{task}"))
    );
    run(t0 + 3 * DAY).await;
    run(t0 + 4 * DAY + 60).await;
    let mails = sink.wait_for(3).await;
    assert_eq!(
        to(&mails, "bob@example.com", "Reminder").len(),
        2,
        "{mails:#?}"
    );
    run(t0 + 6 * DAY + 60).await;
    run(t0 + 7 * DAY - 120).await;
    assert_eq!(sink.mails().len(), 3, "at most 2 reminders");

    // The bound: handed to dave, bob told, dave mailed as for a new task.
    run(t0 + 7 * DAY + 60).await;
    let mails = sink.wait_for(5).await;
    let escalated = to(&mails, "bob@example.com", "Approval escalated");
    assert_eq!(escalated.len(), 1, "{mails:#?}");
    assert!(escalated[0].text.contains("handed to Dave Example"));
    let new_task = to(&mails, "dave@example.com", "Approval needed: Payroll");
    assert_eq!(new_task.len(), 1, "{mails:#?}");
    let steps = tasks::of_request(app.db.pool(), &request)
        .await
        .expect("tasks");
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].state, TaskState::Reassigned);
    assert_eq!(
        steps[0].comment.as_deref(),
        Some("escalated after 7 days waiting")
    );
    assert_eq!(steps[1].state, TaskState::Pending);
    assert_eq!(steps[1].approver_user_id.as_deref(), Some(dave.id.as_str()));

    let reminded = audit_of(&app, "approval.reminded").await;
    assert_eq!(reminded.len(), 2);
    assert!(
        reminded
            .iter()
            .all(|r| r.actor_name == "Countersign (system)")
    );
    let records = audit_of(&app, "approval.escalated").await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].details["to_user_id"], json!(dave.id));
    assert_eq!(
        records[0].details["from_user_id"],
        json!(steps[0].approver_user_id)
    );
    assert_eq!(records[0].details["new_task_id"], json!(steps[1].id));

    // The request page shows each reminder and the escalation.
    let page = p
        .alice
        .get(&format!("/requests/{request}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("Reminders and escalation"), "{page}");
    assert!(page.contains("Step 1: reminder 1 of 2 sent"));
    assert!(page.contains("Step 1: reminder 2 of 2 sent"));
    assert!(page.contains("Step 1: escalated to Dave Example after 7 days waiting"));

    // Nothing more happens to the escalated task later: dave's task is his.
    run(t0 + 20 * DAY).await;
    assert_eq!(audit_of(&app, "approval.escalated").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalated_task_that_must_be_signed_still_needs_the_new_approvers_signature() {
    let sink = SmtpSink::start(0).await;
    let app = app_mailing_to(sink.port).await;
    let p = people(&app).await;
    let dave = app.person("dave", &[Role::Approver]).await;
    // (Written directly, so before the escalation settings saved after it.)
    app.turn_reauth_on().await;
    configure(
        &p.carol,
        &[
            ("days_until_escalation", "3"),
            ("fallback_person", &dave.id),
        ],
    )
    .await;
    let payroll = app.require_reauth(&item(&app, "Payroll").await).await;
    let alice = app.person("alice", &[]).await;
    let (request, task) = app.pending_request(&alice, &payroll, "Month end").await;
    let t0 = opened_at(&app, &task).await;
    app.worker.run_due(t0 + 3 * DAY + 60).await.expect("run");
    let steps = tasks::of_request(app.db.pool(), &request)
        .await
        .expect("tasks");
    let new_task = &steps[1].id;

    let form = [
        ("task_ids[0]", new_task.as_str()),
        ("decision", "approve"),
        ("comment", "ok"),
    ];
    let (status, body) = p.dave.server_fn("/api/inbox/decide", &form).await;
    assert_eq!(status, 401, "{body}");
    let challenge = body["ReauthRequired"]["challenge_id"]
        .as_str()
        .unwrap_or_else(|| panic!("expected ReauthRequired, got {body}"))
        .to_owned();
    let pending = tasks::find(app.db.pool(), new_task)
        .await
        .expect("task")
        .expect("exists");
    assert_eq!(pending.state, TaskState::Pending, "nothing changed");
    // bob, whose task it was, cannot decide it any more.
    let old = [
        ("task_ids[0]", task.as_str()),
        ("decision", "approve"),
        ("comment", "ok"),
    ];
    let (status, body) = p.bob.server_fn("/api/inbox/decide", &old).await;
    assert_ne!(status, 200, "{body}");

    // dave signs: the approval is his, e-signed.
    dave_signs(&p.dave, &challenge).await;
    let decided = tasks::find(app.db.pool(), new_task)
        .await
        .expect("task")
        .expect("exists");
    assert_eq!(decided.state, TaskState::Approved);
    assert_eq!(decided.decided_by.as_deref(), Some(dave.id.as_str()));
    let approved = audit_of(&app, "approval.approved").await;
    assert_eq!(
        approved[0].details["e_signature"]["signer_name"],
        "Dave Example"
    );
}

async fn dave_signs(dave: &Browser, challenge: &str) {
    let (_, back) = dave.reauthenticate(challenge, "dave").await;
    assert!(back.contains(challenge), "{back}");
    let (status, done) = dave
        .server_fn("/api/signed/complete", &[("challenge_id", challenge)])
        .await;
    assert_eq!(status, 200, "{done}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_at_once_remind_once_and_escalate_once_to_the_fallback_group() {
    let sink = SmtpSink::start(0).await;
    let app = app_mailing_to(sink.port).await;
    let p = people(&app).await;
    configure(
        &p.carol,
        &[
            ("days_between_reminders", "1"),
            ("max_reminders", "1"),
            ("days_until_escalation", "2"),
            ("fallback_group", "countersign-approvers"),
        ],
    )
    .await;
    let alice = app.person("alice", &[]).await;
    let mut requests = Vec::new();
    for name in ["Payroll", "Ledger", "Wiki"] {
        let item = item(&app, name).await;
        requests.push(app.pending_request(&alice, &item, "Needed").await);
    }
    let t0 = opened_at(&app, &requests[2].1).await;
    // Two workers' scans at the same moment (the scan a worker runs before
    // its jobs): each reminder and each escalation happens once.
    for at in [t0 + DAY + 60, t0 + 2 * DAY + 60] {
        let (a, b) = tokio::join!(
            escalation::run_due(&app.db, &app.fallback, at),
            escalation::run_due(&app.db, &app.fallback, at)
        );
        assert_eq!(a.expect("scan") + b.expect("scan"), 3, "at {at}");
    }
    assert_eq!(audit_of(&app, "approval.reminded").await.len(), 3);
    assert_eq!(audit_of(&app, "approval.escalated").await.len(), 3);
    for (request, _) in &requests {
        let steps = tasks::of_request(app.db.pool(), request)
            .await
            .expect("tasks");
        assert_eq!(steps.len(), 2, "one escalation each");
        assert_eq!(
            steps[1].approver_group.as_deref(),
            Some("countersign-approvers")
        );
    }
    app.worker.run_due(t0 + 2 * DAY + 600).await.expect("run");
    let mails = sink.wait_for(15).await;
    // Per task: bob's new task, bob's reminder, bob's "escalated", and the
    // group's new task to bob and dave (never alice, the requester).
    assert_eq!(mails.len(), 15, "{mails:#?}");
    assert_eq!(to(&mails, "bob@example.com", "Reminder").len(), 3);
    assert_eq!(to(&mails, "bob@example.com", "Approval escalated").len(), 3);
    assert_eq!(to(&mails, "dave@example.com", "Approval needed").len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fallback_who_cannot_take_the_task_gets_nothing_and_administrators_are_told_once() {
    let sink = SmtpSink::start(0).await;
    let app = app_mailing_to(sink.port).await;
    let p = people(&app).await;
    let dave = app.person("dave", &[Role::Approver]).await;
    configure(
        &p.carol,
        &[
            ("days_until_escalation", "1"),
            ("fallback_person", &dave.id),
        ],
    )
    .await;
    // dave requests himself: he may not decide his own request.
    let payroll = item(&app, "Payroll").await;
    let (request, task) = app.pending_request(&dave, &payroll, "Mine").await;
    let t0 = opened_at(&app, &task).await;
    app.worker.run_due(t0 + DAY + 60).await.expect("run");
    app.worker.run_due(t0 + DAY + 600).await.expect("run");
    let refused = audit_of(&app, "approval.escalation_refused").await;
    assert_eq!(refused.len(), 1, "recorded once");
    assert!(
        refused[0].details["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("nobody decides their own request"),
        "{}",
        refused[0].details
    );
    let steps = tasks::of_request(app.db.pool(), &request)
        .await
        .expect("tasks");
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].state, TaskState::Pending, "still bob's");
    let mails = sink.wait_for(2).await;
    let told = to(&mails, "carol@example.com", "Escalation not possible");
    assert_eq!(told.len(), 1, "{mails:#?}");
    assert!(told[0].text.contains("nobody decides their own request"));
    let page = p.carol.get(&format!("/requests/{request}")).await;
    let page = page.text().await.expect("page");
    assert!(
        page.contains("Step 1: not escalated after 1 day waiting"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_escalation_settings_are_refused_with_a_reason_and_change_nothing() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let alice = app.person("alice", &[]).await;
    let dave = app.person("dave", &[Role::Approver]).await;
    let before = settings(&p.carol).await;
    let changes = audit_of(&app, "settings.changed").await.len();
    // The form's fields; the field the error names; what it says.
    let cases: Vec<(Fields, &str, &str)> = vec![
        (
            vec![("days_until_escalation", "-1")],
            "daysUntilEscalation",
            "from 0 to 365",
        ),
        (
            vec![("max_reminders", "many")],
            "maxReminders",
            "whole number",
        ),
        (
            vec![("max_reminders", "3")],
            "daysBetweenReminders",
            "days between them",
        ),
        (
            vec![("days_until_escalation", "5")],
            "fallbackApproverRef",
            "needs a fallback approver",
        ),
        (
            vec![
                ("days_until_escalation", "5"),
                ("fallback_person", &alice.id),
            ],
            "fallbackApproverRef",
            "cannot approve",
        ),
        (
            vec![("days_until_escalation", "5"), ("fallback_group", "staff")],
            "fallbackApproverRef",
            "not an approvers' group",
        ),
        (
            vec![
                ("days_until_escalation", "5"),
                ("fallback_person", &dave.id),
                ("fallback_group", "countersign-approvers"),
            ],
            "fallbackApproverRef",
            "not both",
        ),
        (
            vec![("digest_threshold", "-2")],
            "digestThreshold",
            "from 0 to 1000",
        ),
    ];
    for (fields, field, says) in cases {
        let (status, body) = save_escalation(&p.carol, &fields).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
        let text = body.to_string();
        assert!(text.contains(field), "{fields:?}: {text}");
        assert!(text.contains(says), "{fields:?}: {text}");
    }
    assert_eq!(settings(&p.carol).await, before, "nothing changed");
    assert_eq!(audit_of(&app, "settings.changed").await.len(), changes);

    // A good one is saved and audited; a non-admin is refused.
    configure(
        &p.carol,
        &[
            ("days_until_escalation", "5"),
            ("fallback_group", "countersign-approvers"),
            ("digest_threshold", "10"),
        ],
    )
    .await;
    let after = settings(&p.carol).await;
    assert_eq!(
        after["config"]["approvalReminderAndEscalationConfig"]["fallbackApproverRef"],
        json!({ "type": "group", "name": "countersign-approvers" })
    );
    assert_eq!(after["config"]["digestThreshold"], 10);
    assert_eq!(
        after["config"]["reauthorizationEnabled"],
        before["config"]["reauthorizationEnabled"]
    );
    let changed = audit_of(&app, "settings.changed").await;
    assert_eq!(changed.len(), changes + 1);
    assert_eq!(
        changed[0].details["after"]["approvalReminderAndEscalationConfig"]["daysUntilEscalation"],
        5
    );
    let version = after["version"].to_string();
    let (status, _) = p
        .bob
        .server_fn(
            "/api/settings/save_escalation",
            &[
                ("escalation[version]", version.as_str()),
                ("escalation[days_until_escalation]", "0"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(settings(&p.carol).await, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_reads_and_writes_the_escalation_settings() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let dave = app.person("dave", &[Role::Approver]).await;
    let token = p.carol.create_token("carol", "ops").await;
    let client = reqwest::Client::new();
    let url = app.url("/api/v1/access-request-config");
    let got: Value = client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    assert_eq!(
        got["config"]["approvalReminderAndEscalationConfig"],
        json!({
            "daysUntilEscalation": 0,
            "daysBetweenReminders": 0,
            "maxReminders": 0,
            "fallbackApproverRef": null,
        })
    );
    assert_eq!(got["config"]["digestThreshold"], 0);

    let mut config = got["config"].clone();
    config["approvalReminderAndEscalationConfig"] = json!({
        "daysUntilEscalation": 4,
        "daysBetweenReminders": 1,
        "maxReminders": 3,
        "fallbackApproverRef": { "type": "person", "id": "nobody-at-all" },
    });
    let bad = client
        .put(&url)
        .bearer_auth(&token)
        .json(&json!({ "config": config, "version": got["version"] }))
        .send()
        .await
        .expect("PUT");
    assert_eq!(bad.status(), 400);
    let said = bad.text().await.expect("body");
    assert!(said.contains("fallbackApproverRef"), "{said}");

    config["approvalReminderAndEscalationConfig"]["fallbackApproverRef"] =
        json!({ "type": "person", "id": dave.id });
    config["digestThreshold"] = json!(5);
    let put = client
        .put(&url)
        .bearer_auth(&token)
        .json(&json!({ "config": config, "version": got["version"] }))
        .send()
        .await
        .expect("PUT");
    assert_eq!(
        put.status(),
        200,
        "{}",
        put.text().await.unwrap_or_default()
    );
    let again: Value = client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    assert_eq!(
        again["config"]["approvalReminderAndEscalationConfig"]["daysUntilEscalation"],
        4
    );
    assert_eq!(
        again["config"]["approvalReminderAndEscalationConfig"]["fallbackApproverRef"]["id"],
        json!(dave.id)
    );
    assert_eq!(again["config"]["digestThreshold"], 5);
    // The settings page shows the chosen person by name.
    let page = p
        .carol
        .get("/admin/settings")
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("Reminders and escalation"));
    assert!(page.contains("Dave Example"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn above_the_threshold_an_approver_gets_one_digest_a_day_instead_of_a_mail_per_task() {
    let sink = SmtpSink::start(0).await;
    let app = app_mailing_to(sink.port).await;
    let p = people(&app).await;
    configure(&p.carol, &[("digest_threshold", "2")]).await;
    let alice = app.person("alice", &[]).await;
    let mut tasks_made = Vec::new();
    for name in ["Payroll", "Ledger", "Wiki", "Jira"] {
        let item = item(&app, name).await;
        tasks_made.push(app.pending_request(&alice, &item, "Needed").await.1);
    }
    let t0 = now();
    app.worker.run_due(t0).await.expect("run");
    let mails = sink.wait_for(3).await;
    let per_task = to(&mails, "bob@example.com", "Approval needed");
    assert_eq!(
        per_task.len(),
        2,
        "the first two (at or below 2): {mails:#?}"
    );
    let digests = to(&mails, "bob@example.com", "4 approvals wait for you");
    assert_eq!(digests.len(), 1, "{mails:#?}");
    for task in &tasks_made {
        let link = p.bob.url(&format!("/inbox#task-{task}"));
        assert!(digests[0].text.contains(&link), "{}", digests[0].text);
        assert!(digests[0].html.contains(&format!("href=\"{link}\"")));
    }
    assert!(digests[0].header("List-Unsubscribe").is_none(), "essential");

    // Again that day: nothing; another worker the same day: nothing either.
    app.worker.run_due(t0 + 120).await.expect("run");
    let again = app::domain::notify::digest::send_digests(&app.db, t0 + 180)
        .await
        .expect("digest");
    assert_eq!(
        again, 0,
        "another worker's digest the same day writes nothing"
    );
    app.worker.run_due(t0 + 240).await.expect("run");
    assert_eq!(sink.mails().len(), 3, "once a day");
    // The next day: the day's digest.
    let tomorrow = (t0 / DAY + 1) * DAY + 60;
    app.worker.run_due(tomorrow).await.expect("run");
    let mails = sink.wait_for(4).await;
    assert_eq!(to(&mails, "bob@example.com", "4 approvals").len(), 2);
}
