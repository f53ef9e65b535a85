//! Microsoft Entra ID's provisioning sequence, over HTTP, as Entra sends it:
//! capitalised ops, string booleans, the enterprise extension with a
//! manager, group members added by value and removed by a `members[value eq]`
//! path.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    scim_client::{ENTERPRISE, GROUP, USER},
    support::TestApp,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_provisions_a_person_with_a_manager_and_a_group_then_deletes_them() {
    let app = TestApp::spawn().await;
    let scim = app.scim().await;

    // Test connection: a filter on a random id finds nobody.
    let probe = scim
        .find(
            "/Users",
            "userName eq \"8f1e2b4c-0000-4000-8000-aaaaaaaaaaaa\"",
        )
        .await;
    assert!(probe.is_none());

    let manager = scim
        .create_user("grace@contoso.example", "entra-grace")
        .await;
    let created = scim
        .post(
            "/Users",
            json!({
                "schemas": [USER, ENTERPRISE],
                "externalId": "entra-alan",
                "userName": "alan@contoso.example",
                "active": true,
                "displayName": "Alan Turing",
                "emails": [{"primary": true, "type": "work", "value": "alan@contoso.example"}],
                "name": {"formatted": "Alan Turing", "familyName": "Turing", "givenName": "Alan"},
                "title": "Cryptanalyst",
                "phoneNumbers": [{"type": "work", "value": "+44 1908 640404"}],
                ENTERPRISE: {
                    "employeeNumber": "1912",
                    "department": "Hut 8",
                    "manager": {"value": manager},
                },
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let alan = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.body[ENTERPRISE]["manager"]["value"],
        manager.as_str()
    );
    assert_eq!(
        created.body[ENTERPRISE]["manager"]["displayName"],
        "Test grace@contoso.example"
    );
    assert_eq!(created.body["schemas"], json!([USER, ENTERPRISE]));

    // Entra matches by externalId.
    let found = scim
        .find("/Users", "externalId eq \"entra-alan\"")
        .await
        .unwrap();
    assert_eq!(found["id"], alan.as_str());
    let by_mail = scim
        .find(
            "/Users",
            "emails[type eq \"work\"].value eq \"ALAN@contoso.example\"",
        )
        .await
        .unwrap();
    assert_eq!(by_mail["id"], alan.as_str());

    // Attribute changes, the way Entra sends them.
    let changed = scim
        .patch(
            &format!("/Users/{alan}"),
            json!([
                {"op": "Replace", "path": "displayName", "value": "Alan M. Turing"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "amt@contoso.example"},
                {"op": "Replace", "path": "name.givenName", "value": "Alan Mathison"},
                {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Hut 4"},
                {"op": "Remove", "path": format!("{ENTERPRISE}:manager")},
                {"op": "Replace", "path": "active", "value": "True"},
            ]),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["displayName"], "Alan M. Turing");
    assert_eq!(changed.body["name"]["givenName"], "Alan Mathison");
    assert_eq!(changed.body[ENTERPRISE]["department"], "Hut 4");
    assert!(changed.body[ENTERPRISE].get("manager").is_none());
    let row = app::db::users::find(&app.db, &alan).await.unwrap().unwrap();
    assert_eq!(row.email.as_deref(), Some("amt@contoso.example"));
    assert_eq!(row.name, "Alan M. Turing");

    // The manager comes back by id alone, as Entra sends it.
    let managed = scim
        .patch(
            &format!("/Users/{alan}"),
            json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": manager}]),
        )
        .await;
    assert_eq!(
        managed.body[ENTERPRISE]["manager"]["value"],
        manager.as_str()
    );

    // A group, then members.
    let group = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "countersign-approvers", "externalId": "entra-g1", "members": []}),
        )
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let gid = group.body["id"].as_str().unwrap().to_owned();
    let added = scim
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Add", "path": "members", "value": [{"value": alan}, {"value": manager}]}]),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let row = app::db::users::find(&app.db, &alan).await.unwrap().unwrap();
    assert_eq!(
        row.groups,
        vec!["countersign-approvers".to_owned()],
        "roles follow at once"
    );
    let member = scim
        .find(
            "/Groups",
            &format!("id eq \"{gid}\" and members.value eq \"{alan}\""),
        )
        .await;
    assert!(member.is_some());
    let user = scim.get(&format!("/Users/{alan}")).await;
    assert_eq!(user.body["groups"][0]["value"], gid.as_str());

    let removed = scim
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Remove", "path": format!("members[value eq \"{alan}\"]")}]),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(removed.body["members"].as_array().unwrap().len(), 1);
    let row = app::db::users::find(&app.db, &alan).await.unwrap().unwrap();
    assert!(row.groups.is_empty());
    let listed = scim
        .send(scim.request(reqwest::Method::GET, "/Groups").query(&[
            ("filter", "displayName eq \"COUNTERSIGN-approvers\""),
            ("excludedAttributes", "members"),
        ]))
        .await;
    assert_eq!(listed.body["totalResults"], 1);
    assert!(listed.body["Resources"][0].get("members").is_none());

    // Delete: gone from SCIM, kept for the audit trail, cannot sign in.
    let deleted = scim.delete(&format!("/Users/{alan}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        scim.get(&format!("/Users/{alan}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        scim.find("/Users", "externalId eq \"entra-alan\"")
            .await
            .is_none()
    );
    let row = app::db::users::find(&app.db, &alan).await.unwrap().unwrap();
    assert!(row.disabled_at.is_some());
    let actions = crate::scim_client::audit_of(&app, &alan).await;
    for expected in [
        "user.provisioned",
        "user.manager_changed",
        "user.updated_by_directory",
        "user.left",
        "user.deleted_by_directory",
    ] {
        assert!(
            actions
                .iter()
                .any(|(action, actor)| action == expected && actor == "Directory sync (idp)"),
            "{expected} by the directory in {actions:?}"
        );
    }
    let group_actions = crate::scim_client::audit_of(&app, &gid).await;
    let names: Vec<&str> = group_actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "group.created",
            "group.members_changed",
            "group.members_changed"
        ]
    );
    let (ok, out) = crate::audit::audit_cli(&app, &["verify"]);
    assert!(ok, "the chain holds with the directory as an actor: {out}");
}

