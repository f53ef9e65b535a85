//! `/admin/provisioning?state=failed|queued|running|manual`: jobs that need an
//! administrator's eye, newest first, with "Retry" and "Mark as done manually"
//! (both audited).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::provisioning::{MarkJobDone, RetryJob, provisioning_jobs},
    components::{
        jobs::{JobStateBadge, job_title},
        loaded::LoadedList,
        ui::{Alert, Pager, field_error, form_error},
    },
    types::{JobState, JobView, format_utc},
};

const VIEWS: [(JobState, &str); 4] = [
    (JobState::Failed, "Failed"),
    (JobState::Queued, "Queued and retrying"),
    (JobState::Running, "Running"),
    (JobState::Manual, "Waiting for a person"),
];

#[component]
pub fn ProvisioningPage() -> impl IntoView {
    let query = use_query_map();
    let state = move || {
        query
            .read()
            .get("state")
            .and_then(|s| JobState::parse(&s))
            .unwrap_or(JobState::Failed)
    };
    let after = move || query.read().get("after");
    let retry = ServerAction::<RetryJob>::new();
    let done = ServerAction::<MarkJobDone>::new();
    let jobs = Resource::new(
        move || {
            (
                state(),
                after(),
                retry.version().get(),
                done.version().get(),
            )
        },
        |(state, after, ..)| provisioning_jobs(state, after),
    );
    view! {
        <Title text="Provisioning"/>
        <h1 class="text-2xl font-bold">"Provisioning"</h1>
        <p class="mt-2 max-w-[48rem] text-slate-700">
            "Each approval, removal and expiry is carried out in the item's target system by a job. "
            "Jobs that failed every attempt, are waiting for a retry, or wait for a person are listed "
            "here. Retry one once its target is fixed, or mark it done after doing it by hand."
        </p>
        <nav aria-label="Job states" class="mt-4 flex flex-wrap gap-2">
            {VIEWS.into_iter().map(|(s, label)| view! {
                <a class="button-secondary" href=format!("/admin/provisioning?state={}", s.as_str())
                    aria-current=move || (state() == s).then_some("page")>{label}</a>
            }).collect_view()}
        </nav>
        {move || matches!(retry.value().get(), Some(Ok(()))).then(|| view! { <Alert message="Queued again: the worker runs it at its next round."/> })}
        {move || matches!(done.value().get(), Some(Ok(_))).then(|| view! { <Alert message="Marked as done."/> })}
        {form_error(retry.value())}
        {form_error(done.value())}
        {field_error(done.value(), "note")}
        <LoadedList resource=jobs keep=true
            empty=|| view! { <p class="mt-6">"No jobs in this state."</p> }
            let:page>
            // On a phone the table scrolls here, never the page.
            <div class="table-scroll mt-6" tabindex="0" role="region" aria-label="Provisioning jobs, newest first">
                <table class="data-table">
                    <caption class="sr-only">"Provisioning jobs, newest first"</caption>
                    <thead><tr>
                        <th scope="col">"Job"</th><th scope="col">"State"</th>
                        <th scope="col">"Created"</th><th scope="col">"Actions"</th>
                    </tr></thead>
                    <tbody>
                        {page.rows.into_iter().map(|job| view! { <JobRow job retry done/> }).collect_view()}
                    </tbody>
                </table>
            </div>
            <Pager next=page.next base=format!("/admin/provisioning?state={}", state().as_str())/>
        </LoadedList>
    }
}

#[component]
fn JobRow(
    job: JobView,
    retry: ServerAction<RetryJob>,
    done: ServerAction<MarkJobDone>,
) -> impl IntoView {
    let title = job_title(&job);
    let field = format!("note-{}", job.id);
    let retryable = matches!(job.state, JobState::Failed | JobState::Queued);
    let closable = matches!(
        job.state,
        JobState::Failed | JobState::Queued | JobState::Manual
    );
    let (retry_id, retry_label) = (job.id.clone(), format!("Retry: {title}"));
    let request = job.request_id.clone().map(|id| {
        view! { <a class="link text-sm" href=format!("/requests/{id}")>"Request"</a> }
    });
    view! {
        <tr>
            <td>{title.clone()} " " {request}</td>
            <td>
                <JobStateBadge state=job.state attempts=job.attempts/>
                <p class="text-sm">{job.describe()}</p>
            </td>
            <td>{format_utc(job.created_at)}</td>
            <td><div class="flex flex-col gap-2">
                {retryable.then(|| view! {
                    <ActionForm action=retry>
                        <input type="hidden" name="id" value=retry_id/>
                        <button type="submit" class="button-secondary" aria-label=retry_label>"Retry"</button>
                    </ActionForm>
                })}
                {closable.then(|| view! {
                    <ActionForm action=done attr:class="flex flex-wrap items-end gap-2">
                        <input type="hidden" name="id" value=job.id.clone()/>
                        <div class="field">
                            <label for=field.clone()>"What was done by hand"</label>
                            <input id=field name="note" type="text" required maxlength="1000"/>
                        </div>
                        <button type="submit" class="button-secondary" aria-label=format!("Mark as done manually: {title}")>
                            "Mark as done manually"
                        </button>
                    </ActionForm>
                })}
            </div></td>
        </tr>
    }
}
