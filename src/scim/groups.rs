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

pub async fn list(State(state): State<AppState>, token: Token, raw: Params) -> Response {
    let base = base_url(&state);
    let q = match list_query(raw, Kind::Group) {
        Ok(q) => q,
        Err(err) => return error(err),
    };
    match groups::list(&token.caller(&state, &base), &q).await {
        Ok(body) => message(&body),
        Err(err) => error(err),
    }
}

pub async fn get(
    State(state): State<AppState>,
    token: Token,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Params,
) -> Response {
    let base = base_url(&state);
    let selection = match selection(raw, Kind::Group) {
        Ok(s) => s,
        Err(err) => return error(err),
    };
    match groups::get(&token.caller(&state, &base), &id, &selection).await {
        Ok(rep) if not_modified(&headers, rep.version) => {
            resource(StatusCode::NOT_MODIFIED, &rep, &serde_json::Value::Null)
        }
        result => answer(StatusCode::OK, Kind::Group, &selection, result),
    }
}

pub async fn create(
    State(state): State<AppState>,
    token: Token,
    raw: Params,
    ScimBody(body): ScimBody,
) -> Response {
    let base = base_url(&state);
    let selection = match selection(raw, Kind::Group) {
        Ok(s) => s,
        Err(err) => return error(err),
    };
    let result = groups::create(&token.caller(&state, &base), body).await;
    answer(StatusCode::CREATED, Kind::Group, &selection, result)
}

pub async fn replace(
    State(state): State<AppState>,
    token: Token,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Params,
    ScimBody(body): ScimBody,
) -> Response {
    let base = base_url(&state);
    let selection = match selection(raw, Kind::Group) {
        Ok(s) => s,
        Err(err) => return error(err),
    };
    let result = groups::replace(&token.caller(&state, &base), &id, body, if_match(&headers)).await;
    answer(StatusCode::OK, Kind::Group, &selection, result)
}

pub async fn patch(
    State(state): State<AppState>,
    token: Token,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Params,
    ScimBody(body): ScimBody,
) -> Response {
    let base = base_url(&state);
    let selection = match selection(raw, Kind::Group) {
        Ok(s) => s,
        Err(err) => return error(err),
    };
    let result = groups::patch(
        &token.caller(&state, &base),
        &id,
        body,
        if_match(&headers),
        &selection,
    )
    .await;
    answer(StatusCode::OK, Kind::Group, &selection, result)
}

pub async fn delete(
    State(state): State<AppState>,
    token: Token,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&state);
    match groups::delete(&token.caller(&state, &base), &id, if_match(&headers)).await {
        Ok(()) => deleted(&id),
        Err(err) => error(err),
    }
}
