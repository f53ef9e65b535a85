use leptos::prelude::*;
use leptos_meta::Title;

/// `/`: what the person can do next.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Home"/>
        <h1 class="text-2xl font-bold">"Welcome to Countersign"</h1>
        <p class="mt-4 max-w-[40rem] text-slate-700">
            "Request access to the applications and roles you need, approve requests "
            "addressed to you, and prove who approved what: sensitive approvals are signed "
            "by signing in again at your organisation's identity provider."
        </p>
    }
}
