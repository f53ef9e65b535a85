//! `/admin/items/{item_id}?tab=details|approvals|reauthentication|provisioning`:
//! the edit page with its four tabs. The selected tab is in the URL, so it can be linked.

use leptos::either::EitherOf4;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::{
    api::{
        chat::{SaveChatWebhook, TestChatWebhook, chat_webhook},
        items::{ItemEditData, SetItemReauth, SetItemSteps, UpdateItem, item_edit_view},
    },
    components::{
        chat_webhook::ChatWebhookForm,
        loaded::Loaded,
        person_picker::PersonPicker,
        ui::{Alert, SignedActionBanner, field_error, form_error},
    },
    pages::admin::{
        item_provisioning::{ProvisioningData, ProvisioningTab},
        items::ItemFields,
    },
    types::{AccessItem, ApprovalStepView, Approver, PersonRef, PickFor},
};

const TABS: [(&str, &str); 4] = [
    ("details", "Details"),
    ("approvals", "Approvals"),
    ("reauthentication", "Reauthentication"),
    ("provisioning", "Provisioning"),
];

#[component]
pub fn ItemEditPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("item_id").unwrap_or_default();
    let tab = move || {
        query
            .read()
            .get("tab")
            .filter(|t| TABS.iter().any(|(slug, _)| slug == t))
            .unwrap_or_else(|| "details".into())
    };
    let update = ServerAction::<UpdateItem>::new();
    let steps = ServerAction::<SetItemSteps>::new();
    let reauth = ServerAction::<SetItemReauth>::new();
    let (signed, set_signed) = signal(0);
    let data = Resource::new(
        move || {
            (
                id(),
                update.version().get(),
                steps.version().get(),
                reauth.version().get(),
                signed.get(),
            )
        },
        |(id, ..)| item_edit_view(id),
    );
    let provisioning = ProvisioningData::new(id, move || tab() == "provisioning", signed);
    let chat = ItemChat::new(id);
    view! {
        <Title text="Edit access item"/>
        <p><a class="link" href="/admin/items">"← Access items"</a></p>
        {move || query.read().get("saved").map(|_| view! { <Alert message="Access item created."/> })}
        <SignedActionBanner on_done=Callback::new(move |_| set_signed.update(|n| *n += 1))/>
        <Loaded resource=data keep=true let:data>
            <Editor data tab=Signal::derive(tab) update steps reauth provisioning chat/>
        </Loaded>
    }
}

#[component]
fn Editor(
    data: ItemEditData,
    tab: Signal<String>,
    update: ServerAction<UpdateItem>,
    steps: ServerAction<SetItemSteps>,
    reauth: ServerAction<SetItemReauth>,
    provisioning: ProvisioningData,
    chat: ItemChat,
) -> impl IntoView {
    let item = data.item.clone();
    let broken = data.steps.iter().any(|s| s.broken);
    view! {
        <h1 class="mt-2 text-2xl font-bold">{item.name.clone()}</h1>
        <p class="text-sm text-slate-600">
            "Version " {item.version}
            {item.updated_by_name.clone().map(|n| format!(" · last changed by {n}"))}
        </p>
        <TabList item_id=item.id.clone() tab broken/>
        <div class="card mt-0" role="tabpanel" id="tab-panel"
            aria-labelledby=move || format!("tab-{}", tab.get())>
            {move || match tab.get().as_str() {
                "provisioning" => EitherOf4::D(view! {
                    <ProvisioningTab item_id=data.item.id.clone() data=provisioning/>
                }),
                "approvals" => EitherOf4::A(view! {
                    <ApprovalsTab item=data.item.clone() steps=data.steps.clone() action=steps/>
                    <Loaded resource=chat.view keep=true let:view>
                        <ChatWebhookForm view save=chat.save test=chat.test subsection=true
                            about="This item's new approval tasks are posted to this channel too (besides the organisation's, set on the settings page)."/>
                    </Loaded>
                }),
                "reauthentication" => EitherOf4::B(view! {
                    <ReauthTab item=data.item.clone() org_enabled=data.org_reauth_enabled
                        org_window=data.org_default_window action=reauth/>
                }),
                _ => EitherOf4::C(view! { <DetailsTab item=data.item.clone() action=update/> }),
            }}
        </div>
    }
}

