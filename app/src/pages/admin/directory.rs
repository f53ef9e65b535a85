//! `/admin/directory`: the connection to the organisation's directory (SCIM 2.0):
//! where the identity provider sends people and groups, the tokens it sends them
//! with, how the last sync went, and the last 100 SCIM operations.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::directory::{
        CreateDirectoryToken, RevokeDirectoryToken, directory_status, leavers_access,
        list_directory_tokens,
    },
    api::provisioning::RevokeAccess,
    components::{
        loaded::{Loaded, LoadedList},
        ui::{Alert, Pager, SignedActionBanner, field_error, form_error},
    },
    types::{
        DirectoryMode, DirectoryStatusView, DirectoryTokenView, LeaverAccess, ScimMatchKey,
        ScimOperationView, format_utc,
    },
};
use leptos_router::hooks::use_query_map;

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let create = ServerAction::<CreateDirectoryToken>::new();
    let revoke = ServerAction::<RevokeDirectoryToken>::new();
    let created = create.value();
    let (signed, set_signed) = signal(0);
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get(), signed.get()),
        |_| list_directory_tokens(),
    );
    let status = Resource::new(|| (), |_| directory_status());
    view! {
        <Title text="Directory"/>
        <h1 class="text-2xl font-bold">"Directory"</h1>
        <p class="mt-2 max-w-[48rem] text-slate-700">
            "Your identity provider (Okta, Microsoft Entra ID, OneLogin, JumpCloud, Keycloak…) "
            "keeps Countersign's people, groups and managers true over SCIM 2.0, so anyone can be "
            "named as an approver, an owner or a beneficiary before they first sign in, and "
            "people who leave lose their sessions, tokens and pending work at once."
        </p>
        <SignedActionBanner on_done=Callback::new(move |_| set_signed.update(|n| *n += 1))/>
        <Loaded resource=status let:status>
            <Connection status/>
        </Loaded>
        <section class="card mt-8" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading" class="text-xl font-bold">"Directory tokens"</h2>
            <p class="mt-2 max-w-[48rem] text-slate-700">
                "The identity provider authenticates with a bearer token. Creating one asks you to "
                "sign in again; it is shown once. Revoke a token the moment it may have leaked: "
                "the provider's next request is refused."
            </p>
            {move || match created.get() {
                Some(Ok(token)) => Some(view! {
                    <div class="alert alert-ok" role="status">
                        <p class="font-semibold">"The new directory token — copy it now, it is not shown again:"</p>
                        <p><code class="break-all" data-testid="new-token">{token}</code></p>
                    </div>
                }),
                _ => None,
            }}
            <ActionForm action=create attr:class="mt-4 flex flex-wrap items-end gap-4">
                <div class="field">
                    <label for="directory-token-name">"Name"</label>
                    <input id="directory-token-name" name="name" type="text" required maxlength="100"
                        placeholder="Okta provisioning"/>
                    {field_error(created, "name")}
                </div>
                <div class="field">
                    <label for="directory-token-days">"Valid for (days)"</label>
                    <input id="directory-token-days" name="days" type="number" min="1" max="730" value="365"/>
                    {field_error(created, "days")}
                </div>
                {form_error(created)}
                <button type="submit" class="button-primary">"Create directory token"</button>
            </ActionForm>
            <LoadedList resource=tokens keep=true
                empty=|| view! { <p class="mt-4">"No directory token yet: the provider cannot connect."</p> }
                let:rows>
                <div class="table-scroll mt-4" tabindex="0" role="region" aria-label="Directory tokens">
                    <table class="data-table">
                        <caption class="sr-only">"Directory tokens"</caption>
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Created"</th>
                            <th scope="col">"Expires"</th><th scope="col">"Last used"</th>
                            <th scope="col">"State"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|token| view! { <TokenRow token revoke/> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </LoadedList>
        </section>
        <AccessToRemove/>
        <Loaded resource=status let:status>
            <Operations operations=status.operations/>
        </Loaded>
    }
}

