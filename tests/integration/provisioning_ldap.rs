//! The LDAP connector against a real OpenLDAP (`ldap_server.rs`), over HTTP:
//! "Test connection" proves the bind and the group before saving; an approval
//! puts the person in the group (read back with `ldapsearch`, `memberOf`
//! confirmed) and expiry takes them out; both are idempotent; a wrong bind
//! password fails with the server's message on the admin page, and "Retry"
//! completes it once the password is fixed; a server stopped during a grant is
//! retried and the grant completes when it returns; StartTLS and LDAPS check
//! the server's certificate against the organisation's CA.
//!
//! Retries are driven by the outbox's `run_due(now)`, never by sleeping.

use app::{domain::now, types::JobState};
use serde_json::Value;

use crate::{
    ldap_server::{
        ALICE_DN, BIND_DN, BIND_PASSWORD, GROUP_DN, KEEPER_DN, PEOPLE, Slapd, unrelated_ca,
    },
    provisioning::{People, app, approved, jobs, people},
    support::TestApp,
};

/// The Provisioning tab's LDAP form for `slapd`, with `password`.
fn form<'a>(item_id: &'a str, url: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("id", item_id),
        ("connector", "ldap"),
        ("ldap_url", url),
        ("ldap_bind_dn", BIND_DN),
        ("ldap_password", password),
        ("ldap_group_dn", GROUP_DN),
        ("ldap_member_attribute", "member"),
        ("ldap_user_base", PEOPLE),
        ("ldap_user_filter", "(uid={userName})"),
        ("ldap_read_member_of", "on"),
        ("ldap_allow_plain_loopback", "on"),
    ]
}

async fn save(p: &People, form: &[(&str, &str)], version: &str) -> (u16, Value) {
    let mut fields = form.to_vec();
    fields.push(("version", version));
    let (status, body) = p.carol.server_fn("/api/provisioning/save", &fields).await;
    (status.as_u16(), body)
}