/// The item's chat webhook: its actions and resource belong to the page (none
/// is created inside a Suspense).
#[derive(Clone, Copy)]
pub struct ItemChat {
    view: Resource<Result<crate::types::ChatWebhookView, crate::types::AppError>>,
    save: ServerAction<SaveChatWebhook>,
    test: ServerAction<TestChatWebhook>,
}

impl ItemChat {
    fn new(id: impl Fn() -> String + Send + Sync + 'static) -> ItemChat {
        let save = ServerAction::<SaveChatWebhook>::new();
        let test = ServerAction::<TestChatWebhook>::new();
        let view = Resource::new(
            move || (id(), save.version().get()),
            |(id, _)| chat_webhook(id),
        );
        ItemChat { view, save, test }
    }
}

/// Real tabs: `tablist`/`tab`, arrow keys move between them, the URL holds the choice.
#[component]
fn TabList(item_id: String, tab: Signal<String>, broken: bool) -> impl IntoView {
    let navigate = use_navigate();
    let id_for_keys = item_id.clone();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let step: i32 = match ev.key().as_str() {
            "ArrowRight" => 1,
            "ArrowLeft" => -1,
            _ => return,
        };
        ev.prevent_default();
        let current = TABS.iter().position(|(s, _)| *s == tab.get()).unwrap_or(0) as i32;
        let next = (current + step).rem_euclid(TABS.len() as i32) as usize;
        let slug = TABS[next].0;
        navigate(
            &format!("/admin/items/{id_for_keys}?tab={slug}"),
            Default::default(),
        );
        #[cfg(feature = "hydrate")]
        if let Some(el) = document().get_element_by_id(&format!("tab-{slug}")) {
            use wasm_bindgen::JsCast;
            if let Ok(el) = el.dyn_into::<leptos::web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };
    // On a phone the tabs scroll sideways: the selected one is brought into view.
    let list = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        let slug = tab.get();
        let Some(list) = list.get() else { return };
        let Some(el) = document().get_element_by_id(&format!("tab-{slug}")) else {
            return;
        };
        let Ok(el) = el.dyn_into::<leptos::web_sys::HtmlElement>() else {
            return;
        };
        // Offsets are from the tab list (`.tabs` is positioned).
        let (left, right) = (el.offset_left(), el.offset_left() + el.offset_width());
        let (start, width) = (list.scroll_left(), list.client_width());
        if left < start {
            list.set_scroll_left(left);
        } else if right > start + width {
            list.set_scroll_left(right - width);
        }
    });
    view! {
        <div role="tablist" aria-label="Access item" class="tabs mt-6" node_ref=list on:keydown=on_key>
            {TABS.into_iter().map(|(slug, label)| {
                let href = format!("/admin/items/{item_id}?tab={slug}");
                let selected = move || tab.get() == slug;
                view! {
                    <a role="tab" id=format!("tab-{slug}") href=href class="tab"
                        aria-selected=move || selected().to_string()
                        aria-controls="tab-panel"
                        tabindex=move || if selected() { "0" } else { "-1" }>
                        {label}
                        {(slug == "approvals" && broken).then(|| view! { <span class="badge badge-bad">"Needs attention"</span> })}
                    </a>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn DetailsTab(item: AccessItem, action: ServerAction<UpdateItem>) -> impl IntoView {
    let value = action.value();
    // After the owner search without WebAssembly, the version the form was
    // loaded at, so a change made meanwhile by someone else is not overwritten.
    let query = use_query_map();
    let version = query
        .read_untracked()
        .get("owner_q")
        .and(query.read_untracked().get("version"))
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(item.version);
    let search_action = format!("/admin/items/{}", item.id);
    view! {
        <ActionForm action attr:class="flex flex-col gap-4 max-w-[40rem]">
            <input type="hidden" name="id" value=item.id.clone()/>
            <input type="hidden" name="version" value=version/>
            <ItemFields value search_action item=item.clone()/>
            {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <Alert message="Saved."/> })}
            <div><button type="submit" class="button-primary">"Save details"</button></div>
        </ActionForm>
    }
}

/// The step the "Add step" fields describe: the item owner, the person chosen,
/// the group named `group`, or the beneficiary's manager; `None` when nobody is
/// chosen or named.
fn step_to_add(kind: &str, person: Option<PersonRef>, group: &str) -> Option<ApprovalStepView> {
    match kind {
        "user" => person.map(|p| ApprovalStepView {
            approver: Approver::User { user_id: p.id },
            label: p.name,
            broken: false,
        }),
        "group" if !group.is_empty() => Some(ApprovalStepView {
            approver: Approver::Group {
                group: group.to_owned(),
            },
            label: format!("Any member of {group}"),
            broken: false,
        }),
        "owner" => Some(ApprovalStepView {
            approver: Approver::Owner,
            label: "Item owner".into(),
            broken: false,
        }),
        "manager" => Some(ApprovalStepView {
            approver: Approver::Manager,
            label: Approver::MANAGER_LABEL.into(),
            broken: false,
        }),
        _ => None,
    }
}

#[component]
fn ApprovalsTab(
    item: AccessItem,
    steps: Vec<ApprovalStepView>,
    action: ServerAction<SetItemSteps>,
) -> impl IntoView {
    let value = action.value();
    let list = RwSignal::new(steps);
    let kind = RwSignal::new("owner".to_string());
    let who = RwSignal::new(String::new());
    let json = move || {
        serde_json::to_string(
            &list
                .get()
                .into_iter()
                .map(|s| s.approver)
                .collect::<Vec<_>>(),
        )
        .unwrap_or_else(|_| "[]".into())
    };
    let move_step = move |i: usize, up: bool| {
        list.update(|l| {
            let j = if up { i.wrapping_sub(1) } else { i + 1 };
            if j < l.len() {
                l.swap(i, j);
            }
        })
    };
    let remove_step = move |i: usize| {
        list.update(|l| {
            if i < l.len() {
                l.remove(i);
            }
        })
    };
    let person = RwSignal::new(None::<PersonRef>);
    let add_step = move |_| {
        if let Some(step) = step_to_add(&kind.get(), person.get(), who.get().trim()) {
            list.update(|l| l.push(step));
            who.set(String::new());
            person.set(None);
        }
    };
    let search_action = format!("/admin/items/{}", item.id);
    let form_action = search_action.clone();
    view! {
        <h2 class="text-xl font-bold">"Approval steps"</h2>
        <p class="mt-2 text-slate-700">"A request passes these steps in order; a denial at any step ends it."</p>
        <ol class="mt-4 flex flex-col gap-2">
            {move || list.get().into_iter().enumerate().map(|(i, step)| {
                let label = step.label.clone();
                view! {
                    <li class="flex flex-wrap items-center gap-2">
                        <span>{format!("Step {}: ", i + 1)}{label}</span>
                        {step.broken.then(|| view! { <span class="badge badge-bad">"Cannot be decided: fix or remove"</span> })}
                        <button type="button" class="button-secondary" aria-label=format!("Move step {} up", i + 1)
                            on:click=move |_| move_step(i, true)>"Up"</button>
                        <button type="button" class="button-secondary" aria-label=format!("Move step {} down", i + 1)
                            on:click=move |_| move_step(i, false)>"Down"</button>
                        <button type="button" class="button-secondary" aria-label=format!("Remove step {}", i + 1)
                            on:click=move |_| remove_step(i)>"Remove"</button>
                    </li>
                }
            }).collect_view()}
        </ol>
        <form method="get" action=form_action>
            <input type="hidden" name="tab" value="approvals"/>
            <fieldset class="mt-4 flex flex-wrap items-end gap-2">
                <legend class="font-semibold">"Add a step"</legend>
                <div class="field">
                    <label for="step-kind">"Approver"</label>
                    <select id="step-kind" name="kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="owner">"Item owner"</option>
                        <option value="user">"A named person"</option>
                        <option value="group">"Any member of a group"</option>
                        <option value="manager">"The beneficiary's manager"</option>
                    </select>
                </div>
                {move || match kind.get().as_str() {
                    "user" => Some(view! {
                        <PersonPicker name="approver_id" label="Named approver" id="step-person"
                            purpose=PickFor::Approver selection=person
                            search_action=search_action.clone() search_param="approver_q"/>
                    }.into_any()),
                    "group" => Some(view! {
                        <div class="field">
                            <label for="step-group">"Group"</label>
                            <input id="step-group" type="text" aria-describedby="step-group-hint"
                                prop:value=who on:input=move |ev| who.set(event_target_value(&ev))/>
                            <p id="step-group-hint" class="hint">"A group of your identity provider or directory."</p>
                        </div>
                    }.into_any()),
                    _ => None,
                }}
                <button type="button" class="button-secondary" on:click=add_step>"Add step"</button>
            </fieldset>
        </form>
        <ActionForm action attr:class="mt-4">
            <input type="hidden" name="id" value=item.id.clone()/>
            <input type="hidden" name="version" value=item.version/>
            <input type="hidden" name="steps" prop:value=json/>
            {field_error(value, "steps")}
            {form_error(value)}
            {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <Alert message="Approval steps saved."/> })}
            <button type="submit" class="button-primary">"Save approval steps"</button>
        </ActionForm>
    }
}

#[component]
fn ReauthTab(
    item: AccessItem,
    org_enabled: bool,
    org_window: i64,
    action: ServerAction<SetItemReauth>,
) -> impl IntoView {
    let value = action.value();
    let window = item
        .reauth_window_minutes
        .map(|w| w.to_string())
        .unwrap_or_default();
    view! {
        <h2 class="text-xl font-bold">"Reauthentication"</h2>
        {(!org_enabled).then(|| view! {
            <p class="alert alert-info mt-2" role="note">
                "Re-authenticated approvals are off for the organisation, so this setting is kept but "
                "not enforced. Turn them on in the "
                <a class="link" href="/admin/settings">"access-request settings"</a>"."
            </p>
        })}
        <p class="mt-2 max-w-[40rem] text-slate-700">
            "When required, an approver who approves a request for this item is sent to your "
            "identity provider to sign in again; the approval counts only if the provider proves a "
            "fresh sign-in by that same person, and it is recorded as their electronic signature. "
            "It does not apply to denials, reassignments or removal requests."
        </p>
        <ActionForm action attr:class="mt-4 flex flex-col gap-4 max-w-[40rem]">
            <input type="hidden" name="id" value=item.id.clone()/>
            <input type="hidden" name="version" value=item.version/>
            <label class="flex items-center gap-2">
                <input type="checkbox" name="require_reauth" value="on" checked=item.require_reauth/>
                "Require Approval Reauthentication"
            </label>
            <div class="field">
                <label for="window">"Freshness window in minutes"</label>
                <input id="window" name="window_minutes" type="number" min="0" max="32767" value=window
                    aria-describedby="window-hint"/>
                <p id="window-hint" class="hint">
                    {format!("0 = every approval signs again. N = one sign-in covers this approver's further approvals for N minutes. Empty = the organisation default ({org_window}).")}
                </p>
                {field_error(value, "window")}
            </div>
            {form_error(value)}
            {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <Alert message="Reauthentication setting saved."/> })}
            <div><button type="submit" class="button-primary">"Save reauthentication"</button></div>
        </ActionForm>
    }
}
