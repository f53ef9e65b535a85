//! The `Idempotency-Key` header on the API's creating calls: the edge of
//! `domain::idempotency` (which decides first call, replay, under way or
//! another request). A replay is the first answer, status and body, with
//! `Idempotent-Replayed: true`.

use std::{convert::Infallible, future::Future};

use app::domain::idempotency::{self, Start};
use axum::{
    Json,
    extract::FromRequestParts,
    http::{HeaderName, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde_json::Value;

use super::problem::{Problem, ProblemType};
use crate::AppState;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The call's `Idempotency-Key`, when it sent one (as text; `None` also when it
/// is not text, which [`once`] then refuses).
pub struct IdempotencyKey(Option<Result<String, ()>>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(IdempotencyKey(
            parts
                .headers
                .get(IDEMPOTENCY_KEY)
                .map(|v| v.to_str().map(str::to_owned).map_err(|_| ())),
        ))
    }
}

/// Runs `call` once per key: without a key it simply runs; with one, the first
/// call runs and its answer is kept, a repeat with the same request gets that
/// answer again, and one with another request a 422 problem.
pub async fn once<F, Fut>(
    state: &AppState,
    (caller, key): (&str, IdempotencyKey),
    (operation, request): (&str, Value),
    call: F,
) -> Result<Response, Problem>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, Value), Problem>>,
{
    let Some(raw) = key.0 else {
        let (status, body) = call().await?;
        return Ok((status, Json(body)).into_response());
    };
    let raw = raw.map_err(|()| {
        Problem::new(
            ProblemType::InvalidValue,
            "Idempotency-Key: must be visible ASCII characters, e.g. a UUID",
        )
    })?;
    match idempotency::start(&state.db, caller, &raw, (operation, &request)).await? {
        Start::First(key) => match call().await {
            Ok((status, body)) => {
                let text = body.to_string();
                if let Err(err) = idempotency::finish(&state.db, &key, status.as_u16(), &text).await
                {
                    // The call is done; only its replay is lost (a retry hears 409).
                    tracing::warn!(error = %err, "keeping an idempotent answer failed");
                }
                Ok((status, Json(body)).into_response())
            }
            Err(problem) => {
                if let Err(err) = idempotency::release(&state.db, &key).await {
                    tracing::warn!(error = %err, "releasing an idempotency key failed");
                }
                Err(problem)
            }
        },
        Start::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(REPLAYED, HeaderValue::from_static("true"));
            Ok(response)
        }
        Start::UnderWay => Err(Problem::new(
            ProblemType::Conflict,
            "A call with this Idempotency-Key is still under way: retry in a moment to get its answer.",
        )),
        Start::OtherRequest => Err(Problem::new(
            ProblemType::IdempotencyKeyReused,
            "This Idempotency-Key was sent before with a different request: use a new key for a new request.",
        )),
    }
}
