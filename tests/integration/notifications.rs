//! Notifications end to end (issue 18): the real app sends its mail through the
//! outbox to a real SMTP server on loopback (aiosmtpd). bob hears of alice's
//! request with a link that opens his task; alice hears of the decision; an
//! unreachable mail server slows and fails nothing, and every mail arrives once
//! when it returns; opting out (on the page, or by the mail's one-click link)
//! is honoured when the mail is written and when it is sent; access about to
//! end is announced on the worker's clock.
//!
//! The app's own worker loop is off (`COUNTERSIGN_OUTBOX_INTERVAL_MS=0`): each
//! test runs the worker itself at the time it chooses.

use std::time::{Duration, Instant};

use app::{
    db::outbox,
    domain::{
        now,
        requests::{AccessRequestInput, request_access},
    },
    types::{AccessItem, JobKind, JobState, Role, format_date},
};

use crate::{
    smtp_sink::{Mail, SmtpSink, free_port},
    support::{Browser, TestApp},
};

const DAY: i64 = 86_400;

async fn app_mailing_to(port: u16) -> TestApp {
    let mail = SmtpSink::config(port);
    let mut vars: Vec<(&str, &str)> = mail.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("COUNTERSIGN_OUTBOX_INTERVAL_MS", "0"));
    TestApp::builder().with_config(&vars).spawn().await
}

struct People {
    alice: Browser,
    bob: Browser,
}

async fn people(app: &TestApp) -> People {
    let (alice, bob, carol) = (app.new_browser(), app.new_browser(), app.new_browser());
    alice.sign_in("alice").await;
    bob.sign_in("bob").await;
    carol.sign_in("carol").await;
    People { alice, bob }
}

async fn item(app: &TestApp, name: &str) -> AccessItem {
    let bob = app.person("bob", &[Role::Approver]).await;
    app.item_approved_by(name, &bob).await
}

/// bob decides `task` through his inbox.
async fn decide(bob: &Browser, task: &str, decision: &str, comment: &str) -> Duration {
    let started = Instant::now();
    let form = [
        ("task_ids[0]", task),
        ("decision", decision),
        ("comment", comment),
    ];
    let (status, body) = bob.server_fn("/api/inbox/decide", &form).await;
    assert_eq!(status, 200, "{body}");
    started.elapsed()
}

async fn mail_jobs(app: &TestApp) -> Vec<(JobState, i64)> {
    let mut out = Vec::new();
    for state in JobState::ALL {
        for job in outbox::in_state(app.db.pool(), state, None, 500)
            .await
            .expect("jobs")
        {
            if job.kind == JobKind::Email {
                out.push((job.state, job.attempts));
            }
        }
    }
    out
}

