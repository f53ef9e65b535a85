//! `/catalog` and `/catalog/{item_id}`: what a requester can ask for.

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::requests::{RequestAccess, catalog, catalog_item},
    components::{
        loaded::LoadedList,
        person_picker::PersonPicker,
        ui::{Alert, Pager, field_error, form_error},
    },
    query::urlencode,
    types::{CatalogEntry, ItemKind, PickFor},
};

#[component]
pub fn CatalogPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let kind = move || query.read().get("kind").unwrap_or_default();
    let after = move || query.read().get("after");
    let page = Resource::new(
        move || (search(), kind(), after()),
        |(q, k, a)| catalog(q, k, a),
    );
    view! {
        <Title text="Catalog"/>
        <h1 class="text-2xl font-bold">"Catalog"</h1>
        <p class="mt-2 text-slate-700">"Find the access you need and ask for it. Each request goes to its approvers."</p>
        <SearchForm action="/catalog" search=Signal::derive(search) kind=Signal::derive(kind)/>
        <LoadedList resource=page
            empty=|| view! { <p class="mt-6">"Nothing in the catalog matches. Try another search or kind."</p> }
            let:page>
            // On a phone the table scrolls here, never the page.
            <div class="table-scroll mt-6" tabindex="0" role="region" aria-label="Requestable access">
                <table class="data-table">
                    <caption class="sr-only">"Requestable access"</caption>
                    <thead><tr>
                        <th scope="col">"Name"</th><th scope="col">"Kind"</th>
                        <th scope="col">"Owner"</th><th scope="col">"Your access"</th>
                    </tr></thead>
                    <tbody>
                        {page.rows.into_iter().map(|entry| view! { <CatalogRow entry/> }).collect_view()}
                    </tbody>
                </table>
            </div>
            <Pager next=page.next base=format!("/catalog?q={}&kind={}", urlencode(&search()), urlencode(&kind()))/>
        </LoadedList>
    }
}

/// The search box and kind filter, a plain GET form (works without WebAssembly).
#[component]
pub fn SearchForm(
    action: &'static str,
    search: Signal<String>,
    kind: Signal<String>,
    /// More fields (a sort order, say) before the button.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <form method="get" action=action class="mt-6 flex flex-wrap items-end gap-4" role="search">
            <div class="field">
                <label for="q">"Search"</label>
                <input id="q" name="q" type="search" prop:value=search maxlength="100"/>
            </div>
            <div class="field">
                <label for="kind">"Kind"</label>
                <select id="kind" name="kind">
                    <option value="" selected=move || kind.get().is_empty()>"All kinds"</option>
                    {ItemKind::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=move || kind.get() == k.as_str()>{k.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            {children.map(|c| c())}
            <button type="submit" class="button-primary">"Search"</button>
        </form>
    }
}

#[component]
fn CatalogRow(entry: CatalogEntry) -> impl IntoView {
    let href = format!("/catalog/{}", entry.item.id);
    let standing = if entry.held {
        "You have it"
    } else if entry.pending {
        "Requested"
    } else {
        "—"
    };
    view! {
        <tr>
            <td><a class="link" href=href>{entry.item.name}</a></td>
            <td>{entry.item.kind.label()}</td>
            <td>{entry.item.owner_name.unwrap_or_else(|| "—".into())}</td>
            <td>{standing}</td>
        </tr>
    }
}

#[component]
pub fn CatalogItemPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("item_id").unwrap_or_default();
    let data = Resource::new(id, catalog_item);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((entry, for_others)) => Either::Left(view! { <ItemDetail entry for_others/> }),
                    Err(err) => Either::Right(view! {
                        <Title text="Not found"/>
                        <h1 class="text-2xl font-bold">"This item is not in the catalog"</h1>
                        <Alert message=err.to_string() error=true/>
                        <p class="mt-4"><a class="link" href="/catalog">"Back to the catalog"</a></p>
                    }),
                }
            })}
        </Suspense>
    }
}

/// The request form as it was sent with the "Request for" search (no
/// WebAssembly): justification, end date, the person chosen and the search.
fn sent_request() -> Option<(String, String, String, String)> {
    let query = use_query_map();
    let query = query.read_untracked();
    let search = query.get("for_q")?;
    let get = |k: &str| query.get(k).unwrap_or_default();
    Some((
        get("justification"),
        get("end_date"),
        get("for_user_id"),
        search,
    ))
}

#[component]
fn ItemDetail(entry: CatalogEntry, for_others: bool) -> impl IntoView {
    let item = entry.item;
    let request = ServerAction::<RequestAccess>::new();
    let value = request.value();
    let sent = sent_request();
    let (justification, end_date) = sent
        .as_ref()
        .map(|(j, e, ..)| (j.clone(), e.clone()))
        .unwrap_or_default();
    let search_action = format!("/catalog/{}", item.id);
    view! {
        <Title text=item.name.clone()/>
        <p><a class="link" href="/catalog">"← Catalog"</a></p>
        <h1 class="mt-2 text-2xl font-bold">{item.name.clone()}</h1>
        <p class="mt-2 text-slate-600">{item.kind.label()} " · owner: " {item.owner_name.clone().unwrap_or_else(|| "none".into())}</p>
        <p class="mt-4 max-w-[40rem]">{item.description.clone()}</p>
        {entry.approvals_signed.then(|| view! {
            <p class="mt-2 text-sm text-slate-600">"Approvals of this access are e-signed: approvers sign in again to approve."</p>
        })}
        <section class="card mt-6" aria-labelledby="request-heading">
            <h2 id="request-heading" class="text-xl font-bold">"Request access"</h2>
            {if entry.held {
                EitherOf3::A(view! { <p class="mt-2">"You already have this access. See " <a class="link" href="/access">"My access"</a>"."</p> })
            } else if entry.pending {
                EitherOf3::B(view! { <p class="mt-2">"Your request is pending. Follow it in " <a class="link" href="/requests">"My requests"</a>"."</p> })
            } else {
                EitherOf3::C(view! {
                    <ActionForm action=request attr:class="mt-4 flex flex-col gap-4 max-w-[40rem]">
                        <input type="hidden" name="item_id" value=item.id.clone()/>
                        <div class="field">
                            <label for="justification">"Business justification"</label>
                            <textarea id="justification" name="justification" rows="3" maxlength="1000" required
                                aria-describedby="justification-hint justification-error">{justification}</textarea>
                            <p id="justification-hint" class="hint">"Why you need it; your approvers and the audit trail see this."</p>
                            {field_error(value, "justification")}
                        </div>
                        <div class="field">
                            <label for="end_date">"End date (optional)"</label>
                            <input id="end_date" name="end_date" type="date" value=end_date/>
                            {field_error(value, "end_date")}
                        </div>
                        {for_others.then(|| view! {
                            <PersonPicker name="for_user_id" label="Request for" id="for"
                                purpose=PickFor::OnBehalf nobody="Myself"
                                search_action=search_action.clone() search_param="for_q"
                                searched=sent.as_ref().map(|s| s.3.clone())
                                choice=sent.as_ref().map(|s| s.2.clone())/>
                            {field_error(value, "for_user_id")}
                        })}
                        {field_error(value, "item")}
                        {form_error(value)}
                        <div><button type="submit" class="button-primary">"Request access"</button></div>
                    </ActionForm>
                })
            }}
        </section>
    }
}
