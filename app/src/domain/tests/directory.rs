//! One identity at sign-in (`directory::sign_in`): linking by each key, and
//! the refusals of the directory as the truth.

use super::{ISSUER, World};
use crate::{
    db::{
        directory::people::{self, PersonWrite},
        users::SignInProfile,
    },
    domain::{
        directory::{DirectorySettings, sign_in::SignInRefused},
        identity::{RoleMap, record_sign_in_with},
    },
    types::{DirectoryMode, ScimMatchKey},
};

async fn pushed(w: &World, user_name: &str, external_id: &str) -> String {
    let id = crate::domain::new_id();
    let mut tx = w.db.write_tx().await.unwrap();
    let write = PersonWrite {
        user_name: user_name.into(),
        external_id: Some(external_id.into()),
        name: "Pushed Person".into(),
        email: None,
        employee_number: None,
        department: None,
        scim_json: "{}".into(),
    };
    people::insert(&mut tx, &id, &write, 1).await.unwrap();
    tx.commit().await.unwrap();
    id
}

fn profile<'a>(
    subject: &'a str,
    login: Option<&'a str>,
    email: Option<&'a str>,
) -> SignInProfile<'a> {
    SignInProfile {
        issuer: ISSUER,
        subject,
        name: "Signed In",
        email,
        login_name: login,
        groups: &[],
    }
}

fn settings(mode: DirectoryMode, match_key: ScimMatchKey) -> DirectorySettings {
    DirectorySettings { mode, match_key }
}

#[tokio::test]
async fn without_a_login_name_the_user_name_key_is_the_email() {
    let w = World::new().await;
    let id = pushed(&w, "ann@example.test", "ext-ann").await;
    let user = record_sign_in_with(
        &w.db,
        &profile("ann-sub", None, Some("Ann@Example.test")),
        &RoleMap::default(),
        &settings(DirectoryMode::Scim, ScimMatchKey::UserName),
    )
    .await
    .unwrap();
    assert_eq!(user.id, id);
    assert_eq!(
        (user.issuer.as_str(), user.subject.as_str()),
        (ISSUER, "ann-sub")
    );
    assert_eq!(user.name, "Pushed Person", "the directory's name stays");
    assert_eq!(w.audit_records("user.linked").await.len(), 1);
}

#[tokio::test]
async fn a_pushed_person_matching_someone_who_signed_in_before_is_not_linked() {
    let w = World::new().await;
    let id = pushed(&w, "alice@example.test", "alice").await;
    let refused = record_sign_in_with(
        &w.db,
        &profile("alice", None, None),
        &RoleMap::default(),
        &settings(DirectoryMode::Scim, ScimMatchKey::ExternalId),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(refused, SignInRefused::LinkConflict),
        "{refused:?}"
    );
    let row = people::find(w.db.pool(), &id).await.unwrap().unwrap();
    assert!(row.is_unlinked(), "nothing changed");
    // Without the directory as the truth, the person who signed in before
    // simply signs in again.
    let again = record_sign_in_with(
        &w.db,
        &profile("alice", None, None),
        &RoleMap::default(),
        &settings(DirectoryMode::Oidc, ScimMatchKey::ExternalId),
    )
    .await
    .unwrap();
    assert_eq!(again.id, w.alice.id);
}

#[tokio::test]
async fn with_the_directory_as_truth_someone_known_only_from_sign_ins_is_refused() {
    let w = World::new().await;
    let refused = record_sign_in_with(
        &w.db,
        &profile("bob", None, None),
        &RoleMap::default(),
        &settings(DirectoryMode::Scim, ScimMatchKey::ExternalId),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(refused, SignInRefused::NotInDirectory),
        "{refused:?}"
    );
}
