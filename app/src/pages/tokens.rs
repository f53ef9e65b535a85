//! `/tokens`: personal access tokens for the JSON API (`/api/v1`).

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::tokens::{CreateToken, RevokeToken, TokenView, list_tokens},
    components::{
        loaded::LoadedList,
        ui::{Alert, ConfirmPanel, NewSecret, SignedActionBanner, field_error, form_error},
    },
    types::{Scope, format_utc},
};

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let created = create.value();
    let query = use_query_map();
    // `?revoke=<id>`: the token whose revocation waits for "Yes".
    let confirming = move |rows: &[TokenView]| {
        let id = query.read().get("revoke")?;
        rows.iter().find(|t| t.id == id && !t.revoked).cloned()
    };
    let (signed, set_signed) = signal(0);
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get(), signed.get()),
        |_| list_tokens(),
    );
    view! {
        <Title text="Personal access tokens"/>
        <h1 class="text-2xl font-bold">"Personal access tokens"</h1>
        <p class="mt-2 max-w-[48rem] text-slate-700">
            "Scripts call the JSON API (" <a class="link" href="/api/v1/openapi.json">"/api/v1"</a>
            ") with a token in the header " <code>"Authorization: Bearer …"</code>
            ". A token acts as you: it does what you chose for it when you made it, and only what your "
            "roles allow you now. Approvals that must be e-signed cannot be made "
            "with a token: the API answers 401 insufficient_user_authentication (RFC 9470)."
        </p>
        <p class="mt-2 max-w-[48rem] text-slate-700">
            "Creating a token asks you to sign in again at your identity provider, and a token "
            "lasts at most the number of days your organisation allows."
        </p>
        <SignedActionBanner on_done=Callback::new(move |_| set_signed.update(|n| *n += 1))/>
        {move || match created.get() {
            Some(Ok(token)) => Some(view! { <NewSecret secret=token/> }),
            _ => None,
        }}
        <ActionForm action=create attr:class="card mt-6 flex flex-wrap items-end gap-4">
            <div class="field">
                <label for="token-name">"Name"</label>
                <input id="token-name" name="name" type="text" required maxlength="100"/>
                {field_error(created, "name")}
            </div>
            <div class="field">
                <label for="token-days">"Valid for (days)"</label>
                <input id="token-days" name="days" type="number" min="1" max="366" value="30"/>
                {field_error(created, "days")}
            </div>
            <ScopeChoice/>
            {field_error(created, "scopes")}
            {form_error(created)}
            <button type="submit" class="button-primary">"Create token"</button>
        </ActionForm>
        {move || (matches!(revoke.value().get(), Some(Ok(()))) || query.read().get("revoked").is_some())
            .then(|| view! { <Alert message="Token revoked: scripts using it are refused from now on."/> })}
        {form_error(revoke.value())}
        <LoadedList resource=tokens keep=true empty=|| view! { <p class="mt-6">"You have no tokens."</p> } let:rows>
            {confirming(&rows).map(|token| view! { <ConfirmRevoke token revoke/> })}
            // On a phone the table scrolls here, never the page.
            <div class="table-scroll mt-6" tabindex="0" role="region" aria-label="Your tokens">
                <table class="data-table">
                    <caption class="sr-only">"Your tokens"</caption>
                    <thead><tr>
                        <th scope="col">"Name"</th><th scope="col">"Created"</th><th scope="col">"Expires"</th>
                        <th scope="col">"May"</th><th scope="col">"Last used"</th><th scope="col">"State"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|token| view! { <TokenRow token/> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </LoadedList>
        <section class="card mt-8" aria-labelledby="everywhere-heading">
            <h2 id="everywhere-heading" class="text-xl font-bold">"Sign out everywhere"</h2>
            <p class="mt-2 max-w-[48rem] text-slate-700">
                "Lost a laptop or a phone? This ends every Countersign session you have, in every "
                "browser, and revokes all your tokens at once. You will sign in again."
            </p>
            <form method="post" action="/auth/logout-everywhere" class="mt-4">
                <button type="submit" class="button-secondary">"Sign out everywhere"</button>
            </form>
        </section>
    }
}

/// What the new token may do: one checkbox per scope, each with its plain words.
/// At least one is needed (the server says so when none is ticked).
#[component]
fn ScopeChoice() -> impl IntoView {
    view! {
        <fieldset class="w-full">
            <legend class="font-semibold">"The token may"</legend>
            <ul class="mt-2 flex flex-col gap-1">
                {Scope::ALL
                    .into_iter()
                    .map(|scope| {
                        let id = format!("token-scope-{}", scope.as_str());
                        let name = format!("scope_{}", scope.as_str());
                        view! {
                            <li>
                                <input id=id.clone() name=name type="checkbox" value="on"
                                    checked=matches!(scope, Scope::Read)/>
                                " "
                                <label for=id>{scope.label()}</label>
                                " "
                                <code class="text-slate-600">{scope.as_str()}</code>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </fieldset>
    }
}

/// "Revoke this token?": the form that revokes it, and the way back.
#[component]
fn ConfirmRevoke(token: TokenView, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    view! {
        <ConfirmPanel heading=format!("Revoke the token {}?", token.name)
            consequence="Scripts using it are refused at once. This cannot be undone: a new token means a new secret."
            back="/tokens" back_label="Keep the token">
            <ActionForm action=revoke>
                <input type="hidden" name="id" value=token.id.clone()/>
                <button type="submit" class="button-danger">"Yes, revoke " {token.name.clone()}</button>
            </ActionForm>
        </ConfirmPanel>
    }
}

#[component]
fn TokenRow(token: TokenView) -> impl IntoView {
    let t = token;
    let label = format!("Revoke {}", t.name);
    view! {
        <tr>
            <td>{t.name.clone()}</td>
            <td>{format_utc(t.created_at)}</td>
            <td>{format_utc(t.expires_at)}</td>
            <td>{t.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")}</td>
            <td>{t.last_used_at.map(format_utc).unwrap_or_else(|| "never".into())}</td>
            <td>
                {if t.revoked {
                    Either::Left(view! { <span>"Revoked"</span> })
                } else {
                    // First a question (a plain GET: it asks with or without WebAssembly).
                    Either::Right(view! {
                        <form method="get" action="/tokens">
                            <input type="hidden" name="revoke" value=t.id.clone()/>
                            <button type="submit" class="button-secondary" aria-label=label>"Revoke"</button>
                        </form>
                    })
                }}
            </td>
        </tr>
    }
}
