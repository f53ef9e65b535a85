//! The parent route of every page that needs a role (`/admin`, `/audit`): renders
//! the page, or a 403 page that says why. The rule is `crate::access`.

use leptos::prelude::*;
use leptos_router::{components::Outlet, hooks::use_location};

use crate::{access::may_view, components::session::use_signed_in, pages::errors::Forbidden};

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
