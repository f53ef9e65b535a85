//! The people pickers: one search (name, user name, email; any part, any
//! case; never a leaver; a page by name), and who each purpose may offer.

use super::*;
use crate::{
    db::people::Among,
    domain::{
        DomainError, approvals, catalog,
        items::{self as item_rules, ItemInput},
        people::{self, PeopleQuery},
    },
    types::{Page, PersonRef, RequestOnBehalfOfConfig},
};

/// A person as the directory pushes them: name, user name and email.
async fn directory_person(w: &World, login: &str, name: &str, groups: &[&str]) -> CurrentUser {
    let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let email = format!("{login}@corp.example");
    let row = users::upsert_at_sign_in(
        &w.db,
        &users::SignInProfile {
            issuer: ISSUER,
            subject: login,
            name,
            email: Some(&email),
            login_name: None,
            groups: &groups,
        },
    )
    .await
    .expect("person");
    sqlx::query("UPDATE users SET user_name = $1, user_name_key = $2 WHERE id = $3")
        .bind(format!("{}_{login}", login.to_uppercase()))
        .bind(format!("{login}_{login}"))
        .bind(&row.id)
        .execute(w.db.pool())
        .await
        .expect("user name");
    CurrentUser {
        id: row.id,
        name: name.into(),
        email: Some(email),
        roles: vec![Role::Requester],
        groups: None,
    }
}

fn query(text: &str) -> PeopleQuery {
    PeopleQuery::parse(text, None).expect("a valid search")
}

fn names(page: &Page<PersonRef>) -> Vec<&str> {
    page.rows.iter().map(|p| p.name.as_str()).collect()
}

/// Everyone `text` finds, as carol (an administrator) looking for an owner.
async fn find(w: &World, text: &str) -> Vec<String> {
    let page = people::anyone(&w.db, &w.carol, &query(text)).await.unwrap();
    page.rows.into_iter().map(|p| p.name).collect()
}

async fn leave(w: &World, who: &CurrentUser) {
    w.leave(who).await.expect("they had not left");
}

async fn set_manager(w: &World, who: &CurrentUser, manager: &CurrentUser) {
    assert!(
        w.set_manager(who, Some(manager)).await,
        "the manager changed"
    );
}

#[tokio::test]
async fn a_search_finds_any_part_of_a_name_user_name_or_email_in_any_case() {
    let w = World::new().await;
    directory_person(&w, "mlopez", "María Lopez", &[]).await;
    directory_person(&w, "jsmith", "John Smith", &[]).await;
    assert_eq!(find(&w, "Joh").await, ["John Smith"], "prefix of a name");
    assert_eq!(find(&w, "mit").await, ["John Smith"], "inside a name");
    assert_eq!(find(&w, "SMITH").await, ["John Smith"], "any case");
    assert_eq!(find(&w, "jsmith_j").await, ["John Smith"], "user name");
    assert_eq!(find(&w, "lopez@corp").await, ["María Lopez"], "email");
    assert_eq!(find(&w, "smith john").await, ["John Smith"], "every word");
    assert!(find(&w, "smith lopez").await.is_empty(), "all words match");
    assert!(find(&w, "nobody-like-this").await.is_empty());
}

#[tokio::test]
async fn wildcards_typed_are_matched_literally() {
    let w = World::new().await;
    directory_person(&w, "jsmith", "John Smith", &[]).await;
    assert_eq!(find(&w, "jsmith_").await, ["John Smith"]);
    assert!(find(&w, "j%h").await.is_empty(), "% is not a wildcard");
    assert!(find(&w, "j_mith").await.is_empty(), "_ is not a wildcard");
}

#[tokio::test]
async fn a_renamed_person_is_found_by_their_new_name() {
    let w = World::new().await;
    let john = directory_person(&w, "jsmith", "John Smith", &[]).await;
    sqlx::query(
        "UPDATE users SET name = 'John Baker', email = 'jbaker@corp.example' WHERE id = $1",
    )
    .bind(&john.id)
    .execute(w.db.pool())
    .await
    .unwrap();
    assert_eq!(find(&w, "baker").await, ["John Baker"]);
    assert!(find(&w, "smith@").await.is_empty(), "the old email is gone");
}

