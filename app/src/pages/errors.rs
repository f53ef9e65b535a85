//! The 404 page and the error boundary's page. (The 403 page is the role
//! gate's: `components::role_gate::Forbidden`.)

use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for any path the app does not know; answers with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <h1 class="text-2xl font-bold">"Page not found"</h1>
        <p class="mt-4 text-slate-700">
            "There is no page at this address. Check the link, or go back to the "
            <a href="/" class="text-indigo-700 underline">"home page"</a>"."
        </p>
    }
}

/// Rendered by the error boundary when a page fails to load.
#[component]
pub fn ErrorPage(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <Title text="Something went wrong"/>
        <h1 class="text-2xl font-bold">"Something went wrong"</h1>
        <ul class="mt-4 list-disc pl-6 text-red-700" role="alert">
            {move || {
                errors
                    .get()
                    .into_iter()
                    .map(|(_, e)| view! { <li>{e.to_string()}</li> })
                    .collect_view()
            }}
        </ul>
    }
}
