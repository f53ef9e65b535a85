//! Domain tests on a real database (SQLite, or PostgreSQL when
//! `COUNTERSIGN_TEST_DATABASE=postgres`): each test gets a fresh one.

mod approvals;
mod audit;
mod catalog;
mod directory;
mod idempotency;
mod items;
mod leavers;
mod managers;
mod people;
mod provisioning;
mod reauth;
mod requests;
mod search;
mod security;
mod team;

use serde_json::json;

use super::{items as item_rules, reauth as reauth_rules, routing::Fallback};
use crate::{
    db::{Db, test_db, users},
    types::{AccessItem, AccessRequestConfig, Approver, CurrentUser, Role},
};

pub const ISSUER: &str = "https://idp.example.test";

/// A fresh database with the demo people (alice requester, bob and dave
/// approvers, carol admin, erin auditor).
pub struct World {
    pub db: Db,
    pub alice: CurrentUser,
    pub bob: CurrentUser,
    pub dave: CurrentUser,
    pub carol: CurrentUser,
    pub erin: CurrentUser,
    pub fallback: Fallback,
    /// Removes the database when the test ends.
    _database: test_db::TestDatabase,
}

async fn person(db: &Db, login: &str, name: &str, groups: &[&str], roles: &[Role]) -> CurrentUser {
    let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let row = users::upsert_at_sign_in(
        db,
        &users::SignInProfile {
            issuer: ISSUER,
            subject: login,
            name,
            email: None,
            login_name: None,
            groups: &groups,
        },
    )
    .await
    .expect("create person");
    let mut all = vec![Role::Requester];
    all.extend_from_slice(roles);
    CurrentUser {
        id: row.id,
        name: name.into(),
        email: None,
        roles: all,
        groups: None,
    }
}

impl World {
    pub async fn new() -> World {
        let (db, database) = test_db::TestDatabase::migrated()
            .await
            .expect("fresh database");
        let alice = person(&db, "alice", "Alice Example", &["staff"], &[]).await;
        let bob = person(&db, "bob", "Bob Example", &["approvers"], &[Role::Approver]).await;
        let dave = person(
            &db,
            "dave",
            "Dave Example",
            &["approvers"],
            &[Role::Approver],
        )
        .await;
        let carol = person(&db, "carol", "Carol Example", &["admins"], &[Role::Admin]).await;
        let erin = person(&db, "erin", "Erin Example", &["auditors"], &[Role::Auditor]).await;
        World {
            db,
            alice,
            bob,
            dave,
            carol,
            erin,
            fallback: Fallback {
                admin_group: Some("admins".into()),
                roles: super::identity::RoleMap {
                    admin_groups: vec!["admins".into()],
                    approver_groups: vec!["approvers".into()],
                    auditor_groups: vec!["auditors".into()],
                },
            },
            _database: database,
        }
    }

    /// An item made by carol, owned by `owner`, with these steps.
    pub async fn item(&self, name: &str, owner: &CurrentUser, steps: &[Approver]) -> AccessItem {
        let item = item_rules::create(
            &self.db,
            &self.carol,
            &item_rules::ItemInput {
                kind: "application".into(),
                name: name.into(),
                description: format!("{name} for tests"),
                owner_id: owner.id.clone(),
                requestable: true,
                enabled: true,
            },
        )
        .await
        .expect("create item");
        item_rules::set_steps(
            &self.db,
            (&self.carol, "carol-session"),
            (&item.id, item.version),
            (steps, &self.fallback.roles),
            None,
        )
        .await
        .expect("set steps")
    }

    /// An item carol made and owns, with `approver` its one step.
    pub async fn item_approved_by(&self, name: &str, approver: &CurrentUser) -> AccessItem {
        self.item(name, &self.carol, &[named(approver)]).await
    }

    /// The organisation configuration, written directly (tests of other rules).
    pub async fn configure(&self, config: AccessRequestConfig) {
        let mut tx = self.db.write_tx().await.expect("tx");
        let stored = crate::db::org_config::load(&mut *tx).await.expect("load");
        assert!(
            crate::db::org_config::save(&mut tx, &config, stored.version, &self.carol.id, 1)
                .await
                .expect("save")
        );
        tx.commit().await.expect("commit");
    }

    /// Re-authentication on, and `item` requiring it with `window` minutes.
    pub async fn require_reauth(&self, item: &AccessItem, window: i64) -> AccessItem {
        self.configure(AccessRequestConfig {
            reauthorization_enabled: true,
            ..Default::default()
        })
        .await;
        item_rules::set_reauth(
            &self.db,
            &self.carol,
            "carol-session",
            (&item.id, item.version),
            crate::domain::items::ReauthRule {
                require: true,
                window_minutes: Some(window),
            },
            None,
        )
        .await
        .expect("require re-authentication")
    }