/// Entra renames a group: the approval steps and the pending tasks that name
/// it follow (as ID tokens, steps name groups), audited with the counts; its
/// members still decide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_group_keeps_its_steps_and_pending_tasks() {
    use app::{
        domain::items,
        types::{Approver, Role},
    };
    let app = TestApp::spawn().await;
    let bob_browser = app.new_browser();
    bob_browser.sign_in("bob").await;
    app.new_browser().sign_in("carol").await;
    app.new_browser().sign_in("alice").await;
    let scim = app.scim().await;
    let bob = app.person("bob", &[]).await;
    let carol = app.person("carol", &[Role::Admin]).await;
    let group = scim
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "finance-approvers",
                   "members": [{"value": bob.id}]}),
        )
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let gid = group.body["id"].as_str().unwrap().to_owned();
    let bob = app.person("bob", &[Role::Approver]).await;
    let item = app.item_approved_by("Ledger", &bob).await;
    let item = items::set_steps(
        &app.db,
        (&carol, "test"),
        (&item.id, item.version),
        (
            &[Approver::Group {
                group: "finance-approvers".into(),
            }],
            &app.fallback.roles,
        ),
        None,
    )
    .await
    .unwrap();
    let alice = app.person("alice", &[]).await;
    let (_, task) = app.pending_request(&alice, &item, "Month end").await;

    let renamed = scim
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Replace", "path": "displayName", "value": "finance-approvers-emea"}]),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);

    let steps = app::db::items::steps(app.db.pool(), &item.id)
        .await
        .unwrap();
    assert_eq!(
        steps,
        vec![Approver::Group {
            group: "finance-approvers-emea".into()
        }]
    );
    let pending = app::db::tasks::find(app.db.pool(), &task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        pending.approver_group.as_deref(),
        Some("finance-approvers-emea")
    );
    let (status, inbox) = bob_browser.server_fn("/api/inbox/list", &[]).await;
    assert_eq!(status, 200, "{inbox}");
    assert!(
        inbox.to_string().contains(&task),
        "bob, a member, still has the task: {inbox}"
    );
    let (details,): (String,) = sqlx::query_as(
        "SELECT details_json FROM audit_log WHERE action = 'group.renamed' AND target_id = $1",
    )
    .bind(&gid)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let details: serde_json::Value = serde_json::from_str(&details).unwrap();
    assert_eq!(details["approval_steps_renamed"], 1);
    assert_eq!(details["pending_tasks_renamed"], 1);
}
