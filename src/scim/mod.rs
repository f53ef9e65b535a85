//! The SCIM 2.0 service provider at `/scim/v2` (RFC 7643/7644): the HTTP edge.
//! Every request is authenticated by a directory token and logged (method,
//! path, status, outcome; never a body, a token or a query string) here;
//! handlers read the body ([`ScimBody`]: at most [`MAX_BODY`], JSON, the SCIM
//! media type), call one `app::domain::directory` function and answer with
//! `application/scim+json`, a weak `ETag`, or the RFC 7644 §3.12 error.

mod discovery;
mod groups;
mod users;

use app::{
    db::directory::operations::NewOperation,
    domain::directory::{self, ScimCaller, error::ScimError, people::Representation},
};
use axum::{
    Router,
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use scim_v2::models::errors::ScimHttpError;
use serde_json::Value;

use crate::AppState;

/// The largest SCIM body read: a group replaced with its members runs to
/// hundreds of kilobytes (the rest of the app takes 64 KiB).
pub const MAX_BODY: usize = 1024 * 1024;

const MEDIA_TYPE: &str = "application/scim+json";

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/scim/v2/Users", get(users::list).post(users::create))
        .route(
            "/scim/v2/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route("/scim/v2/Groups", get(groups::list).post(groups::create))
        .route(
            "/scim/v2/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(discovery::resource_types))
        .route(
            "/scim/v2/ResourceTypes/{name}",
            get(discovery::resource_type),
        )
        .route("/scim/v2/Schemas", get(discovery::schemas))
        .route("/scim/v2/Schemas/{urn}", get(discovery::schema))
        .route("/scim/v2", get(unknown_endpoint))
        .route(
            "/scim/v2/{*rest}",
            get(unknown_endpoint).post(unknown_endpoint),
        )
        .layer(middleware::from_fn_with_state(state, authenticate_and_log))
}

/// The directory token that authenticated this request.
#[derive(Debug, Clone)]
pub struct ScimToken(pub String);

/// What a handler tells the operation log about its answer.
#[derive(Debug, Clone)]
struct Logged {
    outcome: String,
    resource_id: Option<String>,
}

impl ScimToken {
    pub fn caller<'a>(&'a self, state: &'a AppState, base_url: &'a str) -> ScimCaller<'a> {
        ScimCaller {
            db: &state.db,
            token_id: &self.0,
            base_url,
            settings: state.services.directory,
            fallback: &state.services.fallback,
        }
    }
}

/// The SCIM base URL of this installation.
pub fn base_url(state: &AppState) -> String {
    directory::status::endpoint_url(state.public_url.as_str())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Authenticates the directory's token (401 otherwise), runs the request and
/// logs it, success or error.
async fn authenticate_and_log(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let method = request.method().as_str().to_owned();
    let path: String = request.uri().path().chars().take(300).collect();
    let token = match bearer(request.headers()) {
        Some(token) => directory::tokens::authenticate(&state.db, token).await,
        None => Ok(None),
    };
    let (token_id, response) = match token {
        Ok(Some(token)) => {
            request.extensions_mut().insert(ScimToken(token.id.clone()));
            (Some(token.id), next.run(request).await)
        }
        Ok(None) => {
            let mut response = error(ScimError {
                status: 401,
                scim_type: None,
                detail: "send a directory token: Authorization: Bearer csd_… (an administrator \
                         creates one on the Directory page)"
                    .into(),
            });
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"countersign-scim\""),
            );
            (None, response)
        }
        Err(err) => (None, error(ScimError::from(err))),
    };
    let logged = response.extensions().get::<Logged>().cloned();
    let status = i64::from(response.status().as_u16());
    let outcome = logged.as_ref().map_or_else(
        || {
            if response.status().is_success() {
                "ok".to_owned()
            } else {
                "error".to_owned()
            }
        },
        |l| l.outcome.clone(),
    );
    let op = NewOperation {
        at: app::domain::now(),
        token_id: token_id.as_deref(),
        method: &method,
        path: &path,
        status,
        outcome: &outcome,
        resource_id: logged.as_ref().and_then(|l| l.resource_id.as_deref()),
        detail: "",
    };
    if let Err(err) = directory::log::record(&state.db, &op).await {
        tracing::warn!(error = %err, "cannot log a SCIM operation");
    }
    if response.status().is_server_error() {
        tracing::error!(%method, %path, status, "SCIM request failed");
    }
    response
}

fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    response
}

