//! `countersign demo-seed`: the demo organisation for `make run`: the five demo
//! people (as the local provider knows them) and ~20 access items across kinds,
//! made through the domain like an admin would. Idempotent.

use app::{
    db::{Db, items as item_store, users},
    domain::{
        DomainError,
        audit::AuditActor,
        identity::{self, RoleMap},
        items::{self, ItemInput},
        routing::Fallback,
    },
    types::{Approver, CurrentUser, Role},
};

use crate::{StartError, config::Config};

const PEOPLE: [(&str, &str, &[&str]); 5] = [
    ("alice", "Alice Example", &["staff"]),
    ("bob", "Bob Example", &["staff", "countersign-approvers"]),
    ("dave", "Dave Example", &["staff", "countersign-approvers"]),
    ("carol", "Carol Example", &["staff", "countersign-admins"]),
    ("erin", "Erin Example", &["staff", "countersign-auditors"]),
];

/// Who manages whom, as a directory would push it: (person, manager). bob and
/// carol have reports, so My team shows something.
const MANAGERS: [(&str, &str); 4] = [
    ("alice", "bob"),
    ("erin", "bob"),
    ("bob", "carol"),
    ("dave", "carol"),
];

/// (kind, name, description, owner, steps, require re-authentication)
type Item = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    bool,
);

const ITEMS: [Item; 21] = [
    (
        "application",
        "Payroll (Workday)",
        "Salaries, bonuses and bank details of every employee.",
        "carol",
        &["bob", "dave"],
        true,
    ),
    (
        "application",
        "Clinical Trial Data Warehouse",
        "Patient-level trial data (21 CFR Part 11 system).",
        "dave",
        &["bob", "dave"],
        true,
    ),
    (
        "application",
        "Salesforce CRM",
        "Customer accounts, opportunities and contracts.",
        "bob",
        &["owner"],
        false,
    ),
    (
        "application",
        "GitHub Enterprise",
        "Source code of every product.",
        "dave",
        &["owner"],
        false,
    ),
    (
        "application",
        "Jira",
        "Issue tracking for engineering and support.",
        "bob",
        &["owner"],
        false,
    ),
    (
        "application",
        "Confluence",
        "The company wiki.",
        "bob",
        &["owner"],
        false,
    ),
    (
        "application",
        "Slack",
        "Company chat.",
        "dave",
        &["owner"],
        false,
    ),
    (
        "application",
        "AWS Production Console",
        "Production cloud accounts: compute, storage, keys.",
        "dave",
        &["owner", "group:countersign-approvers"],
        true,
    ),
    (
        "role",
        "Finance Approver",
        "Approves purchase orders up to 50,000 EUR.",
        "carol",
        &["bob", "dave"],
        true,
    ),
    (
        "role",
        "Database Administrator",
        "Full control over production databases.",
        "dave",
        &["owner", "bob"],
        true,
    ),
    (
        "role",
        "Help Desk Agent",
        "Resets passwords and unlocks accounts.",
        "bob",
        &["owner"],
        false,
    ),
    (
        "role",
        "Quality Assurance Reviewer",
        "Signs off batch records in the LIMS.",
        "dave",
        &["bob"],
        true,
    ),
    (
        "entitlement",
        "SAP: Post Journal Entries",
        "Create and post general-ledger journal entries.",
        "carol",
        &["bob", "dave"],
        true,
    ),
    (
        "entitlement",
        "Okta: Super Administrator",
        "Every setting of the identity provider.",
        "carol",
        &["bob", "dave"],
        true,
    ),
    (
        "entitlement",
        "VPN: Engineering Network",
        "Network access to the engineering segment.",
        "dave",
        &["owner"],
        false,
    ),
    (
        "entitlement",
        "Shared Drive: Legal",
        "The legal department's documents.",
        "bob",
        &["owner"],
        false,
    ),
    (
        "access_profile",
        "New Starter – Engineering",
        "Laptop, GitHub, Jira, Slack and VPN for a new engineer.",
        "dave",
        &["owner"],
        false,
    ),
    (
        "access_profile",
        "New Starter – Sales",
        "Salesforce, Slack and the sales shared drive.",
        "bob",
        &["owner"],
        false,
    ),
    (
        "access_profile",
        "Contractor – Limited",
        "Slack and Confluence read-only, 90 days.",
        "bob",
        &["group:countersign-approvers"],
        false,
    ),
    (
        "application",
        "Expenses",
        "Submit expense reports; your manager approves.",
        "carol",
        &["manager"],
        false,
    ),
    (
        "access_profile",
        "Finance Close Team",
        "Everything the month-end close needs.",
        "carol",
        &["bob", "dave"],
        true,
    ),
];

