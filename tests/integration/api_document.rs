//! The generated OpenAPI document: valid OpenAPI 3.1 (the official schema,
//! vendored as `tests/fixtures/openapi-3.1-schema.json`), and the same routes
//! as the router, both ways.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::TestApp;

/// The official OpenAPI 3.1 schema (2022-10-07), as shipped by PyPI's
/// `openapi-spec-validator` 0.9.0.
const OPENAPI_31_SCHEMA: &str = include_str!("../fixtures/openapi-3.1-schema.json");

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn problems_with(document: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(OPENAPI_31_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

async fn served_document(app: &TestApp) -> Value {
    let response = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_valid_openapi_3_1() {
    let app = TestApp::spawn().await;
    let document = served_document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(problems_with(&document), Vec::<String>::new());

    // The check can fail: the same document without its `info` does.
    let mut broken = document.clone();
    broken.as_object_mut().unwrap().remove("info");
    assert!(!problems_with(&broken).is_empty());
    let mut broken = document;
    broken["paths"]["/api/v1/approvals"]["get"]["responses"] = Value::from(7);
    assert!(!problems_with(&broken).is_empty());
}

/// The router's own answers to a path or method it does not serve, as opposed
/// to a handler's 404 for an unknown id.
fn unrouted(status: StatusCode, body: &Value) -> bool {
    status == StatusCode::METHOD_NOT_ALLOWED
        || (status == StatusCode::NOT_FOUND
            && body["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("No such API resource")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_served_and_nothing_else() {
    let app = TestApp::spawn().await;
    let document = served_document(&app).await;
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 7, "{paths:?}");
    let client = reqwest::Client::new();
    for (path, operations) in paths {
        let url = app.url(&path.replace('{', "x").replace('}', ""));
        for method in METHODS {
            let response = client
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    &url,
                )
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let documented = operations.get(method).is_some();
            assert_eq!(
                !unrouted(status, &body),
                documented,
                "{method} {path}: {status} {body}"
            );
        }
    }

    // Nothing is routed under /api/v1 except through the annotated handlers
    // (`utoipa_axum::routes!` builds the router from the same annotations).
    for file in ["src/api_v1/mod.rs", "src/api_v1/document.rs", "src/lib.rs"] {
        let source = std::fs::read_to_string(file).unwrap();
        assert!(
            !source.contains(".route(\"/api/v1"),
            "{file} routes an /api/v1 path by hand: annotate it with #[utoipa::path] instead"
        );
    }
}
