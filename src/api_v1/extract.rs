//! The API's own extractors: the body and the query string, whose rejections
//! are problem documents. Bodies must be `application/json`; request types
//! carry `#[serde(deny_unknown_fields)]`, so a misspelt field is a 422, not a
//! silently ignored value.

use axum::{
    Json,
    extract::{FromRequest, FromRequestParts, Query, Request},
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use super::problem::{Problem, ProblemType};

/// A JSON body (at most `MAX_REQUEST_BODY`): malformed → 400, not JSON's
/// media type → 415, a missing, unknown or mistyped field → 422, too large → 413.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Body(value))
    }
}

/// Query parameters; an unknown or unreadable one is a 400.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Query(value) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| Problem::new(ProblemType::BadQuery, rejection.body_text()))?;
        Ok(Params(value))
    }
}
