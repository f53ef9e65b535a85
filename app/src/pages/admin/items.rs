//! `/admin/items` and `/admin/items/new`.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::items::{CreateItem, list_items},
    components::{
        loaded::LoadedList,
        person_picker::PersonPicker,
        ui::{Pager, field_error, form_error},
    },
    pages::catalog::SearchForm,
    query::urlencode,
    types::{AccessItem, ItemKind, PersonRef, PickFor},
};

#[component]
pub fn AdminItemsPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let kind = move || query.read().get("kind").unwrap_or_default();
    let sort = move || query.read().get("sort").unwrap_or_default();
    let after = move || query.read().get("after");
    let page = Resource::new(
        move || (search(), kind(), sort(), after()),
        |(q, k, s, a)| list_items(q, k, s, a),
    );
    view! {
        <Title text="Access items"/>
        <div class="flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-2xl font-bold">"Access items"</h1>
            <a class="button-primary" href="/admin/items/new">"New access item"</a>
        </div>
        <SearchForm action="/admin/items" search=Signal::derive(search) kind=Signal::derive(kind)>
            <div class="field">
                <label for="sort">"Sort"</label>
                <select id="sort" name="sort">
                    <option value="" selected=move || sort() != "recent">"By name"</option>
                    <option value="recent" selected=move || sort() == "recent">"Recently changed first"</option>
                </select>
            </div>
        </SearchForm>
        <LoadedList resource=page
            empty=|| view! { <p class="mt-6">"No access items match. Create one with “New access item”."</p> }
            let:page>
            // On a phone the table scrolls here, never the page.
            <div class="table-scroll mt-6" tabindex="0" role="region" aria-label="Access items by name">
                <table class="data-table">
                    <caption class="sr-only">"Access items by name"</caption>
                    <thead><tr>
                        <th scope="col">"Name"</th><th scope="col">"Kind"</th><th scope="col">"Owner"</th>
                        <th scope="col">"Requestable"</th><th scope="col">"Enabled"</th>
                        <th scope="col">"Re-authentication"</th>
                        <th scope="col">"Approval steps"</th>
                    </tr></thead>
                    <tbody>
                        {page.rows.into_iter().map(|item| view! { <ItemRow item/> }).collect_view()}
                    </tbody>
                </table>
            </div>
            <Pager next=page.next
                base=format!("/admin/items?q={}&kind={}&sort={}", urlencode(&search()), urlencode(&kind()), urlencode(&sort()))/>
        </LoadedList>
    }
}

#[component]
fn ItemRow(item: AccessItem) -> impl IntoView {
    let href = format!("/admin/items/{}?tab=details", item.id);
    view! {
        <tr>
            <td><a class="link" href=href>{item.name}</a></td>
            <td>{item.kind.label()}</td>
            <td>{item.owner_name.unwrap_or_else(|| "—".into())}</td>
            <td>{if item.requestable { "Yes" } else { "No" }}</td>
            <td>{if item.enabled { "Yes" } else { "Disabled" }}</td>
            <td>{if item.require_reauth { "Required" } else { "—" }}</td>
            <td>{if item.needs_attention {
                Either::Left(view! { <span class="badge badge-bad">"Needs attention"</span> })
            } else {
                Either::Right(view! { <span>"OK"</span> })
            }}</td>
        </tr>
    }
}

/// What the Details fields were when their form asked the owner picker's
/// search (no WebAssembly): the page comes back with them as they were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SentFields {
    kind: Option<ItemKind>,
    name: String,
    description: String,
    owner_id: String,
    owner_search: String,
    requestable: bool,
    enabled: bool,
}

/// The fields sent with the owner search (`?owner_q=`), if this page answers one.
fn sent_fields() -> Option<SentFields> {
    let query = use_query_map();
    let query = query.read_untracked();
    let owner_search = query.get("owner_q")?;
    let get = |k: &str| query.get(k).unwrap_or_default();
    Some(SentFields {
        kind: ItemKind::parse(&get("item[kind]")),
        name: get("item[name]"),
        description: get("item[description]"),
        owner_id: get("item[owner_id]"),
        owner_search,
        requestable: query.get("item[requestable]").is_some(),
        enabled: query.get("item[enabled]").is_some(),
    })
}

/// The Details fields, shared by the new-item page and the Details tab.
/// `search_action` is the page's own path (the owner picker's search).
#[component]
pub fn ItemFields<T, S>(
    value: S,
    search_action: String,
    #[prop(optional)] item: Option<crate::types::AccessItem>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, crate::types::AppError>>> + Copy + Send + Sync + 'static,
{
    let sent = sent_fields();
    let kind = sent
        .as_ref()
        .and_then(|s| s.kind)
        .or(item.as_ref().map(|i| i.kind))
        .unwrap_or(ItemKind::Application);
    let (name, description, requestable, enabled) = match (&sent, &item) {
        (Some(s), _) => (
            s.name.clone(),
            s.description.clone(),
            s.requestable,
            s.enabled,
        ),
        (None, Some(i)) => (
            i.name.clone(),
            i.description.clone(),
            i.requestable,
            i.enabled,
        ),
        (None, None) => (String::new(), String::new(), true, true),
    };
    let owner = item.as_ref().and_then(|i| {
        Some(PersonRef {
            id: i.owner_id.clone()?,
            name: i.owner_name.clone().unwrap_or_default(),
            email: None,
        })
    });
    view! {
        <div class="field">
            <label for="kind-field">"Kind"</label>
            <select id="kind-field" name="item[kind]">
                {ItemKind::ALL.into_iter().map(|k| view! {
                    <option value=k.as_str() selected=k == kind>{k.label()}</option>
                }).collect_view()}
            </select>
            {field_error(value, "kind")}
        </div>
        <div class="field">
            <label for="name">"Name"</label>
            <input id="name" name="item[name]" type="text" required maxlength="120" value=name/>
            {field_error(value, "name")}
        </div>
        <div class="field">
            <label for="description">"Description"</label>
            <textarea id="description" name="item[description]" rows="3" maxlength="2000">{description}</textarea>
            {field_error(value, "description")}
        </div>
        <PersonPicker name="item[owner_id]" label="Owner" id="owner" purpose=PickFor::Owner
            chosen=owner nobody="No owner" search_action search_param="owner_q"
            searched=sent.as_ref().map(|s| s.owner_search.clone())
            choice=sent.as_ref().map(|s| s.owner_id.clone())/>
        {field_error(value, "owner")}
        <label class="flex items-center gap-2">
            <input type="checkbox" name="item[requestable]" value="on" checked=requestable/>
            "Requestable (shown in the catalog)"
        </label>
        {field_error(value, "requestable")}
        <label class="flex items-center gap-2">
            <input type="checkbox" name="item[enabled]" value="on" checked=enabled/>
            "Enabled"
        </label>
        {form_error(value)}
    }
}

#[component]
pub fn NewItemPage() -> impl IntoView {
    let create = ServerAction::<CreateItem>::new();
    let value = create.value();
    view! {
        <Title text="New access item"/>
        <p><a class="link" href="/admin/items">"← Access items"</a></p>
        <h1 class="mt-2 text-2xl font-bold">"New access item"</h1>
        <ActionForm action=create attr:class="mt-6 flex flex-col gap-4 max-w-[40rem]">
            <ItemFields value search_action="/admin/items/new".to_owned()/>
            <div><button type="submit" class="button-primary">"Create"</button></div>
        </ActionForm>
    }
}
