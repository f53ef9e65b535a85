//! The HTML document and the application's routes.

use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::components::{
    layout::{Footer, Header},
    role_gate::RoleGate,
    session::{provide_inbox_changed, provide_signed_in},
};
use crate::pages::{
    admin::{
        AdminHome,
        directory::DirectoryPage,
        item_edit::ItemEditPage,
        items::{AdminItemsPage, NewItemPage},
        settings::SettingsPage,
    },
    audit::{AuditPage, AuditRecordPage},
    auth::{SignInProblemPage, SignedOutPage},
    catalog::{CatalogItemPage, CatalogPage},
    errors::NotFound,
    home::HomePage,
    inbox::{InboxHistoryPage, InboxPage},
    my_requests::{MyAccessPage, MyRequestsPage, RequestPage},
    team::TeamPage,
    tokens::TokensPage,
};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The build's hashed name (`countersign.<hash>`), as for the script and
    // the WebAssembly `HydrationScripts` links to.
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <link rel="stylesheet" id="countersign" href=stylesheet/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

/// Every route renders in order: the server sends each page complete, so it reads
/// and its forms work before (and without) the WebAssembly.
/// "Skip to content": focus moves to the page's content (not only the view),
/// so the next Tab starts there. Without WebAssembly the `#main` fragment does
/// the same, `main` being focusable.
fn skip_to_main(ev: leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let main = document()
            .get_element_by_id("main")
            .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok());
        if let Some(main) = main {
            ev.prevent_default();
            let _ = main.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_signed_in();
    provide_inbox_changed();
    mark_hydrated();
    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Title formatter=|page: String| format!("{page} · Countersign")/>
        <Router>
            <div class="flex min-h-screen flex-col">
                <a href="#main" class="skip-link" on:click=skip_to_main>"Skip to content"</a>
                <Header/>
                // tabindex -1: the skip link can move focus here (not a tab stop).
                <main id="main" tabindex="-1" class="mx-auto w-full max-w-[72rem] flex-1 px-4 py-8">
                    <ErrorBoundary fallback=|errors| {
                        view! { <crate::pages::errors::ErrorPage errors/> }
                    }>
                        <Routes fallback=|| view! { <NotFound/> }>
                            <Route path=path!("/") view=HomePage ssr=SsrMode::InOrder/>
                            <Route path=path!("/auth/signed-out") view=SignedOutPage ssr=SsrMode::InOrder/>
                            <Route path=path!("/auth/problem/:reason") view=SignInProblemPage ssr=SsrMode::InOrder/>
                            <Route path=path!("/catalog") view=CatalogPage ssr=SsrMode::InOrder/>
                            <Route path=path!("/catalog/:item_id") view=CatalogItemPage ssr=SsrMode::InOrder/>
                            <Route path=path!("/requests") view=MyRequestsPage ssr=SsrMode::InOrder/>
                            <Route path=path!("/requests/:request_id") view=RequestPage ssr=SsrMode::InOrder/>
                            <Route path=path!("/access") view=MyAccessPage ssr=SsrMode::InOrder/>
                            <Route path=path!("/inbox") view=InboxPage ssr=SsrMode::InOrder/>
                            <Route path=path!("/inbox/history") view=InboxHistoryPage ssr=SsrMode::InOrder/>
                            <Route path=path!("/team") view=TeamPage ssr=SsrMode::InOrder/>
                            <Route path=path!("/tokens") view=TokensPage ssr=SsrMode::InOrder/>
                            <Route path=path!("/notifications") view=crate::pages::notifications::NotificationsPage ssr=SsrMode::InOrder/>
                            <ParentRoute path=path!("/admin") view=RoleGate ssr=SsrMode::InOrder>
                                <Route path=path!("") view=AdminHome ssr=SsrMode::InOrder/>
                                <Route path=path!("/items") view=AdminItemsPage ssr=SsrMode::InOrder/>
                                <Route path=path!("/items/new") view=NewItemPage ssr=SsrMode::InOrder/>
                                <Route path=path!("/items/:item_id") view=ItemEditPage ssr=SsrMode::InOrder/>
                                <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::InOrder/>
                                <Route path=path!("/directory") view=DirectoryPage ssr=SsrMode::InOrder/>
                                <Route path=path!("/provisioning") view=crate::pages::admin::provisioning::ProvisioningPage ssr=SsrMode::InOrder/>
                                <Route path=path!("/*any") view=NotFound ssr=SsrMode::InOrder/>
                            </ParentRoute>
                            <ParentRoute path=path!("/audit") view=RoleGate ssr=SsrMode::InOrder>
                                <Route path=path!("") view=AuditPage ssr=SsrMode::InOrder/>
                                <Route path=path!("/:seq") view=AuditRecordPage ssr=SsrMode::InOrder/>
                            </ParentRoute>
                        </Routes>
                    </ErrorBoundary>
                </main>
                <Footer/>
            </div>
        </Router>
    }
}

/// Once the WebAssembly has taken over the page, `<body data-hydrated>` says so:
/// browser tests wait for it before using a control that only works then (an
/// `ActionForm` submitted before hydration posts to the server function itself).
fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });
}
