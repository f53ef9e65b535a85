//! Provisioning jobs as every page shows them: a state badge and a line that
//! says where the job stands in words.

use leptos::prelude::*;

use crate::types::{JobOperation, JobState, JobView};

/// The short name of a job's state, coloured.
#[component]
pub fn JobStateBadge(state: JobState, #[prop(optional)] attempts: i64) -> impl IntoView {
    let (label, class) = match state {
        JobState::Queued if attempts > 0 => ("Retrying", "badge badge-pending"),
        JobState::Queued => ("Queued", "badge badge-pending"),
        JobState::Running => ("Running", "badge badge-pending"),
        JobState::Done => ("Done", "badge badge-ok"),
        JobState::Failed => ("Failed", "badge badge-bad"),
        JobState::Manual => ("Manual fulfilment", "badge badge-pending"),
        JobState::Cancelled => ("Cancelled", "badge"),
    };
    view! { <span class=class>{label}</span> }
}

/// What the job does, in words: "Grant Payroll to Alice Example".
pub fn job_title(job: &JobView) -> String {
    let item = job.item_name.as_deref().unwrap_or("an item");
    let person = job.person_name.as_deref().unwrap_or("someone");
    match job.operation {
        JobOperation::Grant => format!("Grant {item} to {person}"),
        JobOperation::Revoke => format!("Revoke {item} from {person}"),
        JobOperation::Send => format!("Notify {person} about {item}"),
    }
}

/// A request's provisioning jobs, oldest first (named by the heading `jobs-heading`).
#[component]
pub fn JobList(jobs: Vec<JobView>) -> impl IntoView {
    view! {
        <ol class="mt-2 flex flex-col gap-2" aria-labelledby="jobs-heading">
            {jobs.into_iter().map(|job| {
                let note = job.note.clone();
                view! {
                    <li class="card" data-testid="provisioning-job">
                        <p>{job_title(&job)} " " <JobStateBadge state=job.state attempts=job.attempts/></p>
                        <p class="text-sm">{job.describe()}</p>
                        {note.map(|n| view! { <p class="text-sm text-slate-700">"Note: " {n}</p> })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}
