//! `/admin/…`: access items (list, new, edit with tabs), the organisation's
//! access-request settings and the directory connection. Admins only (the route's `RoleGate`, and every
//! server function again through the domain).

pub mod directory;
pub mod item_edit;
mod item_provisioning;
pub mod items;
pub mod provisioning;
pub mod settings;
mod settings_escalation;

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminHome() -> impl IntoView {
    view! {
        <Title text="Administration"/>
        <h1 class="text-2xl font-bold">"Administration"</h1>
        <p class="mt-4 max-w-[40rem] text-slate-700">
            "Manage the access items people can request, their approval steps and whether "
            "approving them must be signed by signing in again, and the organisation's "
            "access-request settings."
        </p>
        <ul class="mt-4 flex flex-col gap-2">
            <li><a class="link" href="/admin/items">"Access items"</a></li>
            <li><a class="link" href="/admin/settings">"Access-request settings"</a></li>
            <li><a class="link" href="/admin/directory">"Directory (SCIM)"</a></li>
            <li><a class="link" href="/admin/provisioning">"Provisioning"</a>" — failed, retrying and manual jobs"</li>
            <li><a class="link" href="/audit">"Audit trail"</a></li>
        </ul>
    }
}
