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
        ui::{
            Alert, ConfirmPanel, Pager, RequestStatusBadge, TaskStateBadge, field_error, form_error,
        },
    },
    types::{
        AssignmentView, RequestKind, RequestPlan, RequestStatus, RequestView, TaskView,
        format_date, format_utc,
    },
};

#[component]
pub fn MyRequestsPage() -> impl IntoView {
    let query = use_query_map();
    let after = move || query.read().get("after");
    let page = Resource::new(after, my_requests);
    view! {
        <Title text="My requests"/>
        <h1 class="text-2xl font-bold">"My requests"</h1>
        <LoadedList resource=page keep=true
            empty=|| view! {
                <p class="mt-6">"You have not requested anything yet. Find what you need in the "
                <a class="link" href="/catalog">"catalog"</a>"."</p>
            }
            let:page>
            // On a phone the table scrolls here, never the page.
            <div class="table-scroll mt-6" tabindex="0" role="region" aria-label="Your requests, newest first">
                <table class="data-table">
                    <caption class="sr-only">"Your requests, newest first"</caption>
                    <thead><tr>
                        <th scope="col">"Item"</th><th scope="col">"Type"</th><th scope="col">"For"</th>
                        <th scope="col">"Requested"</th><th scope="col">"Status"</th><th scope="col">"Steps"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {page.rows.into_iter().map(|r| view! { <RequestRow request=r/> }).collect_view()}
                    </tbody>
                </table>
            </div>
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
fn RequestRow(request: RequestView) -> impl IntoView {
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
                // First a question, on the request's page (a plain GET: it
                // asks with or without WebAssembly).
                {pending.then(|| view! {
                    <form method="get" action=format!("/requests/{}", request.id)>
                        <input type="hidden" name="confirm" value="cancel"/>
                        <button type="submit" class="button-secondary" aria-label=label>"Cancel"</button>
                    </form>
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
    let cancel = ServerAction::<CancelRequest>::new();
    let data = Resource::new(
        move || (id(), cancel.version().get()),
        |(id, _)| get_request(id),
    );
    let asked_to_cancel = move || query.read().get("confirm").as_deref() == Some("cancel");
    view! {
        <Title text="Request"/>
        <p><a class="link" href="/requests">"← My requests"</a></p>
        {move || query.read().get("created").map(|_| view! {
            <Alert message="Your request is submitted. Its approvers see it in their inbox."/>
        })}
        {move || (query.read().get("cancelled").is_some() || matches!(cancel.value().get(), Some(Ok(()))))
            .then(|| view! { <Alert message="Request cancelled: its approvers no longer see it."/> })}
        {form_error(cancel.value())}
        <Loaded resource=data let:request>
            {(asked_to_cancel() && request.status == RequestStatus::Pending)
                .then(|| view! { <ConfirmCancel request=request.clone() cancel/> })}
            <RequestDetail request/>
        </Loaded>
    }
}

/// "Cancel this request?": the form that cancels it, and the way back.
#[component]
fn ConfirmCancel(request: RequestView, cancel: ServerAction<CancelRequest>) -> impl IntoView {
    let back = format!("/requests/{}", request.id);
    view! {
        <ConfirmPanel heading=format!("Cancel your request for {}?", request.item_name)
            consequence="Its approvers no longer see it, and it cannot be reopened: you would ask again."
            back back_label="Keep the request">
            <ActionForm action=cancel>
                <input type="hidden" name="id" value=request.id.clone()/>
                <button type="submit" class="button-danger">"Yes, cancel the request"</button>
            </ActionForm>
        </ConfirmPanel>
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
        <StepTimeline tasks=request.tasks plan=request.plan pending=request.status == RequestStatus::Pending/>
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

/// Every step of the request up front: the steps reached, each with its
/// decision (who, when, the comment, the e-signature), then the steps still to
/// come, greyed, with who decides them today. "Signature required" marks the
/// approvals that will be e-signed.
#[component]
fn StepTimeline(tasks: Vec<TaskView>, plan: Option<RequestPlan>, pending: bool) -> impl IntoView {
    let plan = plan.unwrap_or(RequestPlan {
        steps_total: tasks.iter().map(|t| t.position).max().unwrap_or(0),
        upcoming: Vec::new(),
        approvals_signed: false,
    });
    let total = plan.steps_total;
    let signed = plan.approvals_signed;
    let current = tasks
        .iter()
        .filter(|t| t.state == crate::types::TaskState::Pending)
        .map(|t| t.position)
        .min();
    let summary = match (pending, current) {
        (true, Some(step)) => format!("Waiting at step {step} of {total}."),
        _ => format!("{total} step{}.", if total == 1 { "" } else { "s" }),
    };
    view! {
        <p class="mt-2 text-slate-700">{summary}</p>
        <ol class="mt-2 flex flex-col gap-2" aria-labelledby="steps-heading">
            {tasks.into_iter().map(|t| view! { <ReachedStep t total signed/> }).collect_view()}
            {plan.upcoming.into_iter().map(|step| view! {
                <li class="card step-upcoming">
                    <p>
                        "Step " {step.position} " of " {total} ": " {step.approver_label} " "
                        <span class="badge">"Not reached yet"</span>
                        {signed.then(|| view! { " " <span class="badge badge-sign">"Signature required"</span> })}
                    </p>
                </li>
            }).collect_view()}
        </ol>
    }
}

/// A step the request has reached: its approver, state and decision.
#[component]
fn ReachedStep(t: TaskView, total: i64, signed: bool) -> impl IntoView {
    let signature = t.signed_auth_time.map(|at| {
        let time = format_utc(at);
        let time = time.split(' ').nth(1).unwrap_or_default().to_owned();
        format!(" — re-authenticated at {time} UTC")
    });
    let decided = t.decided_by_name.clone().map(|name| {
        let verb = match t.state {
            crate::types::TaskState::Approved if t.automatic => "Approved automatically for",
            crate::types::TaskState::Approved => "Approved by",
            crate::types::TaskState::Denied => "Denied by",
            crate::types::TaskState::Reassigned => "Reassigned by",
            _ => "Closed by",
        };
        format!(
            "{verb} {name}{}{}",
            signature.unwrap_or_default(),
            t.decided_at
                .map(|at| format!(" ({})", format_utc(at)))
                .unwrap_or_default()
        )
    });
    let waiting = t.state == crate::types::TaskState::Pending;
    view! {
        <li class="card">
            <p>
                "Step " {t.position} " of " {total} ": " {t.approver_label.clone()} " "
                <TaskStateBadge state=t.state/>
                {(waiting && signed).then(|| view! { " " <span class="badge badge-sign">"Signature required"</span> })}
            </p>
            {decided.map(|line| view! { <p class="text-sm" data-testid="decision">{line}</p> })}
            {t.comment.clone().map(|c| view! { <p class="text-sm text-slate-700">"Comment: " {c}</p> })}
        </li>
    }
}

#[component]
pub fn MyAccessPage() -> impl IntoView {
    let remove = ServerAction::<RequestRemoval>::new();
    let data = Resource::new(move || remove.version().get(), |_| my_access());
    let query = use_query_map();
    // `?remove=<item>&justification=…`: the removal waiting for "Yes".
    let confirming = move |rows: &[AssignmentView]| {
        let query = query.read();
        let item_id = query.get("remove")?;
        let assignment = rows
            .iter()
            .find(|a| a.item_id == item_id && !a.removal_pending)?;
        Some((
            assignment.clone(),
            query.get("justification").unwrap_or_default(),
        ))
    };
    view! {
        <Title text="My access"/>
        <h1 class="text-2xl font-bold">"My access"</h1>
        {move || (query.read().get("removal").as_deref() == Some("requested")
            || matches!(remove.value().get(), Some(Ok(_)))).then(|| view! {
            <Alert message="Removal requested. It goes through the item's approval steps."/>
        })}
        {form_error(remove.value())}
        {field_error(remove.value(), "justification")}
        <LoadedList resource=data keep=true
            empty=|| view! { <p class="mt-6">"You hold no access through Countersign yet."</p> }
            let:rows>
            {confirming(&rows).map(|(assignment, justification)| view! {
                <ConfirmRemoval assignment justification/>
            })}
            // On a phone the table scrolls here, never the page.
            <div class="table-scroll mt-6" tabindex="0" role="region" aria-label="Access you hold">
                <table class="data-table">
                    <caption class="sr-only">"Access you hold"</caption>
                    <thead><tr>
                        <th scope="col">"Item"</th><th scope="col">"Kind"</th>
                        <th scope="col">"Granted"</th><th scope="col">"Ends"</th>
                        <th scope="col">"Provisioning"</th><th scope="col">"Remove"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|a| view! { <AccessRow assignment=a/> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </LoadedList>
    }
}

/// "Request removal of …?": the form that asks for it, and the way back.
#[component]
fn ConfirmRemoval(assignment: AssignmentView, justification: String) -> impl IntoView {
    view! {
        <ConfirmPanel heading=format!("Request removal of {}?", assignment.item_name)
            consequence=format!(
                "Once its approvers agree, you lose this access. Your reason: \u{201c}{justification}\u{201d}"
            )
            back="/access" back_label="Keep my access">
            // A plain post, with or without WebAssembly: the server answers with
            // /access and a notice (the list below changes under this panel,
            // so it is not swapped in place).
            <form method="post" action="/api/access/remove">
                <input type="hidden" name="item_id" value=assignment.item_id.clone()/>
                <input type="hidden" name="justification" value=justification.clone()/>
                <button type="submit" class="button-danger">"Yes, request removal"</button>
            </form>
        </ConfirmPanel>
    }
}

#[component]
fn AccessRow(assignment: AssignmentView) -> impl IntoView {
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
                        // First a question (a plain GET: it asks with or without WebAssembly).
                        <form method="get" action="/access" class="flex flex-wrap gap-2 items-end">
                            <input type="hidden" name="remove" value=assignment.item_id.clone()/>
                            <div class="field">
                                <label for=field.clone()>"Reason for removing " {assignment.item_name.clone()}</label>
                                <input id=field name="justification" type="text" required maxlength="1000"/>
                            </div>
                            <button type="submit" class="button-secondary">"Request removal"</button>
                        </form>
                    })
                }}
            </td>
        </tr>
    }
}