#[tokio::test]
async fn people_who_left_never_appear_and_are_never_accepted() {
    let w = World::new().await;
    let john = directory_person(&w, "jsmith", "John Smith", &["approvers"]).await;
    leave(&w, &john).await;
    assert!(find(&w, "smith").await.is_empty());
    let approvers = people::approvers(&w.db, &w.carol, &query(""), &w.fallback.roles)
        .await
        .unwrap();
    assert_eq!(names(&approvers), ["Bob Example", "Dave Example"]);
    let input = ItemInput {
        kind: "application".into(),
        name: "Payroll".into(),
        description: String::new(),
        owner_id: john.id.clone(),
        requestable: false,
        enabled: true,
    };
    let err = item_rules::create(&w.db, &w.carol, &input)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DomainError::Invalid { field: "owner", message } if message.contains("left")),
        "{err:?}"
    );
    let item = w.item_approved_by("Wiki", &w.bob).await;
    let err = item_rules::set_steps(
        &w.db,
        (&w.carol, "s"),
        (&item.id, item.version),
        (&[named(&john)], &w.fallback.roles),
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DomainError::Invalid { field: "steps", .. }));
}

#[tokio::test]
async fn looking_anyone_up_is_for_administrators_and_auditors() {
    let w = World::new().await;
    for who in [&w.carol, &w.erin] {
        people::anyone(&w.db, who, &query("example")).await.unwrap();
    }
    for who in [&w.alice, &w.bob] {
        let err = people::anyone(&w.db, who, &query("example"))
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
    }
}

#[tokio::test]
async fn a_named_approver_must_hold_the_approver_role() {
    let w = World::new().await;
    let found = people::approvers(&w.db, &w.carol, &query("example"), &w.fallback.roles)
        .await
        .unwrap();
    assert_eq!(names(&found), ["Bob Example", "Dave Example"]);
    let err = people::approvers(&w.db, &w.bob, &query(""), &w.fallback.roles)
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)), "admins only");
    let item = w.item_approved_by("Wiki", &w.bob).await;
    let err = item_rules::set_steps(
        &w.db,
        (&w.carol, "s"),
        (&item.id, item.version),
        (&[named(&w.erin)], &w.fallback.roles),
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, DomainError::Invalid { field: "steps", message } if message.contains("not an approver")),
        "{err:?}"
    );
    let unchanged = crate::db::items::steps(w.db.pool(), &item.id)
        .await
        .unwrap();
    assert_eq!(unchanged, vec![named(&w.bob)]);
}

#[tokio::test]
async fn reassignment_candidates_are_the_step_groups_members_except_those_involved() {
    let w = World::new().await;
    let fin = directory_person(&w, "fin1", "Fiona Finance", &["finance", "approvers"]).await;
    let fin = CurrentUser {
        roles: vec![Role::Requester, Role::Approver],
        ..fin
    };
    let leaver = directory_person(&w, "fin2", "Frank Finance", &["finance"]).await;
    directory_person(&w, "fin3", "Fred Finance", &["finance"]).await;
    directory_person(&w, "ops1", "Olga Ops", &["operations", "approvers"]).await;
    leave(&w, &leaver).await;
    let item = w
        .item(
            "Ledger",
            &w.carol,
            &[Approver::Group {
                group: "finance".into(),
            }],
        )
        .await;
    let (_, task) = w.pending_request(&w.alice, &item).await;
    let offered = approvals::eligible_assignees(&w.db, &fin, &task, &query(""), &w.fallback)
        .await
        .unwrap();
    assert_eq!(
        names(&offered),
        ["Fred Finance"],
        "the group's members: not fiona herself, not frank who left, not olga"
    );
    // A named step: the approvers, not the one deciding, not the requester.
    let named_item = w.item_approved_by("Payroll", &w.bob).await;
    let (_, task) = w.pending_request(&w.dave, &named_item).await;
    let offered = approvals::eligible_assignees(&w.db, &w.bob, &task, &query("dave"), &w.fallback)
        .await
        .unwrap();
    assert!(offered.rows.is_empty(), "bob decides, dave requested");
    let (_, task) = w.pending_request(&w.alice, &named_item).await;
    let offered = approvals::eligible_assignees(&w.db, &w.bob, &task, &query("DAVE"), &w.fallback)
        .await
        .unwrap();
    assert_eq!(names(&offered), ["Dave Example"]);
}