pub async fn seed(config: Config, issuer: &str) -> Result<(), StartError> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let mut ids = std::collections::HashMap::new();
    for (login, name, groups) in PEOPLE {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        let email = format!("{login}@example.com");
        let profile = users::SignInProfile {
            issuer,
            subject: login,
            name,
            email: Some(&email),
            login_name: None,
            groups: &groups,
        };
        let row = users::upsert_at_sign_in(&db, &profile).await?;
        ids.insert(login, row.id);
    }
    let fallback = Fallback {
        admin_group: config.roles.admin_groups.first().cloned(),
        roles: config.roles.clone(),
    };
    for (login, manager) in MANAGERS {
        if let Err(err) = set_manager(&db, (&ids[login], &ids[manager]), &fallback).await {
            eprintln!("demo manager of {login}: {err}");
        }
    }
    if item_store::count(db.pool()).await? > 0 {
        println!("demo data already present");
        return Ok(());
    }
    let carol = CurrentUser {
        id: ids["carol"].clone(),
        name: "Carol Example".into(),
        email: None,
        roles: vec![Role::Requester, Role::Admin],
        groups: None,
    };
    let mut made = 0;
    for (kind, name, description, owner, steps, reauth) in ITEMS {
        if let Err(err) = seed_item(
            &db,
            &carol,
            (&ids, &config.roles),
            (kind, name, description, owner, steps, reauth),
        )
        .await
        {
            eprintln!("demo item {name:?}: {err}");
        } else {
            made += 1;
        }
    }
    println!("demo data: {} people, {made} access items", PEOPLE.len());
    Ok(())
}

/// The directory's way: `person`'s manager is `manager` (no change when it already is).
async fn set_manager(
    db: &Db,
    (person, manager): (&str, &str),
    fallback: &Fallback,
) -> Result<(), DomainError> {
    let mut tx = db.write_tx().await?;
    identity::set_manager(&mut tx, person, Some(manager), AuditActor::System, fallback).await?;
    tx.commit().await?;
    Ok(())
}

async fn seed_item(
    db: &Db,
    carol: &CurrentUser,
    (ids, roles): (&std::collections::HashMap<&str, String>, &RoleMap),
    (kind, name, description, owner, steps, reauth): Item,
) -> Result<(), DomainError> {
    let item = items::create(
        db,
        carol,
        &ItemInput {
            kind: kind.into(),
            name: name.into(),
            description: description.into(),
            owner_id: ids.get(owner).cloned().unwrap_or_default(),
            requestable: true,
            enabled: true,
        },
    )
    .await?;
    let approvers: Vec<Approver> = steps
        .iter()
        .map(|s| match *s {
            "owner" => Approver::Owner,
            "manager" => Approver::Manager,
            s if s.starts_with("group:") => Approver::Group {
                group: s["group:".len()..].to_owned(),
            },
            login => Approver::User {
                user_id: ids.get(login).cloned().unwrap_or_default(),
            },
        })
        .collect();
    let item = items::set_steps(
        db,
        (carol, "demo-seed"),
        (&item.id, item.version),
        (&approvers, roles),
        None,
    )
    .await?;
    if reauth {
        items::set_reauth(
            db,
            carol,
            "demo-seed",
            (&item.id, item.version),
            items::ReauthRule {
                require: true,
                window_minutes: Some(0),
            },
            None,
        )
        .await?;
    }
    Ok(())
}
