use scim_v2::Context;
use serde_json::{Value, json};

use super::*;
use crate::domain::directory::{person, schema::ENTERPRISE};

fn ops(operations: Value) -> Vec<PatchOperation> {
    parse_patch(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations,
    }))
    .expect("a PatchOp")
}

fn bjensen() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "schemas": [schema::USER],
        "userName": "bjensen@example.com",
        "displayName": "Babs",
        "active": true,
        "emails": [{"value": "b@home.example", "type": "home"}],
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
    }) else {
        unreachable!()
    };
    map
}

fn patched(operations: Value) -> Result<Map<String, Value>, ScimError> {
    let mut user = bjensen();
    apply(Kind::User, &mut user, &ops(operations))?;
    Ok(user)
}

#[test]
fn okta_deactivates_with_a_pathless_replace() {
    let user = patched(json!([{"op": "replace", "value": {"active": false}}])).unwrap();
    let input = person::parse(Value::Object(user), Context::ReplaceRequest).unwrap();
    assert!(!input.active);
}

#[test]
fn entra_sends_booleans_as_strings_and_capitalised_ops() {
    let user = patched(json!([{"op": "Replace", "path": "active", "value": "False"}])).unwrap();
    let input = person::parse(Value::Object(user), Context::ReplaceRequest).unwrap();
    assert!(!input.active);
}

#[test]
fn entra_replaces_a_work_email_the_person_does_not_have_yet() {
    let user = patched(json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@work.example"},
        {"op": "Replace", "path": "displayName", "value": "Barbara Jensen"},
        {"op": "Add", "path": "name.middleName", "value": "J"},
    ]))
    .unwrap();
    assert_eq!(
        user["emails"],
        json!([
            {"value": "b@home.example", "type": "home"},
            {"type": "work", "value": "b@work.example"},
        ])
    );
    assert_eq!(user["name"]["middleName"], "J");
    assert_eq!(user["name"]["givenName"], "Barbara");
    let input = person::parse(Value::Object(user), Context::ReplaceRequest).unwrap();
    assert_eq!(input.write.email.as_deref(), Some("b@work.example"));
    assert_eq!(input.write.name, "Barbara Jensen");
}

#[test]
fn entra_sets_the_manager_by_id_and_the_enterprise_attributes_by_urn() {
    let user = patched(json!([
        {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "m-1"},
        {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Tour"},
    ]))
    .unwrap();
    assert_eq!(
        user[ENTERPRISE],
        json!({"manager": {"value": "m-1"}, "department": "Tour"})
    );
    let removed = {
        let mut user = user;
        apply(
            Kind::User,
            &mut user,
            &ops(json!([{"op": "Remove", "path": format!("{ENTERPRISE}:manager")}])),
        )
        .unwrap();
        user
    };
    assert_eq!(removed[ENTERPRISE], json!({"department": "Tour"}));
}

#[test]
fn remove_by_value_filter_takes_out_the_matching_elements_only() {
    let user = patched(json!([
        {"op": "add", "path": "emails", "value": [{"value": "b@work.example", "type": "work"}]},
        {"op": "remove", "path": "emails[type eq \"home\"]"},
    ]))
    .unwrap();
    assert_eq!(
        user["emails"],
        json!([{"value": "b@work.example", "type": "work"}])
    );
}

#[test]
fn bad_paths_and_read_only_attributes_are_refused() {
    let outcome = |operations: Value| patched(operations).unwrap_err().outcome().to_owned();
    assert_eq!(
        outcome(json!([{"op": "replace", "path": "shoeSize", "value": 9}])),
        "invalidPath"
    );
    assert_eq!(
        outcome(json!([{"op": "replace", "path": "name.nickname", "value": "x"}])),
        "invalidPath"
    );
    assert_eq!(
        outcome(json!([{"op": "replace", "path": "id", "value": "x"}])),
        "mutability"
    );
    assert_eq!(
        outcome(json!([{"op": "replace", "value": {"groups": []}}])),
        "mutability"
    );
    assert_eq!(
        outcome(
            json!([{"op": "replace", "path": "emails[value co \"zzz\"].type", "value": "work"}])
        ),
        "noTarget"
    );
    let syntax = |body: Value| parse_patch(body).unwrap_err().outcome().to_owned();
    let urn = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    assert_eq!(
        syntax(json!({"schemas": [urn], "Operations": [{"op": "launch"}]})),
        "invalidSyntax"
    );
    assert_eq!(
        syntax(
            json!({"schemas": [urn], "Operations": [{"op": "add", "path": "emails[", "value": 1}]})
        ),
        "invalidPath"
    );
    assert_eq!(
        syntax(json!({"schemas": [urn], "Operations": [{"op": "add", "path": "title"}]})),
        "invalidValue"
    );
    assert_eq!(
        syntax(json!({"schemas": [urn], "Operations": []})),
        "invalidValue"
    );
    assert_eq!(syntax(json!([])), "invalidSyntax");
}