async fn ldap_item(
    app: &TestApp,
    p: &People,
    slapd: &Slapd,
    password: &str,
) -> app::types::AccessItem {
    let bob = app.person("bob", &[app::types::Role::Approver]).await;
    let item = app.item_approved_by("Payroll", &bob).await;
    let url = slapd.url();
    let (status, body) = save(p, &form(&item.id, &url, password), "0").await;
    assert_eq!(status, 200, "{body}");
    item
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_puts_the_person_in_the_ldap_group_and_expiry_takes_them_out() {
    let app = app().await;
    let p = people(&app).await;
    let slapd = Slapd::start().await;
    let bob = app.person("bob", &[app::types::Role::Approver]).await;
    let item = app.item_approved_by("Payroll", &bob).await;
    let url = slapd.url();

    // "Test connection" proves the bind and the group before anything is saved.
    let mut wrong_group = form(&item.id, &url, BIND_PASSWORD);
    wrong_group[5].1 = "cn=nope,ou=groups,dc=example,dc=org";
    let (status, body) = p
        .carol
        .server_fn("/api/provisioning/test", &wrong_group)
        .await;
    assert_eq!(status, 400);
    assert!(
        body.to_string()
            .contains("cn=nope,ou=groups,dc=example,dc=org does not exist"),
        "{body}"
    );
    let right = form(&item.id, &url, BIND_PASSWORD);
    let (status, body) = p.carol.server_fn("/api/provisioning/test", &right).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("has 1 member"), "{body}");
    let (status, _) = p.bob.server_fn("/api/provisioning/test", &right).await;
    assert_eq!(status, 403, "only administrators test targets");
    // Plain LDAP to another host is refused, whatever the checkbox says.
    let mut remote = form(&item.id, "ldap://ldap.example.org", BIND_PASSWORD);
    remote.push(("version", "0"));
    let (status, body) = p.carol.server_fn("/api/provisioning/save", &remote).await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("loopback"), "{body}");

    let (status, body) = save(&p, &right, "0").await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.to_string().contains(BIND_PASSWORD));
    let request = approved(&app, &p, &item).await;
    assert!(!slapd.members().contains(&ALICE_DN.to_owned()));
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    assert_eq!(
        slapd.members(),
        vec![KEEPER_DN.to_owned(), ALICE_DN.to_owned()]
    );
    assert_eq!(
        slapd.values(ALICE_DN, "memberOf"),
        vec![GROUP_DN.to_owned()]
    );
    let job = jobs(&app, &request).await.remove(0);
    assert_eq!(job.state, JobState::Done);

    // The target's answer is audited; the password is in no record and no page.
    let export = p
        .carol
        .get("/audit/export.json")
        .await
        .text()
        .await
        .unwrap();
    assert!(export.contains(&format!(
        "added {ALICE_DN} to {GROUP_DN}; memberOf confirms it"
    )));
    assert!(!export.contains(BIND_PASSWORD));
    let tab = p
        .carol
        .get(&format!("/admin/items/{}?tab=provisioning", item.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(tab.contains("A bind password is stored") && !tab.contains(BIND_PASSWORD));
    assert!(tab.contains(GROUP_DN), "the settings are shown again");

    // Expiry takes them out.
    sqlx::query("UPDATE assignments SET end_date = $1 WHERE item_id = $2")
        .bind(now() - 1)
        .bind(&item.id)
        .execute(app.db.pool())
        .await
        .unwrap();
    app::domain::assignments::expire_assignments(&app.db)
        .await
        .unwrap();
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    assert_eq!(slapd.members(), vec![KEEPER_DN.to_owned()]);
    assert!(slapd.values(ALICE_DN, "memberOf").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granting_a_member_and_revoking_a_non_member_succeed() {
    let app = app().await;
    let p = people(&app).await;
    let slapd = Slapd::start().await;
    let item = ldap_item(&app, &p, &slapd, BIND_PASSWORD).await;
    // Someone already put alice in the group by hand.
    slapd.modify_group("add", ALICE_DN);
    let request = approved(&app, &p, &item).await;
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    let export = p
        .carol
        .get("/audit/export.json")
        .await
        .text()
        .await
        .unwrap();
    assert!(export.contains(&format!("{ALICE_DN} was already a member of {GROUP_DN}")));
    assert_eq!(jobs(&app, &request).await[0].state, JobState::Done);

    // …and took her out by hand before her access was revoked.
    slapd.modify_group("delete", ALICE_DN);
    let mut tx = app.db.write_tx().await.unwrap();
    let alice = app.person("alice", &[]).await;
    let carol = app.person("carol", &[app::types::Role::Admin]).await;
    app::domain::provisioning::revoke_assignment(
        &mut tx,
        (&alice.id, &item.id),
        app::domain::provisioning::RevokeReason::Revoked,
        app::domain::audit::AuditActor::User(&carol.id),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    let export = p
        .carol
        .get("/audit/export.json")
        .await
        .text()
        .await
        .unwrap();
    assert!(export.contains(&format!("{ALICE_DN} was not a member of {GROUP_DN}")));
    assert_eq!(slapd.members(), vec![KEEPER_DN.to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_bind_password_fails_with_the_servers_message_and_retry_completes_after_the_fix() {
    let app = app().await;
    let p = people(&app).await;
    let slapd = Slapd::start().await;
    let item = ldap_item(&app, &p, &slapd, "not-the-password").await;
    let request = approved(&app, &p, &item).await;
    let report = app.worker.run_due(now()).await.unwrap();
    assert_eq!(report.done, 0);
    let job = jobs(&app, &request).await.remove(0);
    assert_eq!(
        job.state,
        JobState::Failed,
        "retrying cannot fix a wrong password"
    );
    let said = job.describe();
    assert!(
        said.contains(&format!("binding as {BIND_DN}: invalidCredentials (49)")),
        "{said}"
    );

    // Visible on the administrators' Provisioning page.
    let page = p
        .carol
        .get("/admin/provisioning")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("invalidCredentials (49)"), "{page}");
    assert!(page.contains("Grant Payroll to Alice Example"));
    assert!(!page.contains("not-the-password"));

    // The password is fixed on the tab (a changed password alone: the rest stays).
    let url = slapd.url();
    let (status, body) = save(&p, &form(&item.id, &url, BIND_PASSWORD), "1").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = p
        .carol
        .server_fn("/api/provisioning/retry", &[("id", &job.id)])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    assert_eq!(jobs(&app, &request).await[0].state, JobState::Done);
    assert!(slapd.members().contains(&ALICE_DN.to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_stopped_during_a_grant_is_retried_and_the_grant_completes_when_it_returns() {
    let app = app().await;
    let p = people(&app).await;
    let mut slapd = Slapd::start().await;
    let item = ldap_item(&app, &p, &slapd, BIND_PASSWORD).await;
    let request = approved(&app, &p, &item).await;

    slapd.stop().await;
    let t0 = now();
    assert_eq!(app.worker.run_due(t0).await.unwrap().retrying, 1);
    let job = jobs(&app, &request).await.remove(0);
    assert_eq!(job.state, JobState::Queued);
    assert!(
        job.describe().contains("connection refused"),
        "{}",
        job.describe()
    );
    // Not due again before its backoff.
    assert_eq!(app.worker.run_due(t0).await.unwrap().attempts(), 0);

    slapd.restart().await;
    assert_eq!(
        app.worker.run_due(job.next_attempt_at).await.unwrap().done,
        1
    );
    let job = jobs(&app, &request).await.remove(0);
    assert_eq!(job.state, JobState::Done);
    assert_eq!(job.attempts, 2);
    assert!(slapd.members().contains(&ALICE_DN.to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_starttls_the_servers_certificate_must_chain_to_the_organisations_ca() {
    the_certificate_is_checked_then_a_grant_reaches_the_group(Slapd::url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_ldaps_the_certificate_is_checked_and_a_grant_reaches_the_group() {
    the_certificate_is_checked_then_a_grant_reaches_the_group(Slapd::ldaps_url).await;
}

/// Over TLS (StartTLS or LDAPS, as `url` of the server says), "Test connection"
/// refuses a server whose certificate does not chain to the CA given, without
/// echoing the password; with the organisation's CA the target is saved and an
/// approval's grant reaches the group.
async fn the_certificate_is_checked_then_a_grant_reaches_the_group(url: fn(&Slapd) -> String) {
    let app = app().await;
    let p = people(&app).await;
    let (slapd, ca) = Slapd::start_tls().await;
    let bob = app.person("bob", &[app::types::Role::Approver]).await;
    let item = app.item_approved_by("Payroll", &bob).await;
    let url = url(&slapd);
    let tls_form = |ca: &'static str| {
        let mut f = form(&item.id, &url, BIND_PASSWORD);
        f.retain(|(k, _)| *k != "ldap_allow_plain_loopback");
        f.push(("ldap_ca_pem", ca));
        f
    };
    let other: &'static str = Box::leak(unrelated_ca().into_boxed_str());
    let (status, body) = p
        .carol
        .server_fn("/api/provisioning/test", &tls_form(other))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("TLS refused"), "{body}");
    assert!(!body.to_string().contains(BIND_PASSWORD), "{body}");
    let ca: &'static str = Box::leak(ca.into_boxed_str());
    let (status, body) = p
        .carol
        .server_fn("/api/provisioning/test", &tls_form(ca))
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, body) = save(&p, &tls_form(ca), "0").await;
    assert_eq!(status, 200, "{body}");
    approved(&app, &p, &item).await;
    assert_eq!(app.worker.run_due(now()).await.unwrap().done, 1);
    assert!(slapd.members().contains(&ALICE_DN.to_owned()));
}
