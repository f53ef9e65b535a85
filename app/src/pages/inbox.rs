//! `/inbox`: the approver's pending tasks. Approve, deny (comment required) or
//! reassign (comment required) each, or several together. An approval that must
//! be e-signed sends the approver to sign in again, then completes on return.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::inbox::{Decide, Reassign, decisions_external, inbox},
    components::{
        person_picker::PersonPicker,
        ui::{Alert, Pager, SignedActionBanner, form_error},
    },
    types::{Decision, InboxTask, PickFor, RequestKind, format_date, format_utc},
};

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = use_query_map();
    let after = move || query.read().get("after");
    let decide = ServerAction::<Decide>::new();
    let reassign = ServerAction::<Reassign>::new();
    let (signed_done, set_signed_done) = signal(0);
    let tasks = Resource::new(
        move || {
            (
                after(),
                decide.version().get(),
                reassign.version().get(),
                signed_done.get(),
            )
        },
        |(a, ..)| inbox(a),
    );
    let external = Resource::new(|| (), |_| decisions_external());
    let selected = RwSignal::new(Vec::<String>::new());
    // Which task the last single-task action was about (its card shows the error).
    let last_task = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        decide.version().get();
        reassign.version().get();
        signed_done.get();
        crate::components::session::inbox_changed();
    });
    let batch_comment = RwSignal::new(String::new());
    // Decides every selected task together (one signature covers the batch).
    let decide_selected = move |decision: Decision| {
        last_task.set(None);
        decide.dispatch(Decide {
            task_ids: selected.get(),
            decision,
            comment: batch_comment.get(),
        });
        selected.set(vec![]);
    };
    view! {
        <Title text="Inbox"/>
        <h1 class="text-2xl font-bold">"Inbox"</h1>
        <p class="mt-2"><a class="link" href="/inbox/history">"Tasks you decided"</a></p>
        <p class="mt-2 text-slate-700">
            "Requests waiting for your decision, newest first. Approvals marked "
            <strong>"Signature required"</strong>" ask you to sign in again at your identity provider."
        </p>
        <SignedActionBanner on_done=Callback::new(move |_| set_signed_done.update(|n| *n += 1))/>
        <crate::pages::fulfilment::FulfilmentTasks/>
        {move || match decide.value().get() {
            Some(Ok(n)) => Some(view! { <Alert message=format!("Done: {n} task{} decided.", if n == 1 { "" } else { "s" })/> }.into_any()),
            _ => None,
        }}
        {move || matches!(reassign.value().get(), Some(Ok(()))).then(|| view! { <Alert message="Task handed over."/> })}
        {form_error(decide.value())}
        {form_error(reassign.value())}
        {move || match (decide.value().get(), last_task.get()) {
            (Some(Err(crate::types::AppError::Field { field, message })), None) => {
                Some(view! { <Alert message=explain(&field, &message) error=true/> })
            }
            _ => None,
        }}
        <Transition fallback=|| view! { <p class="mt-4">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let read_only = external.await.unwrap_or(false);
                match tasks.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <p class="mt-6">"Nothing waits for you. Decided tasks are in the request pages."</p>
                    }.into_any(),
                    Ok(page) if read_only => view! {
                        <p class="alert alert-info mt-6" role="status">
                            "Your organisation decides approvals in its own system "
                            "(approvalsMustBeExternal), so this inbox is read-only: it shows what waits "
                            "for you, and the decision is made there."
                        </p>
                        <ul class="mt-4 flex flex-col gap-4">
                            {page.rows.into_iter().map(|task| view! {
                                <TaskCard task decide reassign selected last_task read_only=true/>
                            }).collect_view()}
                        </ul>
                        <Pager next=page.next base="/inbox"/>
                    }.into_any(),
                    Ok(page) => view! {
                        <section class="card mt-6" aria-labelledby="batch-heading">
                            <h2 id="batch-heading" class="font-bold">"Decide selected tasks together"</h2>
                            <div class="mt-2 flex flex-wrap items-end gap-2">
                                <div class="field">
                                    <label for="batch-comment">"Comment for the selected tasks"</label>
                                    <input id="batch-comment" type="text" maxlength="1000"
                                        prop:value=batch_comment
                                        on:input=move |ev| batch_comment.set(event_target_value(&ev))/>
                                </div>
                                <button type="button" class="button-primary"
                                    disabled=move || selected.read().is_empty()
                                    on:click=move |_| decide_selected(Decision::Approve)>
                                    "Approve selected"
                                </button>
                                <button type="button" class="button-secondary"
                                    disabled=move || selected.read().is_empty()
                                    on:click=move |_| decide_selected(Decision::Deny)>
                                    "Deny selected"
                                </button>
                            </div>
                        </section>
                        <ul class="mt-4 flex flex-col gap-4">
                            {page.rows.into_iter().map(|task| view! {
                                <TaskCard task decide reassign selected last_task read_only=false/>
                            }).collect_view()}
                        </ul>
                        <Pager next=page.next base="/inbox"/>
                    }.into_any(),
                    Err(err) => view! { <Alert message=err.to_string() error=true/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TaskCard(
    task: InboxTask,
    decide: ServerAction<Decide>,
    reassign: ServerAction<Reassign>,
    selected: RwSignal<Vec<String>>,
    last_task: RwSignal<Option<String>>,
    read_only: bool,
) -> impl IntoView {
    let id = task.task_id.clone();
    let heading_id = format!("task-{id}");
    let labelled_by = heading_id.clone();
    let what = match task.request_kind {
        RequestKind::Grant => "Access to",
        RequestKind::Revoke => "Removal of",
    };
    let title = format!("{what} {}", task.item_name);
    view! {
        <li class="card" aria-labelledby=labelled_by>
            <div class="flex flex-wrap items-center justify-between gap-2">
                <h2 id=heading_id class="text-xl font-bold">{title.clone()}</h2>
                {task.needs_reauth.then(|| view! { <span class="badge badge-sign">"Signature required"</span> })}
            </div>
            {(!read_only).then(|| view! { <SelectTask id=id.clone() title=title.clone() selected/> })}
            <dl class="facts mt-2">
                <dt>"Requested by"</dt><dd>{task.requester_name.clone()}</dd>
                <dt>"For"</dt><dd>{task.beneficiary_name.clone()}</dd>
                <dt>"Kind"</dt><dd>{task.item_kind.label()}</dd>
                <dt>"Justification"</dt><dd>{task.justification.clone()}</dd>
                <dt>"End date"</dt><dd>{task.end_date.map(format_date).unwrap_or_else(|| "none".into())}</dd>
                <dt>"Waiting since"</dt><dd>{format_utc(task.created_at)}</dd>
                <dt>"Step"</dt><dd>{task.step}</dd>
            </dl>
            <p class="mt-2"><a class="link" href=format!("/requests/{}", task.request_id)>"Request details"</a></p>
            {(!read_only).then(|| view! { <DecisionControls id decide reassign last_task/> })}
        </li>
    }
}

/// The checkbox that puts a task into the batch.
#[component]
fn SelectTask(id: String, title: String, selected: RwSignal<Vec<String>>) -> impl IntoView {
    let checked = {
        let id = id.clone();
        move || selected.read().contains(&id)
    };
    let toggle = move |ev| {
        let on = event_target_checked(&ev);
        selected.update(|s| {
            s.retain(|x| x != &id);
            if on {
                s.push(id.clone());
            }
        });
    };
    view! {
        <label class="mt-2 flex items-center gap-2 text-sm">
            <input type="checkbox" prop:checked=checked on:change=toggle/>
            "Select " {title}
        </label>
    }
}

/// What a card's reassignment form sent with its person search (no
/// WebAssembly): the comment, the person chosen and the search, when this page
/// answers that search for task `id`.
fn sent_reassignment(id: &str) -> Option<(String, String, String)> {
    let query = use_query_map();
    let query = query.read_untracked();
    if query.get("task_id").as_deref() != Some(id) {
        return None;
    }
    let search = query.get("reassign_q")?;
    let get = |k: &str| query.get(k).unwrap_or_default();
    Some((get("comment"), get("to_user_id"), search))
}

/// Comment, approve, deny, and reassignment to someone who could approve the
/// step (a form of its own: it works without WebAssembly).
#[component]
fn DecisionControls(
    id: String,
    decide: ServerAction<Decide>,
    reassign: ServerAction<Reassign>,
    last_task: RwSignal<Option<String>>,
) -> impl IntoView {
    let sent = sent_reassignment(&id);
    let initial_comment = sent.as_ref().map(|s| s.0.clone()).unwrap_or_default();
    let comment = RwSignal::new(initial_comment.clone());
    let comment_id = format!("comment-{id}");
    let form_id = format!("reassign-{id}");
    let error_id = format!("error-{id}");
    let mine = {
        let id = id.clone();
        move || last_task.get().as_deref() == Some(id.as_str())
    };
    // The error of this card's last action, in words that say what to do.
    let error = move || {
        if !mine() {
            return None;
        }
        let err = match (decide.value().get(), reassign.value().get()) {
            (Some(Err(e)), _) | (_, Some(Err(e))) => e,
            _ => return None,
        };
        Some(match err {
            crate::types::AppError::Field { field, message } => explain(&field, &message),
            crate::types::AppError::ReauthRequired { .. } => return None,
            other => other.to_string(),
        })
    };
    let has_error = Signal::derive({
        let error = error.clone();
        move || error().is_some()
    });
    let decide_with = {
        let id = id.clone();
        move |decision: Decision| {
            last_task.set(Some(id.clone()));
            decide.dispatch(Decide {
                task_ids: vec![id.clone()],
                decision,
                comment: comment.get(),
            });
        }
    };
    let approve = {
        let decide_with = decide_with.clone();
        move |_| decide_with(Decision::Approve)
    };
    let deny = move |_| decide_with(Decision::Deny);
    let hand_over = {
        let id = id.clone();
        move |_| last_task.set(Some(id.clone()))
    };
    view! {
        <div class="field mt-4">
            <label for=comment_id.clone()>"Comment"</label>
            <textarea id=comment_id name="comment" form=form_id.clone() rows="2" maxlength="1000"
                aria-describedby={
                    let error_id = error_id.clone();
                    move || has_error.get().then(|| error_id.clone())
                }
                aria-invalid=move || has_error.get().to_string()
                on:input=move |ev| comment.set(event_target_value(&ev))>{initial_comment}</textarea>
            <p class="hint">"Required to deny or reassign."</p>
            {move || error().map(|message| view! {
                <p class="field-error" id=error_id.clone() role="alert">{message}</p>
            })}
        </div>
        <div class="mt-2 flex flex-wrap gap-2">
            <button type="button" class="button-primary" on:click=approve>"Approve"</button>
            <button type="button" class="button-secondary" on:click=deny>"Deny"</button>
        </div>
        <ActionForm action=reassign attr:id=form_id attr:class="mt-4 flex flex-wrap items-end gap-2">
            <input type="hidden" name="task_id" value=id.clone()/>
            <PersonPicker name="to_user_id" label="Reassign to" id=format!("to-{id}")
                purpose=PickFor::Reassignment task_id=id.clone()
                search_action="/inbox" search_param="reassign_q"
                searched=sent.as_ref().map(|s| s.2.clone())
                choice=sent.as_ref().map(|s| s.1.clone())/>
            <button type="submit" class="button-secondary" on:click=hand_over>"Reassign"</button>
        </ActionForm>
    }
}

/// A field error of a decision, as a sentence that says what to do.
fn explain(field: &str, message: &str) -> String {
    match (field, message) {
        ("comment", "is required") => "A comment is required to deny or reassign: say why.".into(),
        ("to", m) => format!("Reassign: {m}."),
        ("tasks", m) => format!("Select tasks: {m}."),
        (f, m) => format!("{f}: {m}."),
    }
}

/// `/inbox/history`: the tasks the approver decided, newest first.
#[component]
pub fn InboxHistoryPage() -> impl IntoView {
    let query = use_query_map();
    let after = move || query.read().get("after");
    let page = Resource::new(after, crate::api::inbox::inbox_history);
    view! {
        <Title text="Decided tasks"/>
        <p><a class="link" href="/inbox">"← Inbox"</a></p>
        <h1 class="mt-2 text-2xl font-bold">"Tasks you decided"</h1>
        <Suspense fallback=|| view! { <p class="mt-4">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <p class="mt-6">"You have not decided any task yet."</p>
                    }.into_any(),
                    Ok(page) => view! {
                        <table class="data-table mt-6">
                            <caption class="sr-only">"Decided tasks, newest first"</caption>
                            <thead><tr>
                                <th scope="col">"Item"</th><th scope="col">"Requested by"</th><th scope="col">"For"</th>
                                <th scope="col">"Decision"</th><th scope="col">"When"</th><th scope="col">"Comment"</th>
                            </tr></thead>
                            <tbody>
                                {page.rows.into_iter().map(|t| view! {
                                    <tr>
                                        <td><a class="link" href=format!("/requests/{}", t.request_id)>{t.item_name}</a></td>
                                        <td>{t.requester_name}</td>
                                        <td>{t.beneficiary_name}</td>
                                        <td><crate::components::ui::TaskStateBadge state=t.state/></td>
                                        <td>{t.decided_at.map(format_utc)}</td>
                                        <td>{t.comment.unwrap_or_default()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager next=page.next base="/inbox/history"/>
                    }.into_any(),
                    Err(err) => view! { <Alert message=err.to_string() error=true/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
