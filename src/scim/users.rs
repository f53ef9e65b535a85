//! `/scim/v2/Users`: thin handlers onto `app::domain::directory::people`.

use app::domain::directory::{people, schema::Kind};
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
    let q = match list_query(raw, Kind::User) {
        Ok(q) => q,
        Err(err) => return error(err),
    };
    match people::list(&token.caller(&state, &base), &q).await {
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
    let selection = match selection(raw, Kind::User) {
        Ok(s) => s,
        Err(err) => return error(err),
    };
    match people::get(&token.caller(&state, &base), &id).await {
        Ok(rep) if not_modified(&headers, rep.version) => {
            resource(StatusCode::NOT_MODIFIED, &rep, &serde_json::Value::Null)
        }
        result => answer(StatusCode::OK, Kind::User, &selection, result),
    }
}

pub async fn create(
    State(state): State<AppState>,
    token: Token,
    raw: Params,
    ScimBody(body): ScimBody,
) -> Response {
    let base = base_url(&state);
    let selection = match selection(raw, Kind::User) {
        Ok(s) => s,
        Err(err) => return error(err),
    };
    let result = people::create(&token.caller(&state, &base), body).await;
    answer(StatusCode::CREATED, Kind::User, &selection, result)
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
    let selection = match selection(raw, Kind::User) {
        Ok(s) => s,
        Err(err) => return error(err),
    };
    let result = people::replace(&token.caller(&state, &base), &id, body, if_match(&headers)).await;
    answer(StatusCode::OK, Kind::User, &selection, result)
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
    let selection = match selection(raw, Kind::User) {
        Ok(s) => s,
        Err(err) => return error(err),
    };
    let result = people::patch(&token.caller(&state, &base), &id, body, if_match(&headers)).await;
    answer(StatusCode::OK, Kind::User, &selection, result)
}

pub async fn delete(
    State(state): State<AppState>,
    token: Token,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&state);
    match people::delete(&token.caller(&state, &base), &id, if_match(&headers)).await {
        Ok(()) => deleted(&id),
        Err(err) => error(err),
    }
}
