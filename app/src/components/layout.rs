//! Header (product name, navigation, who is signed in) and footer.

use leptos::prelude::*;
use leptos_router::components::A;

/// The site header. On narrow screens the navigation folds behind a Menu button.
#[component]
pub fn Header() -> impl IntoView {
    let (menu_open, set_menu_open) = signal(false);
    view! {
        <header class="border-b border-slate-200 bg-white">
            <div class="mx-auto flex max-w-[72rem] flex-wrap items-center justify-between gap-4 px-4 py-3">
                <a href="/" class="text-xl font-bold text-indigo-700">
                    "Countersign"
                </a>
                <button
                    type="button"
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
                    <ul class="flex flex-col gap-2 md:flex-row md:gap-6">
                        <NavLink href="/catalog" label="Catalog"/>
                        <NavLink href="/requests" label="My requests"/>
                        <NavLink href="/inbox" label="Inbox"/>
                        <NavLink href="/admin/items" label="Admin"/>
                    </ul>
                </nav>
            </div>
        </header>
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
