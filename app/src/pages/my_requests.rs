//! `/requests`, `/requests/{request_id}` and `/access`: what the requester asked
//! for, where each request stands, and the access they hold.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::requests::{CancelRequest, RequestRemoval, get_request, my_access, my_requests},
    components::{
        jobs::{JobList, JobStateBadge},
        loaded::{Loaded, LoadedList},
        ui::{Alert, Pager, RequestStatusBadge, TaskStateBadge, field_error, form_error},
    },
    types::{AssignmentView, RequestKind, RequestStatus, RequestView, format_date, format_utc},
};

#[component]
pub fn MyRequestsPage() -> impl IntoView {
    let query = use_query_map();
    let after = move || query.read().get("after");
    let cancel = ServerAction::<CancelRequest>::new();
    let page = Resource::new(
        move || (after(), cancel.version().get()),
        |(a, _)| my_requests(a),
    );
    view! {
        <Title text="My requests"/>
        <h1 class="text-2xl font-bold">"My requests"</h1>
        {form_error(cancel.value())}
        <LoadedList resource=page keep=true
            empty=|| view! {
                <p class="mt-6">"You have not requested anything yet. Find what you need in the "
                <a class="link" href="/catalog">"catalog"</a>"."</p>
            }
            let:page>
            <table class="data-table mt-6">
                <caption class="sr-only">"Your requests, newest first"</caption>
                <thead><tr>
                    <th scope="col">"Item"</th><th scope="col">"Type"</th><th scope="col">"For"</th>
                    <th scope="col">"Requested"</th><th scope="col">"Status"</th><th scope="col">"Steps"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {page.rows.into_iter().map(|r| view! { <RequestRow request=r cancel/> }).collect_view()}
                </tbody>
            </table>
            <Pager next=page.next base="/requests"/>
        </LoadedList>
    }
}

fn kind_label(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Grant => "Access",
        RequestKind::Revoke => "Removal",
    }
}

