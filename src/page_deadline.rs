//! Every page answers. Leptos renders a page as a stream its resources fill; in
//! rare races (Leptos issues #4578, #4673, #4851: a `Suspense` whose finished
//! resource is never noticed) a render stops and its response never ends, and
//! the person looks at a blank tab. Seen here about once in a few thousand test
//! requests, on SQLite and PostgreSQL, never when asked for again.
//!
//! So a page (a `GET` the Leptos router renders) must be whole within
//! [`PAGE_DEADLINE`]. One that is not is rendered once more (a page only reads,
//! so a second render is safe), and one that still is not answers 503 with a
//! plain page asking to reload, logged with its path. A page's body is
//! gathered before it is sent: pages are rendered in order (`SsrMode::InOrder`)
//! and are small, so the wait is the render's, and what is sent is whole.

use std::time::Duration;

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};

/// How long a page's render may take before it is tried again; pages render in
/// milliseconds (tens under load), so this is a stalled render, not a slow one.
pub const PAGE_DEADLINE: Duration = Duration::from_secs(10);

/// Pages are a few hundred kilobytes at most; a bigger body is a fault.
const LARGEST_PAGE: usize = 16 * 1024 * 1024;

/// The middleware on the page routes: [`render_within`] at [`PAGE_DEADLINE`].
pub async fn whole_in_time(request: Request, next: Next) -> Response {
    render_within(PAGE_DEADLINE, request, move |request| {
        next.clone().run(request)
    })
    .await
}

/// Renders `request` with `render`, at most twice, each whole within `deadline`.
/// Anything but a `GET` or `HEAD` is passed through untouched.
pub async fn render_within<F, Fut>(deadline: Duration, request: Request, render: F) -> Response
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return render(request).await;
    }
    let (parts, _) = request.into_parts();
    let path = parts.uri.path().to_owned();
    for attempt in 1..=2 {
        let request = Request::from_parts(parts.clone(), Body::empty());
        match tokio::time::timeout(deadline, whole(render(request))).await {
            Ok(Ok(response)) => return response,
            Ok(Err(err)) => {
                tracing::error!(%path, error = %err, "a page's body failed");
                return unavailable();
            }
            Err(_) => tracing::warn!(
                %path,
                attempt,
                deadline_ms = deadline.as_millis() as u64,
                "a page's render did not finish in time"
            ),
        }
    }
    unavailable()
}

/// The response with its body gathered.
async fn whole(response: impl Future<Output = Response>) -> Result<Response, axum::Error> {
    let (parts, body) = response.await.into_parts();
    let bytes = axum::body::to_bytes(body, LARGEST_PAGE).await?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// A render that did not finish twice: say so plainly, and that a reload helps.
fn unavailable() -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Page not ready · Countersign</title></head><body><main id=\"main\">\
             <h1>This page is not ready</h1><p role=\"alert\">Countersign could not \
             finish this page in time. Nothing was changed: reload the page to try \
             again.</p><p><a href=\"/\">Home</a></p></main></body></html>",
        ),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use futures::StreamExt;

    use super::*;

    /// A stalled render never finishes and a good one is ready at once, so a
    /// short deadline decides the same as the real one.
    const SHORT: Duration = Duration::from_millis(50);

    type Rendering = std::pin::Pin<Box<dyn Future<Output = Response> + Send>>;

    fn page() -> Request {
        Request::get("/inbox")
            .body(Body::empty())
            .expect("a request")
    }

    /// A renderer that stalls its first `stalls` renders (forever, as the Leptos
    /// race does) and answers the page after; counts its renders.
    fn renderer(stalls: usize) -> (Arc<AtomicUsize>, impl Fn(Request) -> Rendering) {
        let renders = Arc::new(AtomicUsize::new(0));
        let counted = renders.clone();
        let render = move |_request: Request| {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                if n < stalls {
                    std::future::pending::<()>().await;
                }
                Html("<h1>Inbox</h1>").into_response()
            }) as Rendering
        };
        (renders, render)
    }

    async fn text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("a body");
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[tokio::test]
    async fn a_page_that_renders_is_answered_after_one_render() {
        let (renders, render) = renderer(0);
        let response = render_within(SHORT, page(), render).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(text(response).await, "<h1>Inbox</h1>");
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_stalled_render_is_rendered_again() {
        let (renders, render) = renderer(1);
        let response = render_within(SHORT, page(), render).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(text(response).await, "<h1>Inbox</h1>");
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_body_that_stalls_midway_is_rendered_again() {
        let renders = Arc::new(AtomicUsize::new(0));
        let counted = renders.clone();
        let render = move |_request: Request| {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                let chunks = futures::stream::iter([Ok::<_, std::io::Error>("<h1>Inbox</h1>")]);
                if n == 0 {
                    // Headers and a first chunk, then nothing, ever.
                    let stalled = chunks.chain(futures::stream::pending());
                    Response::new(Body::from_stream(stalled))
                } else {
                    Response::new(Body::from_stream(chunks))
                }
            }
        };
        let response = render_within(SHORT, page(), render).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(text(response).await, "<h1>Inbox</h1>");
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_render_that_stalls_twice_answers_503_asking_for_a_reload() {
        let (renders, render) = renderer(2);
        let response = render_within(SHORT, page(), render).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert!(text(response).await.contains("reload the page"));
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_post_is_passed_through_and_never_rendered_twice() {
        let (renders, render) = renderer(0);
        let post = Request::post("/inbox")
            .body(Body::empty())
            .expect("a request");
        let response = render_within(SHORT, post, render).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }
}