/// Nothing secret in a mail: no session cookie, no bearer or ID token.
fn assert_no_secrets(mail: &Mail, browsers: &[&Browser]) {
    let whole = format!("{:?}{}{}", mail.headers, mail.text, mail.html);
    for b in browsers {
        let cookie = b.session_cookie().expect("signed in");
        let value = cookie.split('=').nth(1).unwrap_or(&cookie);
        assert!(!whole.contains(value), "a session cookie in a mail");
    }
    for secret in ["eyJ", "Bearer", "id_token", "countersign_session"] {
        assert!(!whole.contains(secret), "{secret} in a mail: {whole}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bob_gets_a_mail_for_alices_request_whose_link_opens_the_task() {
    let sink = SmtpSink::start(0).await;
    let app = app_mailing_to(sink.port).await;
    let p = people(&app).await;
    let payroll = item(&app, "Payroll").await;
    let alice = app.person("alice", &[]).await;

    let (request, task) = app.pending_request(&alice, &payroll, "Month end").await;
    let report = app.worker.run_due(now()).await.expect("run");
    assert_eq!(report.done, 1, "{report:?}");
    let mails = sink.wait_for(1).await;
    let mail = &mails[0];
    assert_eq!(mail.rcpt_to, vec!["bob@example.com".to_owned()]);
    assert!(mail.to.contains("bob@example.com"), "{}", mail.to);
    assert_eq!(mail.subject, "Approval needed: Payroll for Alice Example");
    assert!(
        mail.text
            .contains("Alice Example asks for access to Payroll")
    );
    assert!(
        mail.html
            .contains("Alice Example asks for access to Payroll")
    );
    assert!(
        mail.header("List-Unsubscribe").is_none(),
        "work waiting for someone is not unsubscribable"
    );
    assert_no_secrets(mail, &[&p.alice, &p.bob]);
    let link = mail.link_under(&p.bob.origin()).expect("a link to the app");
    assert_eq!(link, p.bob.url(&format!("/inbox#task-{task}")));
    let path = link
        .strip_prefix(&p.bob.origin())
        .expect("under the origin");
    let page = p.bob.get(path.split('#').next().expect("path")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("inbox");
    assert!(
        html.contains(&format!("id=\"task-{task}\"")),
        "the task is on the page"
    );

    // bob approves: alice (requester and beneficiary) hears once; bob does not.
    decide(&p.bob, &task, "approve", "ok").await;
    app.worker.run_due(now()).await.expect("run");
    let mails = sink.wait_for(2).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    let decided = &mails[1];
    assert_eq!(decided.rcpt_to, vec!["alice@example.com".to_owned()]);
    assert_eq!(decided.subject, "Request approved: Payroll");
    assert!(
        decided
            .text
            .contains(&p.alice.url(&format!("/requests/{request}")))
    );
    let unsubscribe = decided
        .header("List-Unsubscribe")
        .expect("List-Unsubscribe");
    assert!(unsubscribe.contains("/notifications/unsubscribe/"));
    assert_eq!(
        decided.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert_no_secrets(decided, &[&p.alice, &p.bob]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_mail_server_down_decisions_go_on_and_every_mail_arrives_once_after() {
    let port = free_port();
    let app = app_mailing_to(port).await;
    let p = people(&app).await;
    let alice = app.person("alice", &[]).await;
    let mut tasks = Vec::new();
    for name in ["Payroll", "Ledger", "Wiki"] {
        let item = item(&app, name).await;
        tasks.push(app.pending_request(&alice, &item, "Needed").await.1);
    }
    let t0 = now();
    let report = app.worker.run_due(t0).await.expect("run");
    assert_eq!(report.retrying, 3, "nobody listens: {report:?}");

    // Decisions meanwhile: none waits for the mail server.
    let mut slowest = Duration::ZERO;
    slowest = slowest.max(decide(&p.bob, &tasks[0], "approve", "ok").await);
    slowest = slowest.max(decide(&p.bob, &tasks[1], "deny", "Not this quarter").await);
    println!("slowest decision with the mail server down: {slowest:?}");
    assert!(slowest < Duration::from_secs(2), "{slowest:?}");
    // (Their jobs are due from the moment they were written: the clock's now.)
    let t0 = now();
    let report = app.worker.run_due(t0).await.expect("run");
    assert_eq!(report.retrying, 2, "the two decisions' mails: {report:?}");

    // The server comes back; later rounds deliver everything, once.
    let sink = SmtpSink::start(port).await;
    let mut delivered = 0;
    for hour in 1..=6 {
        delivered += app
            .worker
            .run_due(t0 + hour * 3600)
            .await
            .expect("run")
            .done;
    }
    assert_eq!(delivered, 5);
    let mails = sink.wait_for(5).await;
    let mut subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        vec![
            "Approval needed: Ledger for Alice Example",
            "Approval needed: Payroll for Alice Example",
            "Approval needed: Wiki for Alice Example",
            "Request approved: Payroll",
            "Request denied: Ledger",
        ]
    );
    let denied = mails
        .iter()
        .find(|m| m.subject == "Request denied: Ledger")
        .expect("denial");
    assert!(denied.text.contains("denied by Bob Example"));
    assert!(denied.text.contains("Comment: Not this quarter"));
    assert!(
        mail_jobs(&app)
            .await
            .iter()
            .all(|(state, _)| *state == JobState::Done)
    );
    let again = app.worker.run_due(t0 + 7 * 3600).await.expect("run");
    assert_eq!(again.attempts(), 0);
    assert_eq!(sink.mails().len(), 5, "each mail once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opting_out_is_honoured_when_written_when_sent_and_by_the_mails_own_link() {
    let sink = SmtpSink::start(0).await;
    let app = app_mailing_to(sink.port).await;
    let p = people(&app).await;
    let alice = app.person("alice", &[]).await;
    let deny = |task: String| {
        let bob = &p.bob;
        async move { decide(bob, &task, "deny", "no").await }
    };

    // Off on the Notifications page (nothing ticked): no job is written.
    let (status, body) = p
        .alice
        .server_fn(
            "/api/notifications/save",
            &[("choices[form]", "notifications")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["topics"][0]["on"], false, "{body}");
    let one = item(&app, "One").await;
    let (_, task) = app.pending_request(&alice, &one, "x").await;
    deny(task).await;
    app.worker.run_due(now()).await.expect("run");
    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1, "bob's task only: {mails:#?}");

    // On again; a decision's mail is written, then alice turns it off before
    // the worker runs: it is not sent.
    let on = [
        ("choices[form]", "notifications"),
        ("choices[request_updates]", "on"),
    ];
    let (status, _) = p.alice.server_fn("/api/notifications/save", &on).await;
    assert_eq!(status, 200);
    let two = item(&app, "Two").await;
    let (_, task) = app.pending_request(&alice, &two, "x").await;
    deny(task).await;
    let (status, _) = p
        .alice
        .server_fn(
            "/api/notifications/save",
            &[("choices[form]", "notifications")],
        )
        .await;
    assert_eq!(status, 200);
    app.worker.run_due(now()).await.expect("run");
    let mails = sink.wait_for(2).await;
    assert_eq!(mails.len(), 2, "bob's second task only: {mails:#?}");
    assert!(mails.iter().all(|m| m.rcpt_to == ["bob@example.com"]));

    // On again: the mail comes, and its one-click link (no sign-in) turns it off.
    p.alice.server_fn("/api/notifications/save", &on).await;
    let three = item(&app, "Three").await;
    let (_, task) = app.pending_request(&alice, &three, "x").await;
    deny(task).await;
    app.worker.run_due(now()).await.expect("run");
    let mails = sink.wait_for(4).await;
    let to_alice = mails
        .iter()
        .find(|m| m.rcpt_to == ["alice@example.com"])
        .expect("alice's mail");
    let link = to_alice
        .header("List-Unsubscribe")
        .expect("List-Unsubscribe")
        .trim_matches(['<', '>'])
        .to_owned();
    let stranger = reqwest::Client::new();
    let shown = stranger.get(&link).send().await.expect("GET");
    assert_eq!(shown.status(), 200);
    assert!(
        shown
            .text()
            .await
            .expect("page")
            .contains("Decisions on my requests")
    );
    let settings = p.alice.server_fn("/api/notifications/get", &[]).await.1;
    assert_eq!(settings["topics"][0]["on"], true, "GET changes nothing");
    let done = stranger
        .post(&link)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("POST");
    assert_eq!(done.status(), 200);
    let settings = p.alice.server_fn("/api/notifications/get", &[]).await.1;
    assert_eq!(settings["topics"][0]["on"], false, "{settings}");
    let bad = stranger
        .post(p.alice.url("/notifications/unsubscribe/not-a-token"))
        .send()
        .await
        .expect("POST");
    assert_eq!(bad.status(), 404);

    let four = item(&app, "Four").await;
    let (_, task) = app.pending_request(&alice, &four, "x").await;
    deny(task).await;
    app.worker.run_due(now()).await.expect("run");
    let mails = sink.wait_for(5).await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.rcpt_to == ["alice@example.com"])
            .count(),
        1,
        "{mails:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_about_to_end_is_announced_a_week_and_a_day_before_on_the_workers_clock() {
    let sink = SmtpSink::start(0).await;
    let app = app_mailing_to(sink.port).await;
    let p = people(&app).await;
    let alice = app.person("alice", &[]).await;
    let vpn = item(&app, "VPN").await;
    let t0 = now();
    let end = format_date(t0 + 20 * DAY);
    let request = request_access(
        &app.db,
        &alice,
        &AccessRequestInput {
            item_id: vpn.id.clone(),
            justification: "Travel".into(),
            end_date: end.clone(),
            ..Default::default()
        },
        &app.fallback,
    )
    .await
    .expect("request");
    let task = app::db::tasks::of_request(app.db.pool(), &request)
        .await
        .expect("tasks")
        .remove(0)
        .id;
    decide(&p.bob, &task, "approve", "ok").await;
    app.worker.run_due(now()).await.expect("run");
    assert_eq!(sink.wait_for(2).await.len(), 2, "task and approval");

    let end_at = app::types::parse_date(&end).expect("date");
    let mut next = t0 + 120;
    let mut at = |t: i64| {
        next = next.max(t) + 120;
        next
    };
    // 10 days before: nothing yet. 6 days before: the week's notice. Again
    // that day: nothing more. 12 hours before: tomorrow's.
    app.worker
        .run_due(at(end_at - 10 * DAY))
        .await
        .expect("run");
    app.worker.run_due(at(end_at - 6 * DAY)).await.expect("run");
    app.worker
        .run_due(at(end_at - 6 * DAY + 3600))
        .await
        .expect("run");
    let mails = sink.wait_for(3).await;
    assert_eq!(mails.len(), 3, "{mails:#?}");
    assert_eq!(mails[2].subject, "Your access to VPN ends in 6 days");
    assert_eq!(mails[2].rcpt_to, vec!["alice@example.com".to_owned()]);
    assert!(mails[2].header("List-Unsubscribe").is_some());
    app.worker
        .run_due(at(end_at - 12 * 3600))
        .await
        .expect("run");
    let mails = sink.wait_for(4).await;
    assert_eq!(mails[3].subject, "Your access to VPN ends tomorrow");
    app.worker.run_due(at(end_at - 3600)).await.expect("run");
    assert_eq!(sink.mails().len(), 4, "each notice once");
}