#[tokio::test]
async fn a_task_is_never_handed_to_someone_who_left() {
    let w = World::new().await;
    let approver = directory_person(&w, "appr", "Ann Approver", &["approvers"]).await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let (request, task) = w.pending_request(&w.alice, &item).await;
    leave(&w, &approver).await;
    let err = approvals::reassign(
        &w.db,
        &web(&w.bob, "s"),
        (&task, &approver.id),
        "Please",
        &w.fallback,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, DomainError::Invalid { field: "to", message } if message.contains("left")),
        "{err:?}"
    );
    assert_eq!(
        w.pending_tasks(&request).await[0].id,
        task,
        "nothing changed"
    );
}

#[tokio::test]
async fn on_behalf_candidates_follow_the_organisations_rule() {
    let w = World::new().await;
    let report = directory_person(&w, "rep1", "Rita Report", &[]).await;
    directory_person(&w, "oth1", "Otto Other", &[]).await;
    set_manager(&w, &report, &w.bob).await;
    let candidates = |who: &CurrentUser| {
        let (db, who) = (w.db.clone(), who.clone());
        async move {
            people::on_behalf_candidates(&db, &who, &query(""))
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
        }
    };
    // The catalog offers the choice only to those who have someone to choose.
    let item = w.item_approved_by("Licence", &w.bob).await;
    let offered = |who: &CurrentUser| {
        let (db, who, id) = (w.db.clone(), who.clone(), item.id.clone());
        async move { catalog::entry(&db, &who, &id).await.unwrap().1 }
    };
    assert!(candidates(&w.bob).await.is_empty(), "off by default");
    assert!(!offered(&w.bob).await);
    w.configure(AccessRequestConfig {
        request_on_behalf_of_config: RequestOnBehalfOfConfig {
            allow_request_on_behalf_of_employee_by_manager: true,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    assert_eq!(candidates(&w.bob).await, ["Rita Report"], "direct reports");
    assert!(offered(&w.bob).await, "bob manages Rita");
    assert!(candidates(&w.dave).await.is_empty(), "dave manages nobody");
    assert!(!offered(&w.dave).await, "nobody to ask for");
    w.configure(AccessRequestConfig {
        request_on_behalf_of_config: RequestOnBehalfOfConfig {
            allow_request_on_behalf_of_anyone_by_anyone: true,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let anyone = candidates(&w.bob).await;
    assert_eq!(anyone.len(), 6, "everybody but bob: {anyone:?}");
    assert!(!anyone.contains(&"Bob Example".to_owned()));
    assert!(offered(&w.dave).await);
}

#[tokio::test]
async fn results_come_a_page_at_a_time_by_name() {
    let w = World::new().await;
    for i in 0..25 {
        directory_person(&w, &format!("p{i:02}"), &format!("Pat {i:02}"), &[]).await;
    }
    let first = people::anyone(&w.db, &w.carol, &query("pat"))
        .await
        .unwrap();
    assert_eq!(first.rows.len() as i64, people::PAGE);
    assert_eq!(first.rows[0].name, "Pat 00");
    let next = first.next.as_deref().expect("a second page");
    let second = people::anyone(
        &w.db,
        &w.carol,
        &PeopleQuery::parse("pat", Some(next)).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        names(&second),
        ["Pat 20", "Pat 21", "Pat 22", "Pat 23", "Pat 24"]
    );
    assert!(second.next.is_none());
}

#[tokio::test]
async fn a_search_is_at_most_200_characters_and_5_words() {
    let w = World::new().await;
    let long = "a".repeat(201);
    let err = PeopleQuery::parse(&long, None).unwrap_err();
    assert!(matches!(
        err,
        DomainError::Invalid {
            field: "search",
            ..
        }
    ));
    assert!(PeopleQuery::parse("a b c d e f", None).is_err());
    // The search that runs is the one that was parsed: no way round the cap.
    let mut conn = w.db.pool().acquire().await.unwrap();
    let page = query(&"a".repeat(200))
        .page(&mut conn, Among::Everyone, &[])
        .await
        .unwrap();
    assert!(page.rows.is_empty());
}
