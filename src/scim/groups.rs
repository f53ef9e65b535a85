//! `/scim/v2/Groups`: thin handlers onto `app::domain::directory::groups`.

use app::domain::directory::{groups, schema::Kind};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};

use super::{
    Params, ScimBody, ScimToken, answer, base_url, deleted, error, if_match, list_query, message,
    not_modified, resource, selection,
};
use crate::AppState;

type Token = axum::Extension<ScimToken>;

pub async fn list(
    State(state): State<AppState>,
    token: Token,
    raw: Params,
) -> Result<Response, Response> {
    let q = list_query(raw, Kind::Group).map_err(error)?;
    let base = base_url(&state);
    let body = groups::list(&token.caller(&state, &base), &q)
        .await
        .map_err(error)?;
    Ok(message(&body))
}

pub async fn get(
    State(state): State<AppState>,
    token: Token,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Params,
) -> Result<Response, Response> {
    let selection = selection(raw, Kind::Group).map_err(error)?;
    let base = base_url(&state);
    Ok(
        match groups::get(&token.caller(&state, &base), &id, &selection).await {
            Ok(rep) if not_modified(&headers, rep.version) => {
                resource(StatusCode::NOT_MODIFIED, &rep, &serde_json::Value::Null)
            }
            result => answer(StatusCode::OK, Kind::Group, &selection, result),
        },
    )
}

pub async fn create(
    State(state): State<AppState>,
    token: Token,
    raw: Params,
    ScimBody(body): ScimBody,
) -> Result<Response, Response> {
    let selection = selection(raw, Kind::Group).map_err(error)?;
    let base = base_url(&state);
    let result = groups::create(&token.caller(&state, &base), body).await;
    Ok(answer(StatusCode::CREATED, Kind::Group, &selection, result))
}

pub async fn replace(
    State(state): State<AppState>,
    token: Token,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Params,
    ScimBody(body): ScimBody,
) -> Result<Response, Response> {
    let selection = selection(raw, Kind::Group).map_err(error)?;
    let base = base_url(&state);
    let result = groups::replace(&token.caller(&state, &base), &id, body, if_match(&headers)).await;
    Ok(answer(StatusCode::OK, Kind::Group, &selection, result))
}

pub async fn patch(
    State(state): State<AppState>,
    token: Token,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Params,
    ScimBody(body): ScimBody,
) -> Result<Response, Response> {
    let selection = selection(raw, Kind::Group).map_err(error)?;
    let base = base_url(&state);
    let result = groups::patch(
        &token.caller(&state, &base),
        &id,
        body,
        if_match(&headers),
        &selection,
    )
    .await;
    Ok(answer(StatusCode::OK, Kind::Group, &selection, result))
}

pub async fn delete(
    State(state): State<AppState>,
    token: Token,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let base = base_url(&state);
    groups::delete(&token.caller(&state, &base), &id, if_match(&headers))
        .await
        .map_err(error)?;
    Ok(deleted(&id))
}