/// What disabled people still hold, in the order they were disabled: to be taken
/// away (a leaver's access is revoked when they leave).
#[component]
fn AccessToRemove() -> impl IntoView {
    let query = use_query_map();
    let after = move || query.read().get("after");
    let revoke = ServerAction::<RevokeAccess>::new();
    let page = Resource::new(
        move || (after(), revoke.version().get()),
        |(after, _)| leavers_access(after),
    );
    view! {
        <section class="card mt-8" aria-labelledby="leavers-heading">
            <h2 id="leavers-heading" class="text-xl font-bold">"Access to remove"</h2>
            <p class="mt-2 max-w-[48rem] text-slate-700">
                "When the directory says someone left, what they hold is revoked at once and each "
                "target takes it away (see Provisioning). People disabled here can no longer sign "
                "in or use a token; what they still hold is listed until it is removed."
            </p>
            {move || matches!(revoke.value().get(), Some(Ok(()))).then(|| view! {
                <Alert message="Revoked: the target is told to take it away (see Provisioning)."/>
            })}
            {form_error(revoke.value())}
            <Loaded resource=page keep=true let:page>
                {if page.rows.is_empty() {
                    Either::Left(view! { <p class="mt-4">"Nobody who left holds any access."</p> })
                } else {
                    Either::Right(view! {
                        <div class="table-scroll mt-4" tabindex="0" role="region" aria-label="Access held by people who left">
                            <table class="data-table">
                                <caption class="sr-only">"Access held by people who left"</caption>
                                <thead><tr>
                                    <th scope="col">"Person"</th><th scope="col">"Left"</th>
                                    <th scope="col">"Access"</th><th scope="col">"Granted"</th>
                                    <th scope="col">"Ends"</th>
                                    <th scope="col"><span class="sr-only">"Action"</span></th>
                                </tr></thead>
                                <tbody>
                                    {page.rows.into_iter().map(|row| view! { <LeaverRow row revoke/> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <Pager next=page.next base="/admin/directory"/>
                    })
                }}
            </Loaded>
        </section>
    }
}

#[component]
fn LeaverRow(row: LeaverAccess, revoke: ServerAction<RevokeAccess>) -> impl IntoView {
    let label = format!("Revoke {}'s {}", row.user_name, row.item_name);
    view! {
        <tr>
            <td>{row.user_name}</td>
            <td class="nowrap">{format_utc(row.left_at)}</td>
            <td>{format!("{} ({})", row.item_name, row.item_kind.label())}</td>
            <td class="nowrap">{format_utc(row.granted_at)}</td>
            <td class="nowrap">{row.end_date.map(format_utc).unwrap_or_else(|| "no end date".into())}</td>
            <td>
                <ActionForm action=revoke>
                    <input type="hidden" name="user_id" value=row.user_id.clone()/>
                    <input type="hidden" name="item_id" value=row.item_id.clone()/>
                    <button type="submit" class="button-secondary" aria-label=label>"Revoke"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// Where the provider connects, in which mode, and how the last sync went.
#[component]
fn Connection(status: DirectoryStatusView) -> impl IntoView {
    let mode = match status.mode {
        DirectoryMode::Scim => {
            "The directory is the truth: SCIM sets people and groups; signing in never changes groups, and only people the directory knows can sign in."
        }
        DirectoryMode::Oidc => {
            "Groups come from each sign-in's ID token (COUNTERSIGN_DIRECTORY=oidc). People the directory pushes are known here, but their groups follow their sign-ins."
        }
    };
    let matching = match status.match_key {
        ScimMatchKey::ExternalId => "SCIM externalId = the ID token's sub (Okta)",
        ScimMatchKey::UserName => {
            "SCIM userName = the ID token's preferred_username, else email (Entra ID, Keycloak)"
        }
    };
    let last = status
        .last_success_at
        .map(format_utc)
        .unwrap_or_else(|| "never".into());
    view! {
        <section class="card mt-6" aria-labelledby="connection-heading">
            <h2 id="connection-heading" class="text-xl font-bold">"Connection"</h2>
            <dl class="facts mt-4">
                <dt>"SCIM endpoint"</dt>
                <dd><code class="break-all" data-testid="scim-endpoint">{status.endpoint_url}</code></dd>
                <dt>"Mode"</dt>
                <dd>{mode}</dd>
                <dt>"People are matched at sign-in by"</dt>
                <dd>{matching}</dd>
                <dt>"Last successful sync"</dt>
                <dd>{last}</dd>
                <dt>"People"</dt>
                <dd>{format!(
                    "{} known, {} active, {} managed by the directory",
                    status.users, status.active_users, status.directory_users
                )}</dd>
                <dt>"Groups"</dt>
                <dd>{status.groups}</dd>
            </dl>
        </section>
    }
}

#[component]
fn TokenRow(
    token: DirectoryTokenView,
    revoke: ServerAction<RevokeDirectoryToken>,
) -> impl IntoView {
    let t = token;
    let label = format!("Revoke {}", t.name);
    view! {
        <tr>
            <td>{t.name.clone()}</td>
            <td><span class="nowrap">{format_utc(t.created_at)}</span>{format!(" by {}", t.created_by)}</td>
            <td class="nowrap">{format_utc(t.expires_at)}</td>
            <td class="nowrap">{t.last_used_at.map(format_utc).unwrap_or_else(|| "never".into())}</td>
            <td>
                {match t.revoked_at {
                    Some(at) => Either::Left(view! { <span>{format!("Revoked {}", format_utc(at))}</span> }),
                    None => Either::Right(view! {
                        <ActionForm action=revoke>
                            <input type="hidden" name="id" value=t.id.clone()/>
                            <button type="submit" class="button-secondary" aria-label=label>"Revoke"</button>
                        </ActionForm>
                    }),
                }}
            </td>
        </tr>
    }
}

/// The last 100 SCIM requests, newest first.
#[component]
fn Operations(operations: Vec<ScimOperationView>) -> impl IntoView {
    let empty = operations.is_empty();
    view! {
        <section class="card mt-8" aria-labelledby="operations-heading">
            <h2 id="operations-heading" class="text-xl font-bold">"Recent SCIM operations"</h2>
            {if empty {
                Either::Left(view! { <p class="mt-4">"The provider has not connected yet."</p> })
            } else {
                Either::Right(view! {
                    <div class="table-scroll mt-4" tabindex="0" role="region" aria-label="The last 100 SCIM operations">
                        <table class="data-table">
                            <caption class="sr-only">"The last 100 SCIM operations"</caption>
                            <thead><tr>
                                <th scope="col">"Time"</th><th scope="col">"Request"</th>
                                <th scope="col">"Status"</th><th scope="col">"Outcome"</th>
                            </tr></thead>
                            <tbody>
                                {operations.into_iter().map(|op| {
                                    let failed = op.status >= 400;
                                    view! {
                                        <tr>
                                            <td class="nowrap">{format_utc(op.at)}</td>
                                            <td><code class="nowrap">{format!("{} {}", op.method, op.path)}</code></td>
                                            <td>{op.status}</td>
                                            <td>
                                                <span class=if failed { "badge badge-bad" } else { "badge badge-ok" }>
                                                    {op.outcome}
                                                </span>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                })
            }}
        </section>
    }
}
