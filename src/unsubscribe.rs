//! `/notifications/unsubscribe/{token}`: the link in non-essential mail.
//! `GET` only shows what the link turns off (mail scanners open links);
//! `POST` turns it off — from the page's button, or in one click by the mail
//! client (RFC 8058 `List-Unsubscribe=One-Click`). No sign-in: the token allows
//! exactly this and nothing else.

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
};

use crate::AppState;
use app::domain::{DomainError, notify::preferences};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/notifications/unsubscribe/{token}",
        get(show).post(unsubscribe),
    )
}

fn page(state: &AppState, status: StatusCode, title: &str, body: &str) -> Response {
    let escape = app::domain::notify::templates::escape;
    // The build's hashed stylesheet (`crate::assets`).
    let options = &state.leptos_options;
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    (
        status,
        Html(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{} · Countersign</title>\
             <link rel=\"stylesheet\" href=\"{}\"></head>\
             <body><main class=\"mx-auto max-w-[48rem] p-6\"><h1 class=\"text-2xl font-bold\">{}</h1>\
             {body}<p class=\"mt-4\"><a class=\"link\" href=\"/notifications\">\
             All your notification settings</a></p></main></body></html>",
            escape(title),
            escape(&stylesheet),
            escape(title)
        )),
    )
        .into_response()
}

fn unknown(state: &AppState) -> Response {
    page(
        state,
        StatusCode::NOT_FOUND,
        "Link not recognised",
        "<p class=\"mt-2\">This unsubscribe link is not known. Change which mail you get on \
         your notification settings page.</p>",
    )
}

async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match preferences::unsubscribe_topic(&state.db, &token).await {
        Ok(topic) => page(
            &state,
            StatusCode::OK,
            "Stop this kind of mail?",
            &format!(
                "<p class=\"mt-2\">You will no longer get mail about: <strong>{}</strong>.</p>\
                 <form method=\"post\" class=\"mt-4\"><button type=\"submit\" \
                 class=\"button-primary\">Stop these mails</button></form>",
                app::domain::notify::templates::escape(topic.label())
            ),
        ),
        Err(DomainError::NotFound(_)) => unknown(&state),
        Err(err) => {
            tracing::error!(error = %err, "unsubscribe page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match preferences::unsubscribe(&state.db, &token).await {
        Ok(topic) => page(
            &state,
            StatusCode::OK,
            "Unsubscribed",
            &format!(
                "<p class=\"mt-2\" role=\"status\">You will no longer get mail about: \
                 <strong>{}</strong>.</p>",
                app::domain::notify::templates::escape(topic.label())
            ),
        ),
        Err(DomainError::NotFound(_)) => unknown(&state),
        Err(err) => {
            tracing::error!(error = %err, "unsubscribe failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
