//! `/team`: My team. A manager sees the people who report to them (as the
//! directory says), what each holds and until when, and what each waits for.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::team::my_team,
    components::{loaded::LoadedList, ui::Pager},
    types::{AssignmentView, PendingRequestLine, RequestKind, TeamMember, format_date, format_utc},
};

#[component]
pub fn TeamPage() -> impl IntoView {
    let query = use_query_map();
    let after = move || query.read().get("after");
    let page = Resource::new(after, my_team);
    view! {
        <Title text="My team"/>
        <h1 class="text-2xl font-bold">"My team"</h1>
        <p class="mt-2 text-slate-700">
            "The people who report to you, the access each holds, and what each is waiting for."
        </p>
        <LoadedList resource=page
            empty=|| view! {
                <p class="mt-6">
                    "Nobody reports to you in your organisation's directory. When people do, "
                    "their access shows here. To see your own, open "
                    <a class="link" href="/access">"My access"</a>"."
                </p>
            }
            let:page>
            <div class="mt-6 flex flex-col gap-4">
                {page.rows.into_iter().map(|member| view! { <Member member/> }).collect_view()}
            </div>
            <Pager next=page.next base="/team"/>
        </LoadedList>
    }
}

#[component]
fn Member(member: TeamMember) -> impl IntoView {
    let heading = format!("report-{}", member.person.id);
    let name = member.person.name.clone();
    let labelled_by = heading.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=heading class="text-xl font-bold">{name.clone()}</h2>
            {member.person.email.clone().map(|email| view! { <p class="text-sm text-slate-600">{email}</p> })}
            <Access name=name.clone() access=member.access more=member.more_access/>
            <Pending name pending=member.pending/>
        </section>
    }
}

#[component]
fn Access(name: String, access: Vec<AssignmentView>, more: bool) -> impl IntoView {
    if access.is_empty() {
        return Either::Left(
            view! { <p class="mt-2">{format!("{name} holds no access through Countersign.")}</p> },
        );
    }
    Either::Right(view! {
        <table class="data-table mt-2">
            <caption class="text-left font-semibold">{format!("Access {name} holds")}</caption>
            <thead><tr>
                <th scope="col">"Item"</th><th scope="col">"Kind"</th>
                <th scope="col">"Granted"</th><th scope="col">"Ends"</th>
            </tr></thead>
            <tbody>
                {access.into_iter().map(|a| view! {
                    <tr>
                        <td>{a.item_name}</td>
                        <td>{a.item_kind.label()}</td>
                        <td>{format_utc(a.granted_at)}</td>
                        <td>{a.end_date.map(format_date).unwrap_or_else(|| "no end date".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {more.then(|| view! { <p class="text-sm text-slate-600">"… and more; the first items by name are shown."</p> })}
    })
}

#[component]
fn Pending(name: String, pending: Vec<PendingRequestLine>) -> impl IntoView {
    if pending.is_empty() {
        return Either::Left(
            view! { <p class="mt-2 text-sm text-slate-600">{format!("Nothing is waiting for approval for {name}.")}</p> },
        );
    }
    Either::Right(view! {
        <h3 class="mt-4 font-semibold">{format!("Waiting for approval for {name}")}</h3>
        <ul class="mt-2 flex flex-col gap-2">
            {pending.into_iter().map(|p| {
                let what = match p.kind {
                    RequestKind::Grant => "Access to",
                    RequestKind::Revoke => "Removal of",
                };
                view! {
                    <li>
                        <a class="link" href=format!("/requests/{}", p.request_id)>
                            {format!("{what} {}", p.item_name)}
                        </a>
                        <span class="text-sm text-slate-600">{format!(" · requested {}", format_utc(p.requested_at))}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    })
}
