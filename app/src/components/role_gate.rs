//! The parent route of every page that needs a role (`/admin`, `/audit`): renders
//! the page, or a 403 page that says why. The rule is `crate::access`.

use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::{components::Outlet, hooks::use_location};

#[cfg(not(feature = "ssr"))]
use crate::components::session::use_signed_in;
use crate::{access::may_view, types::CurrentUser};

#[component]
pub fn RoleGate() -> impl IntoView {
    // Decided once, when the gate is made, so the page under it is made (and
    // runs its queries) once: a reactive gate inside a `Suspense` made it three
    // times per server render. Access is the same for every page under one
    // gate (`/admin/…`, `/audit/…`), so the path it was made for decides.
    let path = use_location().pathname.get_untracked();
    if may_view(&path, signed_in_now().as_ref()) {
        Either::Left(view! { <Outlet/> })
    } else {
        Either::Right(view! { <Forbidden/> })
    }
}

/// The person signed in, known without waiting: on the server the caller the
/// router's guard resolved for this request; in the browser the signed-in
/// person the page was served with (a blocking resource, so its value arrives
/// with the page and is there when the gate hydrates or is navigated to).
fn signed_in_now() -> Option<CurrentUser> {
    #[cfg(feature = "ssr")]
    {
        crate::auth::require_user().ok()
    }
    #[cfg(not(feature = "ssr"))]
    {
        use_signed_in()
            .0
            .get_untracked()
            .and_then(|user| user.ok().flatten())
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