    pub async fn request(&self, who: &CurrentUser, item: &AccessItem) -> String {
        super::requests::request_access(
            &self.db,
            who,
            &super::requests::AccessRequestInput {
                item_id: item.id.clone(),
                justification: "Needed for the quarterly close".into(),
                ..Default::default()
            },
            &self.fallback,
        )
        .await
        .expect("request access")
    }

    /// `who` requests `item`: the request's id and its first pending task's id.
    pub async fn pending_request(&self, who: &CurrentUser, item: &AccessItem) -> (String, String) {
        let request = self.request(who, item).await;
        let task = self.pending_tasks(&request).await.remove(0).id;
        (request, task)
    }

    /// The pending task ids of a request.
    pub async fn pending_tasks(&self, request_id: &str) -> Vec<crate::db::tasks::TaskRow> {
        crate::db::tasks::of_request(self.db.pool(), request_id)
            .await
            .expect("tasks")
            .into_iter()
            .filter(|t| t.state == crate::types::TaskState::Pending)
            .collect()
    }

    pub async fn status(&self, request_id: &str) -> crate::types::RequestStatus {
        crate::db::requests::find(self.db.pool(), request_id)
            .await
            .expect("find")
            .expect("request exists")
            .status
    }

    /// The audit records of `action`, newest first.
    pub async fn audit_records(&self, action: &str) -> Vec<crate::types::AuditRecord> {
        let filter = crate::db::audit::AuditFilter {
            action: Some(action.into()),
            ..Default::default()
        };
        crate::db::audit::list(self.db.pool(), &filter, None, 100)
            .await
            .expect("audit records")
    }

    /// `who` leaves the organisation (the directory's change), in one transaction.
    pub async fn leave(&self, who: &CurrentUser) -> Option<super::identity::Left> {
        let mut tx = self.db.write_tx().await.expect("tx");
        let left = super::identity::leave(
            &mut tx,
            &who.id,
            super::audit::AuditActor::System,
            &self.fallback,
        )
        .await
        .expect("leave");
        tx.commit().await.expect("commit");
        left
    }

    /// The directory sets `who`'s manager, in one transaction.
    pub async fn set_manager(&self, who: &CurrentUser, manager: Option<&CurrentUser>) -> bool {
        let mut tx = self.db.write_tx().await.expect("tx");
        let changed = super::identity::set_manager(
            &mut tx,
            &who.id,
            manager.map(|m| m.id.as_str()),
            super::audit::AuditActor::System,
            &self.fallback,
        )
        .await
        .expect("set manager");
        tx.commit().await.expect("commit");
        changed
    }

    /// The pending task of a request (exactly one).
    pub async fn pending_task(&self, request_id: &str) -> crate::db::tasks::TaskRow {
        let mut pending = self.pending_tasks(request_id).await;
        assert_eq!(pending.len(), 1, "one pending task");
        pending.remove(0)
    }

    pub async fn audit_count(&self) -> i64 {
        crate::db::audit::head(self.db.pool())
            .await
            .expect("head")
            .0
    }
}

/// A step that `who` approves.
pub fn named(who: &CurrentUser) -> Approver {
    Approver::User {
        user_id: who.id.clone(),
    }
}

/// `who` deciding through the web, on the sign-in `session`.
pub fn web<'a>(who: &'a CurrentUser, session: &'a str) -> super::approvals::Caller<'a> {
    super::approvals::Caller {
        user: who,
        session_key: session,
        channel: super::approvals::Channel::Web,
    }
}

/// Approves or denies `tasks` as `who` on the sign-in `session`.
pub async fn decide_as(
    w: &World,
    (who, session): (&CurrentUser, &str),
    tasks: &[String],
    (decision, comment): (crate::types::Decision, &str),
    proof: Option<&str>,
) -> Result<Vec<super::approvals::Decided>, super::DomainError> {
    let command = super::approvals::DecideCommand {
        tasks,
        decision,
        comment,
        proof,
    };
    super::approvals::decide(&w.db, &web(who, session), &command, &w.fallback).await
}

/// Freshness judged against a sign-in long ago, with no clock skew.
pub fn no_skew() -> reauth_rules::Freshness {
    reauth_rules::Freshness {
        signed_in_auth_time: 0,
        skew_secs: 0,
    }
}

/// What a provider would return after `who` signed in again at `auth_time`.
pub fn token_for(who_subject: &str, auth_time: i64) -> reauth_rules::ValidatedToken {
    reauth_rules::ValidatedToken {
        issuer: ISSUER.into(),
        subject: who_subject.into(),
        name: None,
        auth_time: Some(auth_time),
        acr: Some("urn:mace:incommon:iap:silver".into()),
        amr: Some(vec!["pwd".into()]),
        kid: Some("key-1".into()),
        signing_key: None,
        raw: format!("header.{}.signature", json!({ "sub": who_subject })),
    }
}
