use leptos::prelude::*;
use leptos_meta::Title;

use crate::{components::session::use_signed_in, types::Role};

/// `/`: what the person can do next.
#[component]
pub fn HomePage() -> impl IntoView {
    let signed_in = use_signed_in();
    view! {
        <Title text="Home"/>
        <h1 class="text-2xl font-bold">"Welcome to Countersign"</h1>
        <p class="mt-4 max-w-[40rem] text-slate-700">
            "Request access to the applications and roles you need, approve requests "
            "addressed to you, and prove who approved what: sensitive approvals are signed "
            "by signing in again at your organisation's identity provider."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let user = signed_in.0.await.ok().flatten();
                user.map(|user| view! {
                    <ul class="mt-6 flex flex-col gap-2">
                        <li><a class="link" href="/catalog">"Browse the catalog and request access"</a></li>
                        <li><a class="link" href="/requests">"Follow your requests"</a></li>
                        <li><a class="link" href="/access">"See the access you hold"</a></li>
                        <li><a class="link" href="/tokens">"Personal access tokens for the JSON API"</a></li>
                        {user.has(Role::Approver).then(|| view! {
                            <li><a class="link" href="/inbox">"Decide requests waiting in your inbox"</a></li>
                        })}
                        {user.has(Role::Admin).then(|| view! {
                            <li><a class="link" href="/admin/items">"Manage access items"</a></li>
                            <li><a class="link" href="/admin/settings">"Access-request settings"</a></li>
                        })}
                        {crate::access::may_read_audit(&user).then(|| view! {
                            <li><a class="link" href="/audit">"Read the audit trail"</a></li>
                        })}
                    </ul>
                })
            })}
        </Suspense>
    }
}
