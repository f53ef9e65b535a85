//! Arranging a test's starting point directly through the domain, as the people
//! who signed in at the provider: the counterpart of the domain tests' `World`.

use app::{
    db::{org_config, tasks, users},
    domain::{
        DomainError,
        items::{self, ItemInput, ReauthRule},
        reauth::{self, Freshness, ValidatedToken},
        requests::{AccessRequestInput, request_access},
        tokens,
    },
    types::{AccessItem, AccessRequestConfig, Approver, CurrentUser, Role, Scope},
};

use crate::support::TestApp;

impl TestApp {
    /// `login` as the domain sees them (they must have signed in once), with
    /// `roles` besides requester.
    pub async fn person(&self, login: &str, roles: &[Role]) -> CurrentUser {
        let row = users::find_by_identity(&self.db, &self.issuer(), login)
            .await
            .expect("query")
            .expect("signed in once");
        CurrentUser {
            id: row.id,
            name: row.name,
            email: row.email,
            roles: [&[Role::Requester], roles].concat(),
            groups: None,
        }
    }

    /// An item carol (signed in once) made and owns, with `approver` its one step.
    pub async fn item_approved_by(&self, name: &str, approver: &CurrentUser) -> AccessItem {
        let carol = self.person("carol", &[Role::Admin]).await;
        let step = Approver::User {
            user_id: approver.id.clone(),
        };
        self.item_owned_by(&carol, name, &[step]).await
    }

    /// An item `owner` made and owns, with these approval steps.
    pub async fn item_owned_by(
        &self,
        owner: &CurrentUser,
        name: &str,
        steps: &[Approver],
    ) -> AccessItem {
        let item = items::create(
            &self.db,
            owner,
            &ItemInput {
                kind: "application".into(),
                name: name.into(),
                description: format!("{name} for tests"),
                owner_id: owner.id.clone(),
                requestable: true,
                enabled: true,
            },
        )
        .await
        .expect("item");
        items::set_steps(
            &self.db,
            (owner, "arrange"),
            (&item.id, item.version),
            (steps, &self.fallback.roles),
            None,
        )
        .await
        .expect("steps")
    }

    /// Re-authenticated approvals on for the organisation, written directly (the
    /// HTTP way goes through the live provider test first).
    pub async fn turn_reauth_on(&self) {
        let carol = self.person("carol", &[Role::Admin]).await;
        let on = AccessRequestConfig {
            reauthorization_enabled: true,
            ..Default::default()
        };
        let mut tx = self.db.write_tx().await.expect("transaction");
        let stored = org_config::load(&mut *tx).await.expect("load");
        org_config::save(&mut tx, &on, stored.version, &carol.id, 1)
            .await
            .expect("save");
        tx.commit().await.expect("commit");
    }

    /// `item` requires a fresh sign-in for every approval (window 0).
    pub async fn require_reauth(&self, item: &AccessItem) -> AccessItem {
        let carol = self.person("carol", &[Role::Admin]).await;
        items::set_reauth(
            &self.db,
            &carol,
            "arrange",
            (&item.id, item.version),
            ReauthRule {
                require: true,
                window_minutes: Some(0),
            },
            None,
        )
        .await
        .expect("require re-authentication")
    }

    /// `who` requests `item` for `justification`: the request's id and its first
    /// task's id.
    pub async fn pending_request(
        &self,
        who: &CurrentUser,
        item: &AccessItem,
        justification: &str,
    ) -> (String, String) {
        let request = request_access(
            &self.db,
            who,
            &AccessRequestInput {
                item_id: item.id.clone(),
                justification: justification.into(),
                ..Default::default()
            },
            &self.fallback,
        )
        .await
        .expect("request");
        let task = tasks::of_request(self.db.pool(), &request)
            .await
            .expect("tasks")
            .remove(0)
            .id;
        (request, task)
    }

    /// A personal access token of `who` with `scopes`, created through the
    /// domain with its step-up proved (a sign-in of its own each time: two
    /// re-authentications of one sign-in in the same second would not count).
    pub async fn token(&self, who: &CurrentUser, scopes: &[Scope]) -> String {
        let session = &format!("arrange-{}", app::domain::new_id());
        let me = (who, session.as_str());
        let challenge = match tokens::create(&self.db, me, ("arranged", 30, scopes), 90, None).await
        {
            Err(DomainError::ReauthRequired { challenge_id }) => challenge_id,
            other => panic!("expected a step-up, got {other:?}"),
        };
        let row = users::find(&self.db, &who.id)
            .await
            .expect("query")
            .expect("a person");
        let proof = ValidatedToken {
            issuer: row.issuer,
            subject: row.subject,
            name: None,
            auth_time: Some(app::domain::now()),
            acr: None,
            amr: None,
            kid: None,
            signing_key: None,
            raw: "arranged".into(),
        };
        let freshness = Freshness {
            signed_in_auth_time: 0,
            skew_secs: 5,
        };
        reauth::verify(&self.db, (&who.id, session), &challenge, &proof, freshness)
            .await
            .expect("verified");
        tokens::create(&self.db, me, ("arranged", 30, scopes), 90, Some(&challenge))
            .await
            .expect("a personal access token")
            .1
    }
}
