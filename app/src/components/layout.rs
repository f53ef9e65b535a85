//! Header (product name, navigation, who is signed in) and footer.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    components::session::use_signed_in,
    types::{CurrentUser, Role},
};

/// The site header. On narrow screens the navigation folds behind a Menu button.
#[component]
pub fn Header() -> impl IntoView {
    let (menu_open, set_menu_open) = signal(false);
    let menu_button = NodeRef::<leptos::html::Button>::new();
    // The phone menu closes when a link in it is followed (a click in it),
    // and on Escape (focus back on its button).
    let _escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && menu_open.get_untracked() {
            set_menu_open.set(false);
            if let Some(button) = menu_button.get_untracked() {
                let _ = button.focus();
            }
        }
    });
    // How many tasks wait in the inbox. Blocking, like the signed-in person, so the
    // server's first bytes already carry it.
    let changed = expect_context::<crate::components::session::InboxChanged>().0;
    let count = Resource::new_blocking(move || changed.get(), |_| crate::api::inbox::inbox_count());
    // Whether anybody reports to the person: My team is shown only then.
    let has_reports = Resource::new_blocking(|| (), |_| crate::api::team::has_reports());
    let signed_in = use_signed_in();
    view! {
        <header class="border-b border-slate-200 bg-white">
            <div class="mx-auto flex max-w-[72rem] flex-wrap items-center justify-between gap-4 px-4 py-3">
                <a href="/" class="text-xl font-bold text-indigo-700">
                    "Countersign"
                </a>
                <button
                    type="button"
                    node_ref=menu_button
                    class="rounded border border-slate-300 px-3 py-1 text-sm md:hidden"
                    aria-controls="primary-nav"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| set_menu_open.update(|open| *open = !*open)
                >
                    "Menu"
                </button>
                <nav
                    id="primary-nav"
                    aria-label="Primary"
                    class="w-full md:block md:w-auto"
                    class:hidden=move || !menu_open.get()
                >
                    <ul class="flex flex-col gap-2 md:flex-row md:gap-6"
                        on:click=move |_| set_menu_open.set(false)>
                        <NavLink href="/catalog" label="Catalog"/>
                        <NavLink href="/requests" label="My requests"/>
                        <NavLink href="/access" label="My access"/>
                        <NavLink href="/notifications" label="Notifications"/>
                        <li>
                            <A href="/inbox" attr:class="nav-link text-slate-700 hover:text-indigo-700">
                                "Inbox"
                                <Transition fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        match count.await {
                                            Ok(n) if n > 0 => Some(view! {
                                                <span class="nav-count" data-testid="inbox-count">
                                                    {n}<span class="sr-only">" waiting"</span>
                                                </span>
                                            }),
                                            _ => None,
                                        }
                                    })}
                                </Transition>
                            </A>
                        </li>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                let manager = matches!(has_reports.await, Ok(true));
                                manager.then(|| view! { <NavLink href="/team" label="My team"/> })
                            })}
                        </Transition>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                let user = signed_in.0.await.ok().flatten();
                                let admin = user.as_ref().is_some_and(|u| u.has(Role::Admin));
                                let auditor = user.as_ref().is_some_and(crate::access::may_read_audit);
                                view! {
                                    {admin.then(|| view! { <NavLink href="/admin/items" label="Admin"/> })}
                                    {auditor.then(|| view! { <NavLink href="/audit" label="Audit"/> })}
                                }
                            })}
                        </Transition>
                    </ul>
                </nav>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match use_signed_in().0.await {
                            Ok(Some(user)) => view! { <SignedInAs user/> }.into_any(),
                            _ => view! {
                                <a href="/auth/login" class="button-secondary">"Sign in"</a>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </header>
    }
}

/// Who is signed in, their roles, and the way out. Signing out is a POST (a form,
/// so it works before the WebAssembly has loaded), never a link a page could trigger.
#[component]
fn SignedInAs(user: CurrentUser) -> impl IntoView {
    let roles = format!(
        "({})",
        user.roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    view! {
        <div class="flex items-center gap-3 text-sm">
            <p>
                <span class="sr-only">"Signed in as "</span>
                <span class="font-semibold" data-testid="signed-in-name">{user.name}</span>
                " "
                <span class="text-slate-600" data-testid="signed-in-roles">{roles}</span>
            </p>
            <form method="post" action="/auth/logout">
                <button type="submit" class="button-secondary">"Sign out"</button>
            </form>
        </div>
    }
}

#[component]
fn NavLink(href: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <li>
            <A href=href attr:class="nav-link text-slate-700 hover:text-indigo-700">
                {label}
            </A>
        </li>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="border-t border-slate-200 bg-white">
            <div class="mx-auto max-w-[72rem] px-4 py-4 text-sm text-slate-600">
                "Countersign — access requests and approvals, e-signed at your identity provider."
            </div>
        </footer>
    }
}
