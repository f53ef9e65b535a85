//! The small set of view pieces every page reuses: alerts, field errors, status
//! badges, the pager, and the re-authentication hand-off.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::signed::{CompleteSignedAction, signed_action_pending, take_signed_secret},
    query::urlencode,
    types::{AppError, RequestStatus, TaskState},
};

/// A message in a coloured box; `role="alert"` for errors, `status` otherwise.
#[component]
pub fn Alert(#[prop(into)] message: String, #[prop(optional)] error: bool) -> impl IntoView {
    let (class, role) = if error {
        ("alert alert-error", "alert")
    } else {
        ("alert alert-ok", "status")
    };
    view! { <p class=class role=role>{message}</p> }
}

/// The error of a form's last submission, when it is about `field`.
pub fn field_error<T, S>(value: S, field: &'static str) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    move || match value.get() {
        Some(Err(AppError::Field { field: f, message })) if f == field => {
            focus_first_error();
            Some(view! { <p class="field-error" id=format!("{field}-error")>{message}</p> })
        }
        _ => None,
    }
}

/// The error of a form's last submission that is not about one field.
pub fn form_error<T, S>(value: S) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    move || match value.get() {
        Some(Err(AppError::Field { .. })) | None | Some(Ok(_)) => None,
        Some(Err(AppError::ReauthRequired { challenge_id })) => {
            Some(view! { <ReauthHandOff challenge_id/> }.into_any())
        }
        Some(Err(err)) => {
            focus_first_error();
            Some(view! {
                <p class="alert alert-error" role="alert" tabindex="-1" data-form-error="">{err.to_string()}</p>
            }.into_any())
        }
    }
}

/// After a failed submission the keyboard goes to the first error on the
/// page: into the field it is about, or onto the form's error itself. Call it
/// where an error is rendered; the focus moves once the error is on screen.
pub fn focus_first_error() {
    #[cfg(feature = "hydrate")]
    Effect::new(|_| request_animation_frame(focus_first_error_now));
}

#[cfg(feature = "hydrate")]
fn focus_first_error_now() {
    use wasm_bindgen::JsCast;
    let Ok(Some(error)) = document().query_selector(".field-error, [data-form-error]") else {
        return;
    };
    let field = error.closest(".field").ok().flatten().and_then(|f| {
        f.query_selector("input:not([type=hidden]), textarea, select")
            .ok()
            .flatten()
    });
    let target = field.unwrap_or(error);
    if let Ok(target) = target.dyn_into::<leptos::web_sys::HtmlElement>() {
        let _ = target.focus();
    }
}

/// Says why the person must sign in again, and sends them to the provider (at
/// once when the WebAssembly runs; the link works without it).
#[component]
pub fn ReauthHandOff(challenge_id: String) -> impl IntoView {
    let href = format!("/auth/reauth/{challenge_id}");
    #[cfg(feature = "hydrate")]
    {
        let target = href.clone();
        Effect::new(move |_| {
            let _ = window().location().set_href(&target);
        });
    }
    view! {
        <div class="alert alert-info" role="alert">
            <p class="font-semibold">"This must be signed by signing in again."</p>
            <p>
                "Your organisation requires a fresh sign-in at its identity provider as your "
                "electronic signature. "
                <a class="underline" href=href>"Continue to sign in again"</a>
            </p>
        </div>
    }
}

/// Outcome of a re-authentication round trip (`?reauth=…`), and completion of the
/// signed action (`?signed=<challenge>`): run automatically once, or by a button.
#[component]
pub fn SignedActionBanner(#[prop(optional, into)] on_done: Option<Callback<()>>) -> impl IntoView {
    let query = use_query_map();
    let outcome = move || query.read().get("reauth");
    let signed = move || query.read().get("signed");
    let complete = ServerAction::<CompleteSignedAction>::new();
    let value = complete.value();
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        if let Some(challenge_id) = signed() {
            complete.dispatch(CompleteSignedAction { challenge_id });
            return true;
        }
        false
    });
    Effect::new(move |_| {
        if matches!(value.get(), Some(Ok(_)))
            && let Some(cb) = on_done
        {
            cb.run(());
        }
    });
    let reauth_message = move || {
        outcome().map(|o| {
            let (text, error) = match o.as_str() {
                "cancelled" => ("You cancelled signing in again, so nothing was signed or changed.", true),
                "not-fresh" => ("Your identity provider did not make you sign in again (it ignored max_age=0 / prompt=login), so this cannot count as a signature. Nothing was changed. Ask your administrator to check the provider.", true),
                "wrong-person" => ("A different person signed in at the provider. Only you can sign your own decisions; nothing was changed.", true),
                "no-auth-time" => ("Your identity provider did not say when you signed in (no auth_time), so nothing was signed.", true),
                "unavailable" => ("The identity provider cannot be reached; nothing was signed. Try again in a few minutes.", true),
                "expired" => ("That signing request expired or was already used; nothing was changed. Start again.", true),
                "tested" => ("Re-authentication test passed: your identity provider made you sign in again and reported a fresh authentication time.", false),
                _ => ("Signing in again did not succeed, so nothing was signed or changed.", true),
            };
            view! { <Alert message=text error/> }
        })
    };
    // Without WebAssembly the button posts the form, and the page comes back
    // here: it then says the action is done instead of offering it again.
    // A plain form's completion that made a secret (a new token) left it in
    // the session for this page: shown here once.
    let pending = Resource::new(signed, |id| async move {
        match id {
            Some(id) => {
                let secret = take_signed_secret(id.clone()).await.ok().flatten();
                (signed_action_pending(id).await.unwrap_or(true), secret)
            }
            None => (false, None),
        }
    });
    view! {
        {reauth_message}
        {move || signed().map(|challenge_id| view! {
            <ActionForm action=complete>
                <input type="hidden" name="challenge_id" value=challenge_id/>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let (pending, secret) = pending.await;
                        move || match value.get() {
                            None if !pending => view! {
                                <Alert message="Signed and done: your signed action is complete."/>
                                {secret.clone().map(|secret| view! { <NewSecret secret/> })}
                            }.into_any(),
                            None => view! {
                                <div class="alert alert-info" role="status">
                                    <p>"Your signature is verified. Completing your action…"</p>
                                    <button type="submit" class="button-secondary mt-2">"Complete the signed action"</button>
                                </div>
                            }.into_any(),
                            Some(Ok(done)) => view! {
                                <Alert message=done.message/>
                                {done.secret.map(|secret| view! { <NewSecret secret/> })}
                            }.into_any(),
                            Some(Err(err)) => view! { <Alert message=err.to_string() error=true/> }.into_any(),
                        }
                    })}
                </Suspense>
            </ActionForm>
        })}
    }
}

