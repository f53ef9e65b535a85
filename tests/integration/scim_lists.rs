//! Lists: `startIndex`/`count` paging over an indexed order, `totalResults`,
//! `attributes`/`excludedAttributes`, and the discovery endpoints.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_one_based_counted_and_capped() {
    let app = TestApp::spawn().await;
    let scim = app.scim().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            scim.create_user(&format!("page-{i}@example.com"), &format!("p{i}"))
                .await,
        );
    }
    ids.sort();
    let page = |start: &str, count: &str| {
        scim.request(Method::GET, "/Users").query(&[
            ("filter", "userName sw \"page-\""),
            ("startIndex", start),
            ("count", count),
        ])
    };
    let second = scim.send(page("2", "2")).await;
    assert_eq!(second.body["totalResults"], 5);
    assert_eq!(second.body["startIndex"], 2);
    assert_eq!(second.body["itemsPerPage"], 2);
    let got: Vec<&str> = second.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[1].as_str(), ids[2].as_str()]);
    let counted = scim.send(page("1", "0")).await;
    assert_eq!(counted.body["totalResults"], 5);
    assert_eq!(counted.body["Resources"], json!([]));
    let past_the_end = scim.send(page("9", "10")).await;
    assert_eq!(past_the_end.body["itemsPerPage"], 0);
    let capped = scim
        .send(
            scim.request(Method::GET, "/Users")
                .query(&[("count", "100000")]),
        )
        .await;
    assert!(capped.body["itemsPerPage"].as_i64().unwrap() <= 200);

    let only = scim
        .send(scim.request(Method::GET, "/Users").query(&[
            ("filter", format!("id eq \"{}\"", ids[0])),
            ("attributes", "userName".into()),
        ]))
        .await;
    let resource = &only.body["Resources"][0];
    let mut keys: Vec<&String> = resource.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["id", "schemas", "userName"]);
    let without = scim
        .send(
            scim.request(Method::GET, &format!("/Users/{}", ids[0]))
                .query(&[("excludedAttributes", "emails,name,meta")]),
        )
        .await;
    assert!(without.body.get("emails").is_none() && without.body.get("meta").is_none());
    assert_eq!(without.body["id"], ids[0].as_str());
    assert!(without.body.get("userName").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_says_what_is_supported() {
    let app = TestApp::spawn().await;
    let scim = app.scim().await;
    let config = scim.get("/ServiceProviderConfig").await.body;
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["bulk"]["supported"], false);
    assert_eq!(
        config["filter"],
        json!({"supported": true, "maxResults": 200})
    );
    assert_eq!(config["changePassword"]["supported"], false);
    assert_eq!(config["sort"]["supported"], false);
    assert_eq!(config["etag"]["supported"], true);
    assert_eq!(
        config["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );
    let types = scim.get("/ResourceTypes").await.body;
    let names: Vec<&Value> = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["name"])
        .collect();
    assert_eq!(names, [&json!("User"), &json!("Group")]);
    assert_eq!(
        scim.get("/ResourceTypes/User").await.body["endpoint"],
        "/Users"
    );
    let schemas = scim.get("/Schemas").await.body;
    assert_eq!(schemas["totalResults"], 3);
    let enterprise = scim
        .get("/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        .await;
    assert_eq!(enterprise.body["name"], "EnterpriseUser");
}