#[component]
fn RequestRow(request: RequestView, cancel: ServerAction<CancelRequest>) -> impl IntoView {
    let href = format!("/requests/{}", request.id);
    let steps = request
        .tasks
        .iter()
        .map(|t| format!("{}: {}", t.position, t.approver_label))
        .collect::<Vec<_>>()
        .join("; ");
    let pending = request.status == RequestStatus::Pending;
    let label = format!("Cancel request for {}", request.item_name);
    view! {
        <tr>
            <td><a class="link" href=href>{request.item_name.clone()}</a></td>
            <td>{kind_label(request.kind)}</td>
            <td>{request.beneficiary_name.clone()}</td>
            <td>{format_utc(request.created_at)}</td>
            <td><RequestStatusBadge status=request.status/></td>
            <td class="text-sm">{steps}</td>
            <td>
                {pending.then(|| view! {
                    <ActionForm action=cancel>
                        <input type="hidden" name="id" value=request.id.clone()/>
                        <button type="submit" class="button-secondary" aria-label=label>"Cancel"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

#[component]
pub fn RequestPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("request_id").unwrap_or_default();
    let data = Resource::new(id, get_request);
    view! {
        <Title text="Request"/>
        <p><a class="link" href="/requests">"← My requests"</a></p>
        {move || query.read().get("created").map(|_| view! {
            <Alert message="Your request is submitted. Its approvers see it in their inbox."/>
        })}
        <Loaded resource=data let:request>
            <RequestDetail request/>
        </Loaded>
    }
}

#[component]
fn RequestDetail(request: RequestView) -> impl IntoView {
    let jobs = request.jobs.clone();
    view! {
        <h1 class="mt-2 text-2xl font-bold">
            {kind_label(request.kind)} " request: " {request.item_name.clone()}
        </h1>
        <dl class="facts mt-4">
            <dt>"Status"</dt><dd><RequestStatusBadge status=request.status/></dd>
            <dt>"Requested by"</dt><dd>{request.requester_name.clone()}</dd>
            <dt>"For"</dt><dd>{request.beneficiary_name.clone()}</dd>
            <dt>"Requested at"</dt><dd>{format_utc(request.created_at)}</dd>
            <dt>"Justification"</dt><dd>{request.justification.clone()}</dd>
            <dt>"End date"</dt><dd>{request.end_date.map(format_date).unwrap_or_else(|| "none".into())}</dd>
        </dl>
        <h2 id="steps-heading" class="mt-6 text-xl font-bold">"Approval steps"</h2>
        <ol class="mt-2 flex flex-col gap-2" aria-labelledby="steps-heading">
            {request.tasks.into_iter().map(|t| {
                let signed = t.signed_auth_time.map(|at| {
                    let time = format_utc(at);
                    let time = time.split(' ').nth(1).unwrap_or_default().to_owned();
                    format!(" — re-authenticated at {time} UTC")
                });
                let decided = t.decided_by_name.clone().map(|name| {
                    let verb = match t.state {
                        crate::types::TaskState::Approved => if t.automatic { "Approved automatically for" } else { "Approved by" },
                        crate::types::TaskState::Denied => "Denied by",
                        crate::types::TaskState::Reassigned => "Reassigned by",
                        _ => "Closed by",
                    };
                    format!("{verb} {name}")
                });
                view! {
                    <li class="card">
                        <p>
                            "Step " {t.position} ": " {t.approver_label.clone()} " "
                            <TaskStateBadge state=t.state/>
                        </p>
                        {decided.map(|d| {
                            let line = format!(
                                "{d}{}{}",
                                signed.clone().unwrap_or_default(),
                                t.decided_at.map(|at| format!(" ({})", format_utc(at))).unwrap_or_default()
                            );
                            view! { <p class="text-sm" data-testid="decision">{line}</p> }
                        })}
                        {t.comment.clone().map(|c| view! { <p class="text-sm text-slate-700">"Comment: " {c}</p> })}
                    </li>
                }
            }).collect_view()}
        </ol>
        {(!request.timeline.is_empty()).then(|| view! {
            <h2 id="timeline-heading" class="mt-6 text-xl font-bold">"Reminders and escalation"</h2>
            <ol class="mt-2 flex flex-col gap-1" aria-labelledby="timeline-heading">
                {request.timeline.clone().into_iter().map(|e| view! {
                    <li class="text-sm">{format_utc(e.at)} " — " {e.what}</li>
                }).collect_view()}
            </ol>
        })}
        {(!jobs.is_empty()).then(|| view! {
            <h2 id="jobs-heading" class="mt-6 text-xl font-bold">"Provisioning"</h2>
            <p class="mt-2 text-slate-700">"Access counts as given only once the target system (or the person fulfilling it by hand) confirms it."</p>
            <JobList jobs/>
        })}
    }
}

#[component]
pub fn MyAccessPage() -> impl IntoView {
    let remove = ServerAction::<RequestRemoval>::new();
    let data = Resource::new(move || remove.version().get(), |_| my_access());
    view! {
        <Title text="My access"/>
        <h1 class="text-2xl font-bold">"My access"</h1>
        {move || matches!(remove.value().get(), Some(Ok(_))).then(|| view! {
            <Alert message="Removal requested. It goes through the item's approval steps."/>
        })}
        {form_error(remove.value())}
        {field_error(remove.value(), "justification")}
        <LoadedList resource=data keep=true
            empty=|| view! { <p class="mt-6">"You hold no access through Countersign yet."</p> }
            let:rows>
            <table class="data-table mt-6">
                <caption class="sr-only">"Access you hold"</caption>
                <thead><tr>
                    <th scope="col">"Item"</th><th scope="col">"Kind"</th>
                    <th scope="col">"Granted"</th><th scope="col">"Ends"</th>
                    <th scope="col">"Provisioning"</th><th scope="col">"Remove"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|a| view! { <AccessRow assignment=a remove/> }).collect_view()}
                </tbody>
            </table>
        </LoadedList>
    }
}

#[component]
fn AccessRow(assignment: AssignmentView, remove: ServerAction<RequestRemoval>) -> impl IntoView {
    let field = format!("why-{}", assignment.item_id);
    view! {
        <tr>
            <td>{assignment.item_name.clone()}</td>
            <td>{assignment.item_kind.label()}</td>
            <td>{format_utc(assignment.granted_at)}</td>
            <td>{assignment.end_date.map(format_date).unwrap_or_else(|| "no end date".into())}</td>
            <td>{match assignment.provisioning_state {
                Some(state) => Either::Left(view! { <JobStateBadge state/> }),
                None => Either::Right(view! { <span>"—"</span> }),
            }}</td>
            <td>
                {if assignment.removal_pending {
                    Either::Left(view! { <span>"Removal pending"</span> })
                } else {
                    Either::Right(view! {
                        <ActionForm action=remove attr:class="flex gap-2 items-end">
                            <input type="hidden" name="item_id" value=assignment.item_id.clone()/>
                            <div class="field">
                                <label for=field.clone()>"Reason for removing " {assignment.item_name.clone()}</label>
                                <input id=field name="justification" type="text" required maxlength="1000"/>
                            </div>
                            <button type="submit" class="button-secondary">"Request removal"</button>
                        </ActionForm>
                    })
                }}
            </td>
        </tr>
    }
}