/// A secret shown once (a new token), selectable, with a Copy button.
#[component]
pub fn NewSecret(secret: String) -> impl IntoView {
    view! {
        <div class="alert alert-ok" role="status">
            <p class="font-semibold">"Your new token — copy it now, it is not shown again:"</p>
            <p><code class="break-all" data-testid="new-token">{secret.clone()}</code></p>
            <CopyButton text=secret label="Copy the new token"/>
        </div>
    }
}

/// "Copy": puts `text` on the clipboard (`navigator.clipboard`) and says so.
/// Without WebAssembly the button does nothing, and the text beside it stays
/// visible and selectable.
#[component]
pub fn CopyButton(text: String, #[prop(into)] label: String) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        set_copied.set(clipboard::write_text(&text).is_ok());
        #[cfg(not(feature = "hydrate"))]
        let _ = (&text, set_copied);
    };
    view! {
        <div class="mt-2 flex items-center gap-2">
            <button type="button" class="button-secondary" aria-label=label on:click=copy>"Copy"</button>
            <span role="status">{move || copied.get().then_some("Copied.")}</span>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod clipboard {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// `navigator.clipboard.writeText(text)`: refused outside a secure context.
        #[wasm_bindgen(js_namespace = ["navigator", "clipboard"], js_name = writeText, catch)]
        pub fn write_text(text: &str) -> Result<JsValue, JsValue>;
    }
}

/// The second step of a destructive action: what it will do, the real form
/// that does it (`children`: its "Yes, …" button) and the way back. Reached by
/// a plain `GET` (a link or a form), so it asks with or without WebAssembly.
#[component]
pub fn ConfirmPanel(
    #[prop(into)] heading: String,
    #[prop(into)] consequence: String,
    #[prop(into)] back: String,
    #[prop(into)] back_label: String,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="confirm-panel mt-6" aria-labelledby="confirm-heading" data-testid="confirm">
            <h2 id="confirm-heading" class="text-xl font-bold">{heading}</h2>
            <p class="mt-2">{consequence}</p>
            <div class="mt-4 flex flex-wrap items-center gap-4">
                {children()}
                <a class="link" href=back>{back_label}</a>
            </div>
        </section>
    }
}

#[component]
pub fn RequestStatusBadge(status: RequestStatus) -> impl IntoView {
    let (label, class) = match status {
        RequestStatus::Pending => ("Pending", "badge badge-pending"),
        RequestStatus::Approved => ("Approved", "badge badge-ok"),
        RequestStatus::Denied => ("Denied", "badge badge-bad"),
        RequestStatus::Cancelled => ("Cancelled", "badge"),
    };
    view! { <span class=class>{label}</span> }
}

#[component]
pub fn TaskStateBadge(state: TaskState) -> impl IntoView {
    let (label, class) = match state {
        TaskState::Pending => ("Waiting", "badge badge-pending"),
        TaskState::Approved => ("Approved", "badge badge-ok"),
        TaskState::Denied => ("Denied", "badge badge-bad"),
        TaskState::Cancelled => ("Cancelled", "badge"),
        TaskState::Reassigned => ("Reassigned", "badge"),
    };
    view! { <span class=class>{label}</span> }
}

/// "Next page" for keyset paging: the same page with `after=<cursor>`.
#[component]
pub fn Pager(next: Option<String>, #[prop(into)] base: String) -> impl IntoView {
    let query = use_query_map();
    let first = {
        let base = base.clone();
        move || query.read().get("after").map(|_| base.clone())
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let next_href = next.map(|cursor| format!("{base}{sep}after={}", urlencode(&cursor)));
    view! {
        <nav aria-label="Pages" class="mt-4 flex gap-4">
            {move || first().map(|href| view! { <a class="button-secondary" href=href>"First page"</a> })}
            {next_href.map(|href| view! { <a class="button-secondary" href=href>"Next page"</a> })}
        </nav>
    }
}
