//! `/inbox`: the approver's pending tasks. Approve, deny (comment required) or
//! reassign (comment required) each, or several together. Every decision is a
//! real form: it works before the WebAssembly has arrived, and without it. An
//! approval that must be e-signed sends the approver to sign in again, then
//! completes on return.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::inbox::{ActOnTask, Decide, inbox},
    components::{
        person_picker::PersonPicker,
        ui::{Alert, ConfirmPanel, Pager, SignedActionBanner, form_error},
    },
    types::{Decision, InboxTask, PickFor, RequestKind, TaskAction, format_date, format_utc},
};

/// The form that decides the selected tasks together; each card's checkbox
/// belongs to it (`form=`), wherever the card is.
const BATCH_FORM: &str = "batch-form";

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = use_query_map();
    let after = move || query.read().get("after");
    let decide = ServerAction::<Decide>::new();
    let act = ServerAction::<ActOnTask>::new();
    let (signed_done, set_signed_done) = signal(0);
    // One card's decision does not reload the list: the cards stay as they
    // are (with what was typed in them) and the decided one goes.
    let tasks = Resource::new(
        move || (after(), decide.version().get(), signed_done.get()),
        |(a, ..)| inbox(a),
    );
    let gone = RwSignal::new(Vec::<String>::new());
    // Which task the last single-task action was about (its card shows the error).
    let last_task = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        decide.version().get();
        act.version().get();
        signed_done.get();
        crate::components::session::inbox_changed();
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = act.value().get()
            && let Some(id) = last_task.get_untracked()
        {
            gone.update(|ids| {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            });
        }
    });
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
        <DoneWithoutScript/>
        {move || match decide.value().get() {
            Some(Ok(n)) => Some(view! { <Alert message=decided(n)/> }),
            _ => None,
        }}
        {move || act.value().get().and_then(Result::ok).map(|done| view! { <Alert message=acted(done)/> })}
        {form_error(decide.value())}
        {form_error(act.value())}
        {move || match (decide.value().get(), last_task.get()) {
            (Some(Err(crate::types::AppError::Field { field, message })), None) => {
                Some(view! { <Alert message=explain(&field, &message) error=true/> })
            }
            _ => None,
        }}
        <Transition fallback=|| view! { <p class="mt-4">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tasks.await.map(|inbox| (inbox.decisions_external, inbox.tasks)) {
                    Ok((_, page)) if page.rows.is_empty() => view! {
                        <p class="mt-6">"Nothing waits for you. Decided tasks are in the request pages."</p>
                    }.into_any(),
                    Ok((read_only, page)) => {
                        let ids: Vec<String> = page.rows.iter().map(|t| t.task_id.clone()).collect();
                        let all_gone = move || gone.with(|g| ids.iter().all(|id| g.contains(id)));
                        view! {
                        {read_only.then(|| view! {
                            <p class="alert alert-info mt-6" role="status">
                                "Your organisation decides approvals in its own system "
                                "(approvalsMustBeExternal), so this inbox is read-only: it shows what waits "
                                "for you, and the decision is made there."
                            </p>
                        })}
                        {(!read_only).then(|| view! { <BatchReview decide rows=page.rows.clone()/> })}
                        {(!read_only).then(|| view! { <BatchDecision/> })}
                        {move || all_gone().then(|| view! {
                            <p class="mt-6">"Nothing else waits for you on this page."</p>
                        })}
                        <ul class="mt-4 flex flex-col gap-4">
                            {page.rows.into_iter().map(|task| view! {
                                <TaskCard task act last_task gone read_only/>
                            }).collect_view()}
                        </ul>
                        <Pager next=page.next base="/inbox"/>
                    }.into_any()
                    }
                    Err(err) => view! { <Alert message=err.to_string() error=true/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn decided(n: usize) -> String {
    format!("Done: {n} task{} decided.", if n == 1 { "" } else { "s" })
}

fn acted(done: TaskAction) -> &'static str {
    match done {
        TaskAction::Approve | TaskAction::Deny => "Done: 1 task decided.",
        TaskAction::Reassign => "Task handed over.",
    }
}

/// What a plain form's decision did (`?done=` / `?decided=` after its
/// redirect): words from a closed set, whatever a link carries.
#[component]
fn DoneWithoutScript() -> impl IntoView {
    let query = use_query_map();
    let message = move || {
        let query = query.read();
        if let Some(done) = query.get("done") {
            return done.parse::<TaskAction>().ok().map(|d| acted(d).to_owned());
        }
        let n = query.get("decided")?.parse::<usize>().ok()?;
        Some(decided(n.min(100)))
    };
    move || message().map(|message| view! { <Alert message/> })
}

/// Tick tasks, then approve or deny them all at once. A plain `GET` first:
/// the page asks "Approve these 2 tasks?" with their names before anything is
/// decided (with or without WebAssembly), so one click never denies many.
#[component]
fn BatchDecision() -> impl IntoView {
    view! {
        <section class="card mt-6" aria-labelledby="batch-heading">
            <h2 id="batch-heading" class="font-bold">"Decide selected tasks together"</h2>
            <p class="hint">"Tick tasks below, then approve or deny them all at once: you confirm on the next step."</p>
            <form method="get" action="/inbox" id=BATCH_FORM class="mt-2 flex flex-wrap items-end gap-2">
                <div class="field">
                    <label for="batch-comment">"Comment for the selected tasks"</label>
                    <input id="batch-comment" name="comment" type="text" maxlength="1000"/>
                </div>
                <button type="submit" name="batch" value="approve" class="button-primary">
                    "Approve selected"
                </button>
                <button type="submit" name="batch" value="deny" class="button-secondary">
                    "Deny selected"
                </button>
            </form>
        </section>
    }
}

/// `?batch=approve|deny&task_ids[]=…&comment=…`: the selected tasks named,
/// and the form that decides them together.
#[component]
fn BatchReview(decide: ServerAction<Decide>, rows: Vec<InboxTask>) -> impl IntoView {
    let query = use_query_map();
    let query = query.read_untracked();
    if decide.version().get_untracked() > 0 {
        return None; // decided (the inbox's alert says so)
    }
    let decision = match query.get("batch").as_deref() {
        Some("approve") => Decision::Approve,
        Some("deny") => Decision::Deny,
        _ => return None,
    };
    let ids = query.get_all("task_ids[]").unwrap_or_default();
    let comment = query.get("comment").unwrap_or_default();
    let chosen: Vec<InboxTask> = rows
        .into_iter()
        .filter(|t| ids.contains(&t.task_id))
        .collect();
    let n = chosen.len();
    let tasks = if n == 1 { "task" } else { "tasks" };
    let (verb, yes) = match decision {
        Decision::Approve => ("Approve", format!("Yes, approve {n} {tasks}")),
        Decision::Deny => ("Deny", format!("Yes, deny {n} {tasks}")),
    };
    let signs = chosen.iter().any(|t| t.needs_reauth) && decision == Decision::Approve;
    Some(if n == 0 {
        view! { <Alert message="Select tasks: tick at least one task, then choose Approve selected or Deny selected." error=true/> }.into_any()
    } else {
        view! {
            <ConfirmPanel heading=format!("{verb} {n} selected {tasks}?")
                consequence=match (decision, signs) {
                    (Decision::Deny, _) => "Each request is denied and goes no further; its requester is told.",
                    (Decision::Approve, true) => "Each request moves to its next step. One signature (signing in again) covers them all.",
                    (Decision::Approve, false) => "Each request moves to its next step, or is granted after its last.",
                }
                back="/inbox" back_label="Back to the inbox">
                <ul class="w-full list-disc pl-6">
                    {chosen.iter().map(|t| view! {
                        <li>{t.item_name.clone()} " — " {t.beneficiary_name.clone()}</li>
                    }).collect_view()}
                </ul>
                {(!comment.is_empty()).then(|| view! { <p class="w-full">"Comment: " {comment.clone()}</p> })}
                <ActionForm action=decide>
                    {chosen.iter().map(|t| view! {
                        <input type="hidden" name="task_ids[]" value=t.task_id.clone()/>
                    }).collect_view()}
                    <input type="hidden" name="comment" value=comment.clone()/>
                    <input type="hidden" name="decision" value=decision.as_str()/>
                    <button type="submit" class=match decision {
                        Decision::Approve => "button-primary",
                        Decision::Deny => "button-danger",
                    }>{yes}</button>
                </ActionForm>
            </ConfirmPanel>
        }.into_any()
    })
}

#[component]
fn TaskCard(
    task: InboxTask,
    act: ServerAction<ActOnTask>,
    last_task: RwSignal<Option<String>>,
    gone: RwSignal<Vec<String>>,
    read_only: bool,
) -> impl IntoView {
    let id = task.task_id.clone();
    // Decided here (or handed over): hidden, and out of the batch.
    let decided = {
        let id = id.clone();
        move || gone.with(|g| g.contains(&id))
    };
    let heading_id = format!("task-{id}");
    let labelled_by = heading_id.clone();
    let what = match task.request_kind {
        RequestKind::Grant => "Access to",
        RequestKind::Revoke => "Removal of",
    };
    let title = format!("{what} {}", task.item_name);
    view! {
        <li class="card" aria-labelledby=labelled_by style:display=move || decided().then_some("none")>
            <div class="flex flex-wrap items-center justify-between gap-2">
                <h2 id=heading_id class="text-xl font-bold">{title.clone()}</h2>
                {task.needs_reauth.then(|| view! { <span class="badge badge-sign">"Signature required"</span> })}
            </div>
            {(!read_only).then(|| view! {
                <label class="mt-2 flex items-center gap-2 text-sm">
                    <input type="checkbox" name="task_ids[]" value=id.clone() form=BATCH_FORM
                        disabled={
                            let decided = decided.clone();
                            move || decided()
                        }/>
                    "Select " {title.clone()}
                </label>
            })}
            <dl class="facts mt-2">
                <dt>"Requested by"</dt><dd>{task.requester_name.clone()}</dd>
                <dt>"For"</dt><dd>{task.beneficiary_name.clone()}</dd>
                <dt>"Kind"</dt><dd>{task.item_kind.label()}</dd>
                <dt>"Justification"</dt><dd>{task.justification.clone()}</dd>
                <dt>"End date"</dt><dd>{task.end_date.map(format_date).unwrap_or_else(|| "none".into())}</dd>
                <dt>"Waiting since"</dt><dd>{format_utc(task.created_at)}</dd>
                <dt>"Step"</dt><dd>{format!("Step {} of {}", task.step, task.steps_total)}</dd>
            </dl>
            <p class="mt-2"><a class="link" href=format!("/requests/{}", task.request_id)>"Request details"</a></p>
            {(!read_only).then(|| view! { <DecisionForm id act last_task/> })}
        </li>
    }
}

/// What a card's form sent with its person search (no WebAssembly): the
/// comment, the person chosen and the search, when this page answers that
/// search for task `id`.
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

/// One form per task: the comment, the person to reassign to (someone who
/// could approve the step), and Approve · Deny · Reassign as its submit
/// buttons. The comment is never bound to a signal's value, so what was typed
/// before the WebAssembly arrived stays when it does.
#[component]
fn DecisionForm(
    id: String,
    act: ServerAction<ActOnTask>,
    last_task: RwSignal<Option<String>>,
) -> impl IntoView {
    let sent = sent_reassignment(&id);
    let initial_comment = sent.as_ref().map(|s| s.0.clone()).unwrap_or_default();
    let comment_id = format!("comment-{id}");
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
        Some(match act.value().get()? {
            Err(crate::types::AppError::Field { field, message }) => explain(&field, &message),
            Err(crate::types::AppError::ReauthRequired { .. }) | Ok(_) => return None,
            Err(other) => other.to_string(),
        })
    };
    let has_error = Signal::derive({
        let error = error.clone();
        move || error().is_some()
    });
    let this_card = {
        let id = id.clone();
        move |_| last_task.set(Some(id.clone()))
    };
    view! {
        <ActionForm action=act attr:class="mt-4">
            <input type="hidden" name="task_id" value=id.clone()/>
            <div class="field">
                <label for=comment_id.clone()>"Comment"</label>
                <textarea id=comment_id name="comment" rows="2" maxlength="1000"
                    aria-describedby={
                        let error_id = error_id.clone();
                        move || has_error.get().then(|| error_id.clone())
                    }
                    aria-invalid=move || has_error.get().to_string()>{initial_comment}</textarea>
                <p class="hint">"Required to deny or reassign."</p>
                {move || error().map(|message| {
                    crate::components::ui::focus_first_error();
                    view! { <p class="field-error" id=error_id.clone() role="alert">{message}</p> }
                })}
            </div>
            // Before the buttons: Enter in its search box searches (the
            // form's first submit button is the default one), never approves.
            <PersonPicker name="to_user_id" label="Reassign to" id=format!("to-{id}")
                purpose=PickFor::Reassignment task_id=id.clone()
                search_action="/inbox" search_param="reassign_q"
                searched=sent.as_ref().map(|s| s.2.clone())
                choice=sent.as_ref().map(|s| s.1.clone())/>
            <div class="mt-2 flex flex-wrap gap-2">
                <button type="submit" name="act" value="approve" class="button-primary"
                    on:click=this_card.clone()>"Approve"</button>
                <button type="submit" name="act" value="deny" class="button-secondary"
                    on:click=this_card.clone()>"Deny"</button>
                <button type="submit" name="act" value="reassign" class="button-secondary"
                    on:click=this_card>"Reassign"</button>
            </div>
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
                        // On a phone the table scrolls here, never the page.
                        <div class="table-scroll mt-6" tabindex="0" role="region" aria-label="Decided tasks, newest first">
                            <table class="data-table">
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
                        </div>
                        <Pager next=page.next base="/inbox/history"/>
                    }.into_any(),
                    Err(err) => view! { <Alert message=err.to_string() error=true/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
