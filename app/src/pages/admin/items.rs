//! `/admin/items` and `/admin/items/new`.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::items::{CreateItem, list_items},
    components::{
        loaded::LoadedList,
        ui::{Pager, field_error, form_error},
    },
    pages::catalog::SearchForm,
    query::urlencode,
    types::{AccessItem, ItemKind},
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
            <table class="data-table mt-6">
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

/// The Details fields, shared by the new-item page and the Details tab.
#[component]
pub fn ItemFields<T, S>(
    value: S,
    people: Vec<crate::types::PersonRef>,
    #[prop(optional)] item: Option<crate::types::AccessItem>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, crate::types::AppError>>> + Copy + Send + Sync + 'static,
{
    let kind = item
        .as_ref()
        .map(|i| i.kind)
        .unwrap_or(ItemKind::Application);
    let name = item.as_ref().map(|i| i.name.clone()).unwrap_or_default();
    let description = item
        .as_ref()
        .map(|i| i.description.clone())
        .unwrap_or_default();
    let owner = item
        .as_ref()
        .and_then(|i| i.owner_id.clone())
        .unwrap_or_default();
    let requestable = item.as_ref().map(|i| i.requestable).unwrap_or(true);
    let enabled = item.as_ref().map(|i| i.enabled).unwrap_or(true);
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
        <div class="field">
            <label for="owner_id">"Owner"</label>
            <select id="owner_id" name="item[owner_id]">
                <option value="">"No owner"</option>
                {people.into_iter().map(|p| {
                    let sel = p.id == owner;
                    view! { <option value=p.id selected=sel>{p.name}</option> }
                }).collect_view()}
            </select>
            {field_error(value, "owner")}
        </div>
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
    let people = Resource::new(|| (), |_| crate::api::items::search_people(String::new()));
    view! {
        <Title text="New access item"/>
        <p><a class="link" href="/admin/items">"← Access items"</a></p>
        <h1 class="mt-2 text-2xl font-bold">"New access item"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let people = people.await.unwrap_or_default();
                view! {
                    <ActionForm action=create attr:class="mt-6 flex flex-col gap-4 max-w-[40rem]">
                        <ItemFields value people/>
                        <div><button type="submit" class="button-primary">"Create"</button></div>
                    </ActionForm>
                }
            })}
        </Suspense>
    }
}
