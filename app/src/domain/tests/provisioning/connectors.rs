//! The LDAP and SCIM targets on the Provisioning tab: settings checked by
//! field, credentials sealed and never audited, and a stored credential kept
//! only while the target still points where it did (an edit of the URL alone
//! cannot send the stored password or token to another host).

use super::{World, runtime};
use crate::{
    db::provisioning as store,
    domain::{
        DomainError,
        provisioning::{
            ldap::settings::LdapInput,
            scim_client::settings::ScimInput,
            target::{self as tab, TargetInput},
        },
    },
    types::{AccessItem, ConnectorKind, MemberAttribute, ScimAuth},
};

const PASSWORD: &str = "bind-password-1";

fn ldap(url: &str, password: &str) -> TargetInput {
    TargetInput {
        connector: "ldap".into(),
        ldap: LdapInput {
            url: url.into(),
            bind_dn: "cn=countersign,ou=services,dc=example,dc=org".into(),
            password: password.into(),
            group_dn: "cn=payroll,ou=groups,dc=example,dc=org".into(),
            member_attribute: "uniqueMember".into(),
            user_base: "ou=people,dc=example,dc=org".into(),
            user_filter: "(mail={email})".into(),
            ..LdapInput::default()
        },
        ..TargetInput::default()
    }
}

fn scim(base_url: &str, secret: &str) -> TargetInput {
    TargetInput {
        connector: "scim".into(),
        scim: ScimInput {
            base_url: base_url.into(),
            secret: secret.into(),
            group: "Payroll".into(),
            group_by: "display_name".into(),
            ..ScimInput::default()
        },
        ..TargetInput::default()
    }
}

async fn save(
    w: &World,
    item: &AccessItem,
    version: i64,
    input: &TargetInput,
) -> Result<i64, DomainError> {
    let rt = runtime();
    let change = tab::check(&rt, &item.id, input)?;
    tab::save(
        &w.db,
        &rt,
        (&w.carol, "s"),
        (&item.id, version),
        &change,
        None,
    )
    .await
    .map(|v| v.version)
}

fn refused_field<T: std::fmt::Debug>(result: Result<T, DomainError>) -> &'static str {
    match result {
        Err(DomainError::Invalid { field, .. }) => field,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_ldap_target_is_saved_with_its_password_sealed_and_shown_without_it() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    save(&w, &item, 0, &ldap("ldaps://dc1.example.com:636", PASSWORD))
        .await
        .unwrap();
    let row = store::target(w.db.pool(), &item.id).await.unwrap().unwrap();
    assert_eq!(row.connector, ConnectorKind::Ldap);
    assert!(!row.settings_json.contains(PASSWORD));
    let sealed = row.secret_sealed.unwrap();
    assert_eq!(
        runtime().key.unwrap().open(&item.id, &sealed).unwrap(),
        PASSWORD
    );
    let view = tab::view(&w.db, &runtime(), &w.carol, &item.id)
        .await
        .unwrap();
    assert_eq!(view.ldap.member_attribute, MemberAttribute::UniqueMember);
    assert_eq!(view.ldap.user_filter, "(mail={email})");
    assert!(view.secret_set && !format!("{view:?}").contains(PASSWORD));
    let audited = w.audit_records("item.provisioning_changed").await;
    let details = audited[0].details.to_string();
    assert!(!details.contains(PASSWORD) && !details.contains(&sealed));
    assert_eq!(
        audited[0].details["after"]["ldap"]["group_dn"],
        "cn=payroll,ou=groups,dc=example,dc=org"
    );
}

#[tokio::test]
async fn a_stored_password_does_not_follow_a_new_server() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let v = save(&w, &item, 0, &ldap("ldaps://dc1.example.com", PASSWORD))
        .await
        .unwrap();
    // Another group, same server and account: the password is kept.
    let mut other_group = ldap("ldaps://dc1.example.com", "");
    other_group.ldap.group_dn = "cn=ledger,ou=groups,dc=example,dc=org".into();
    let v = save(&w, &item, v, &other_group).await.unwrap();
    // Another server: it must be entered again, and nothing changes.
    let elsewhere = save(&w, &item, v, &ldap("ldaps://ldap.attacker.example", "")).await;
    assert_eq!(refused_field(elsewhere), "ldap_password");
    let mut other_account = ldap("ldaps://dc1.example.com", "");
    other_account.ldap.bind_dn = "cn=someone-else,dc=example,dc=org".into();
    assert_eq!(
        refused_field(save(&w, &item, v, &other_account).await),
        "ldap_password"
    );
    let row = store::target(w.db.pool(), &item.id).await.unwrap().unwrap();
    assert!(row.settings_json.contains("dc1.example.com"));
    assert_eq!(row.version, v);
    // Likewise a SCIM token, and a switch of connector.
    let to_scim = save(&w, &item, v, &scim("https://api.example.com/scim/v2", "")).await;
    assert_eq!(refused_field(to_scim), "scim_secret");
}

#[tokio::test]
async fn bad_connector_settings_are_refused_by_field() {
    let w = World::new().await;
    let item = w.item_approved_by("Payroll", &w.bob).await;
    let rt = runtime();
    let field = |input: TargetInput| refused_field(tab::check(&rt, &item.id, &input));
    let starttls = tab::check(&rt, &item.id, &ldap("ldap://dc1.example.com", PASSWORD));
    assert!(starttls.is_ok(), "ldap:// is StartTLS: {starttls:?}");
    let mut plain = ldap("ldap://dc1.example.com", PASSWORD);
    plain.ldap.allow_plain_loopback = true;
    assert_eq!(field(plain), "ldap_url");
    let mut filter = ldap("ldaps://dc1.example.com", PASSWORD);
    filter.ldap.user_filter = "(uid=alice)".into();
    assert_eq!(field(filter), "ldap_user_filter");
    let mut group = ldap("ldaps://dc1.example.com", PASSWORD);
    group.ldap.group_dn = "Payroll".into();
    assert_eq!(field(group), "ldap_group_dn");
    let mut ca = ldap("ldaps://dc1.example.com", PASSWORD);
    ca.ldap.ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----".into();
    assert_eq!(field(ca), "ldap_ca_pem");
    assert_eq!(
        field(scim("http://api.example.com/scim/v2", "t")),
        "scim_base_url"
    );
    let mut oauth = scim("https://api.example.com/scim/v2", "s");
    oauth.scim.auth = "client_credentials".into();
    assert_eq!(field(oauth.clone()), "scim_token_url");
    oauth.scim.token_url = "https://login.example.com/token".into();
    assert_eq!(field(oauth.clone()), "scim_client_id");
    oauth.scim.client_id = "countersign".into();
    let change = tab::check(&rt, &item.id, &oauth).unwrap();
    assert_eq!(
        change.settings.scim.unwrap().auth,
        ScimAuth::ClientCredentials
    );
}
