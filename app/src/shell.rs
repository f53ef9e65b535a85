//! The HTML document and the application's routes.

use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::components::layout::{Footer, Header};
use crate::pages::{errors::NotFound, home::HomePage};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="countersign" href="/pkg/countersign.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Title formatter=|page: String| format!("{page} · Countersign")/>
        <Router>
            <div class="flex min-h-screen flex-col">
                <a href="#main" class="skip-link">"Skip to content"</a>
                <Header/>
                <main id="main" class="mx-auto w-full max-w-[72rem] flex-1 px-4 py-8">
                    <ErrorBoundary fallback=|errors| {
                        view! { <crate::pages::errors::ErrorPage errors/> }
                    }>
                        <Routes fallback=|| view! { <NotFound/> }>
                            <Route path=path!("/") view=HomePage/>
                        </Routes>
                    </ErrorBoundary>
                </main>
                <Footer/>
            </div>
        </Router>
    }
}
