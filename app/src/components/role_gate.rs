//! The parent route of every page that needs a role (`/admin`, `/audit`): renders
//! the page, or a 403 page that says why. The rule is `crate::access`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Outlet, hooks::use_location};

use crate::{access::may_view, components::session::use_signed_in};

#[component]
pub fn RoleGate() -> impl IntoView {
    let signed_in = use_signed_in();
    let path = use_location().pathname;
    let allowed = move || {
        signed_in
            .0
            .get()
            .map(|user| may_view(&path.get(), user.ok().flatten().as_ref()))
    };
    view! {
        <Suspense fallback=|| ()>
            <Show when=move || allowed() == Some(true) fallback=move || view! { <Forbidden/> }>
                <Outlet/>
            </Show>
        </Suspense>
    }
}

/// A signed-in person without the role a page needs; answers with status 403.
#[component]
pub fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::FORBIDDEN);
    }
    view! {
        <Title text="Not allowed"/>
        <h1 class="text-2xl font-bold">"You do not have access to this page"</h1>
        <p class="mt-4 max-w-[40rem] text-slate-700">
            "This page is for administrators (the audit trail also for auditors). Your roles come "
            "from your groups at your organisation's identity provider: ask your administrator "
            "if you need this access. Meanwhile, go back to the "
            <a href="/" class="text-indigo-700 underline">"home page"</a>"."
        </p>
    }
}