/// The RFC 7644 §3.12 error: `status` as a string, `scimType` for a 400/409.
pub fn error(err: ScimError) -> Response {
    let body = ScimHttpError {
        schemas: vec![scim_v2::schema_urns::ERROR.to_owned()],
        scim_type: err.scim_type.clone(),
        detail: Some(err.detail.clone()),
        status: err.status.to_string(),
    };
    let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = scim_json(status, &serde_json::to_value(&body).unwrap_or(Value::Null));
    response.extensions_mut().insert(Logged {
        outcome: err.outcome().to_owned(),
        resource_id: None,
    });
    response
}

/// A resource with its `ETag` (and `Location` when just created).
pub fn resource(status: StatusCode, rep: &Representation, json: &Value) -> Response {
    let mut response = scim_json(status, json);
    let headers = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&app::domain::directory::resource::etag(rep.version)) {
        headers.insert(header::ETAG, tag);
    }
    if status == StatusCode::CREATED
        && let Some(location) = json.pointer("/meta/location").and_then(Value::as_str)
        && let Ok(location) = HeaderValue::from_str(location)
    {
        headers.insert(header::LOCATION, location);
    }
    response.extensions_mut().insert(Logged {
        outcome: "ok".into(),
        resource_id: Some(rep.id.clone()),
    });
    response
}

/// A JSON message that is not a resource (lists, discovery).
pub fn message(body: &Value) -> Response {
    scim_json(StatusCode::OK, body)
}

/// 204 after a delete, naming what was deleted for the log.
pub fn deleted(id: &str) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.extensions_mut().insert(Logged {
        outcome: "ok".into(),
        resource_id: Some(id.to_owned()),
    });
    response
}

/// `If-Match`, when sent.
pub fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

/// Whether `If-None-Match` names this version (a GET answers 304).
pub fn not_modified(headers: &HeaderMap, version: i64) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| directory::resource::if_match_allows(Some(tags), version))
}

/// A request body: SCIM's media type (or plain JSON), at most [`MAX_BODY`],
/// a JSON value. Anything else is answered in SCIM's error schema.
pub struct ScimBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for ScimBody {
    type Rejection = Response;

    async fn from_request(request: Request, _: &S) -> Result<Self, Response> {
        let media = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        if !matches!(media.as_deref(), Some(MEDIA_TYPE | "application/json")) {
            return Err(error(ScimError {
                status: 415,
                scim_type: None,
                detail: format!("send the body as {MEDIA_TYPE}"),
            }));
        }
        // The rest of the body is never read, so the connection cannot carry
        // another request: it is closed, and the client is told so (else it
        // may send its next request down a connection that is closing).
        let too_large = || {
            let mut response = error(ScimError {
                status: 413,
                scim_type: None,
                detail: format!("the body is over {} KiB", MAX_BODY / 1024),
            });
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY) {
            return Err(too_large());
        }
        // Read at most MAX_BODY, whatever Content-Length claimed (or chunked).
        let bytes: Bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
            .await
            .map_err(|_| too_large())?;
        serde_json::from_slice(&bytes).map(ScimBody).map_err(|e| {
            error(ScimError::invalid_syntax(format!(
                "the body is not JSON: {e}"
            )))
        })
    }
}

async fn unknown_endpoint() -> Response {
    error(ScimError {
        status: 404,
        scim_type: None,
        detail: "no such SCIM endpoint: /Users, /Groups, /ServiceProviderConfig, \
                 /ResourceTypes and /Schemas are served"
            .into(),
    })
}

/// The query string, as given (a malformed one is answered, not ignored).
pub type Params = Result<
    axum::extract::Query<directory::resource::RawQuery>,
    axum::extract::rejection::QueryRejection,
>;

fn params(raw: Params) -> Result<directory::resource::RawQuery, ScimError> {
    raw.map(|axum::extract::Query(q)| q)
        .map_err(|_| ScimError::invalid_value("the query string is malformed"))
}

/// `attributes`/`excludedAttributes` of a request on one resource.
pub fn selection(
    raw: Params,
    kind: directory::schema::Kind,
) -> Result<directory::resource::Selection, ScimError> {
    params(raw)?.selection(kind)
}

/// `filter`, `startIndex`, `count` and the selection of a list request.
pub fn list_query(
    raw: Params,
    kind: directory::schema::Kind,
) -> Result<directory::resource::ListQuery, ScimError> {
    params(raw)?.list(kind)
}

/// The answer to a request on one resource: projected as asked.
pub fn answer(
    status: StatusCode,
    kind: directory::schema::Kind,
    selection: &directory::resource::Selection,
    result: Result<Representation, ScimError>,
) -> Response {
    match result {
        Ok(rep) => {
            let json = directory::resource::project(kind, rep.json.clone(), selection);
            resource(status, &rep, &json)
        }
        Err(err) => error(err),
    }
}
