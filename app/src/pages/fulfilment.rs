//! Fulfilment tasks in the inbox: access to give (or take away) by hand, for an
//! item without a connector. The person does it in the target system, then
//! marks it done saying what they did; until then nothing counts as provisioned.

use leptos::prelude::*;

use crate::{
    api::provisioning::{MarkJobDone, fulfilment_tasks},
    components::{
        jobs::job_title,
        loaded::LoadedList,
        ui::{Alert, field_error, form_error},
    },
    types::{JobView, format_utc},
};

/// The tasks waiting for the signed-in person (nothing when there are none).
#[component]
pub fn FulfilmentTasks() -> impl IntoView {
    let done = ServerAction::<MarkJobDone>::new();
    let tasks = Resource::new(move || done.version().get(), |_| fulfilment_tasks());
    view! {
        {move || match done.value().get() {
            Some(Ok(job)) => Some(view! { <Alert message=format!("Marked as done: {}.", job_title(&job))/> }),
            _ => None,
        }}
        {form_error(done.value())}
        {field_error(done.value(), "note")}
        <LoadedList resource=tasks keep=true empty=|| () let:tasks>
            <section class="card mt-6" aria-labelledby="fulfilment-heading">
                <h2 id="fulfilment-heading" class="text-xl font-bold">"Fulfilment tasks"</h2>
                <p class="mt-2 text-slate-700">
                    "These items have no connector: give or remove the access in the target system "
                    "yourself, then mark the task done and say what you did."
                </p>
                <ul class="mt-4 flex flex-col gap-4">
                    {tasks.into_iter().map(|job| view! { <FulfilmentTask job done/> }).collect_view()}
                </ul>
            </section>
        </LoadedList>
    }
}

#[component]
fn FulfilmentTask(job: JobView, done: ServerAction<MarkJobDone>) -> impl IntoView {
    let title = job_title(&job);
    let field = format!("note-{}", job.id);
    let request = job
        .request_id
        .clone()
        .map(|id| view! { <a class="link" href=format!("/requests/{id}")>"the request"</a> });
    view! {
        <li class="card">
            <h3 class="font-semibold">{title.clone()}</h3>
            <p class="text-sm text-slate-600">
                "Waiting since " {format_utc(job.created_at)}
                {request.map(|link| view! { " · see " {link} })}
            </p>
            <ActionForm action=done attr:class="mt-2 flex flex-wrap items-end gap-2">
                <input type="hidden" name="id" value=job.id.clone()/>
                <div class="field">
                    <label for=field.clone()>"What you did (" {title.clone()} ")"</label>
                    <input id=field name="note" type="text" required maxlength="1000"/>
                </div>
                <button type="submit" class="button-primary" aria-label=format!("Mark as done: {title}")>
                    "Mark as done"
                </button>
            </ActionForm>
        </li>
    }
}
