//! The item's Provisioning tab: where its grants go — a person by hand, a
//! signed webhook, an LDAP / Active Directory group or a SCIM application's
//! group ("Test connection" before saving). Credentials are write-only: sealed
//! when saved, never shown again.

use leptos::{either::Either, html::Form, prelude::*};
use leptos_router::hooks::use_query_map;

use crate::{
    api::provisioning::{
        RevokeAccess, SaveProvisioning, TestProvisioning, item_holders, provisioning_target,
    },
    components::{
        jobs::JobStateBadge,
        loaded::Loaded,
        ui::{Alert, Pager, field_error, form_error},
    },
    types::{
        AppError, ConnectorKind, Holder, MemberAttribute, Page, ProvisioningView, ScimAuth,
        ScimGroupBy, ScimUserName, format_date, format_utc,
    },
};

type SaveValue = MappedSignal<Option<Result<ProvisioningView, AppError>>>;

/// An item's holders, while the Provisioning tab is open (`None` otherwise).
type HoldersResource = Resource<Result<Option<Page<Holder>>, AppError>>;

/// The Provisioning tab's data. The item page creates it with itself, not
/// inside its loaded item: a resource first created under another `Suspense`
/// does not find the server's answer when the page hydrates, so the browser
/// fetched it again and showed the form twice. It loads only while the tab is open.
#[derive(Clone, Copy)]
pub struct ProvisioningData {
    save: ServerAction<SaveProvisioning>,
    /// The version of the last successful save: a refused one reloads nothing,
    /// so the form keeps what the person typed, the connector they chose and
    /// the error next to its field.
    saved: RwSignal<i64>,
    target: Resource<Result<Option<ProvisioningView>, AppError>>,
    /// "People with this access", and the Revoke of each.
    holders: HoldersResource,
    revoke: ServerAction<RevokeAccess>,
}

impl ProvisioningData {
    pub fn new(
        item_id: impl Fn() -> String + Copy + Send + Sync + 'static,
        open: impl Fn() -> bool + Copy + Send + Sync + 'static,
        signed: ReadSignal<i32>,
    ) -> Self {
        let save = ServerAction::<SaveProvisioning>::new();
        let saved = RwSignal::new(0i64);
        Effect::new(move || {
            if let Some(Ok(view)) = save.value().get() {
                saved.set(view.version);
            }
        });
        let target = Resource::new(
            move || (item_id(), open(), saved.get(), signed.get()),
            |(id, open, ..)| async move {
                if open {
                    provisioning_target(id).await.map(Some)
                } else {
                    Ok(None)
                }
            },
        );
        let revoke = ServerAction::<RevokeAccess>::new();
        let query = use_query_map();
        let holders = Resource::new(
            move || {
                (
                    item_id(),
                    open(),
                    query.read().get("after"),
                    revoke.version().get(),
                )
            },
            |(id, open, after, _)| async move {
                if open {
                    item_holders(id, after).await.map(Some)
                } else {
                    Ok(None)
                }
            },
        );
        Self {
            save,
            saved,
            target,
            holders,
            revoke,
        }
    }
}

#[component]
pub fn ProvisioningTab(item_id: String, data: ProvisioningData) -> impl IntoView {
    let ProvisioningData {
        save,
        saved,
        target,
        holders,
        revoke,
    } = data;
    view! {
        <h2 class="text-xl font-bold">"Provisioning"</h2>
        <p class="mt-2 max-w-[40rem] text-slate-700">
            "When a request for this item is approved (or the access ends), Countersign carries it "
            "out here. Nothing shows as provisioned until the target, or the person fulfilling it "
            "by hand, confirms it."
        </p>
        <Loaded resource=target keep=true let:view>
            {view.map(|view| view! { <ProvisioningForm view save saved/> })}
        </Loaded>
        <Holders item_id holders=(holders, revoke)/>
    }
}

/// "People with this access": who holds the item, newest grant first, with
/// where provisioning stands and a Revoke for each (the target is told).
#[component]
fn Holders(
    item_id: String,
    holders: (HoldersResource, ServerAction<RevokeAccess>),
) -> impl IntoView {
    let (page, revoke) = holders;
    let base = format!("/admin/items/{item_id}?tab=provisioning");
    view! {
        <section class="mt-8" aria-labelledby="holders-heading">
            <h3 id="holders-heading" class="text-lg font-bold">"People with this access"</h3>
            {move || matches!(revoke.value().get(), Some(Ok(()))).then(|| view! {
                <Alert message="Revoked: the target is told to take it away."/>
            })}
            {form_error(revoke.value())}
            <Loaded resource=page keep=true let:page>
                {page.map(|page| if page.rows.is_empty() {
                    Either::Left(view! { <p class="mt-2">"Nobody holds this access."</p> })
                } else {
                    let item_id = item_id.clone();
                    Either::Right(view! {
                        <div class="table-scroll mt-2">
                            <table class="data-table">
                                <caption class="sr-only">"People with this access"</caption>
                                <thead><tr>
                                    <th scope="col">"Person"</th><th scope="col">"Granted"</th>
                                    <th scope="col">"Ends"</th><th scope="col">"Provisioning"</th>
                                    <th scope="col"><span class="sr-only">"Action"</span></th>
                                </tr></thead>
                                <tbody>
                                    {page.rows.into_iter().map(|holder| view! {
                                        <HolderRow holder item_id=item_id.clone() revoke/>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <Pager next=page.next base=base.clone()/>
                    })
                })}
            </Loaded>
        </section>
    }
}

#[component]
fn HolderRow(holder: Holder, item_id: String, revoke: ServerAction<RevokeAccess>) -> impl IntoView {
    let label = format!("Revoke {}'s access", holder.user_name);
    view! {
        <tr>
            <td>
                {holder.user_name.clone()}
                {holder.user_email.clone().map(|e| view! { <span class="block text-sm text-slate-600">{e}</span> })}
            </td>
            <td>{format_utc(holder.granted_at)}</td>
            <td>{holder.end_date.map(format_date).unwrap_or_else(|| "no end date".into())}</td>
            <td>{match holder.provisioning_state {
                Some(state) => Either::Left(view! { <JobStateBadge state/> }),
                None => Either::Right(view! { <span>"—"</span> }),
            }}</td>
            <td>
                <ActionForm action=revoke>
                    <input type="hidden" name="user_id" value=holder.user_id.clone()/>
                    <input type="hidden" name="item_id" value=item_id/>
                    <button type="submit" class="button-secondary" aria-label=label>"Revoke"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// The hint under a credential field.
fn secret_hint(stored: bool, what: &str) -> String {
    if stored {
        format!(
            "A {what} is stored (encrypted; it is never shown again). Leave empty to keep it, \
             unless you point the target somewhere else."
        )
    } else {
        format!("Stored encrypted; the {what} is never shown again.")
    }
}

#[component]
fn ProvisioningForm(
    view: ProvisioningView,
    save: ServerAction<SaveProvisioning>,
    saved: RwSignal<i64>,
) -> impl IntoView {
    let value = save.value();
    let test = ServerAction::<TestProvisioning>::new();
    let tested = test.value();
    let form = NodeRef::<Form>::new();
    let connector = RwSignal::new(view.connector);
    // Every section shows until the WebAssembly runs (so the form works
    // without it); then only the chosen connector's.
    let hydrated = RwSignal::new(false);
    Effect::new(move || hydrated.set(true));
    let hide = move |kind: ConnectorKind| move || hydrated.get() && connector.get() != kind;
    let run_test = move |_| {
        let Some(form) = form.get() else { return };
        let Ok(data) = leptos::web_sys::FormData::new_with_form(&form) else {
            return;
        };
        if let Ok(args) = <TestProvisioning as leptos::form::FromFormData>::from_form_data(&data) {
            test.dispatch(args);
        }
    };
    let choice = move |kind: ConnectorKind| {
        view! {
            <label class="flex items-center gap-2">
                <input type="radio" name="connector" value=kind.as_str()
                    checked=connector.get_untracked() == kind
                    on:change=move |_| {
                        connector.set(kind);
                        // A test of another connector says nothing about this one.
                        tested.set(None);
                    }/>
                {kind.label()}
            </label>
        }
    };
    view! {
        {(!view.key_configured).then(|| view! {
            <p class="alert alert-info mt-4" role="note">
                "COUNTERSIGN_SECRET_KEY is not set on the server, so no credential (a webhook's "
                "shared secret, an LDAP bind password, a SCIM token) can be stored. Manual "
                "fulfilment works without it."
            </p>
        })}
        {view.signed.then(|| view! {
            <p class="alert alert-info mt-4" role="note">
                "Approvals of this item are e-signed: changing where its grants go asks you to "
                "sign in again."
            </p>
        })}
        <ActionForm action=save node_ref=form attr:class="mt-4 flex flex-col gap-4 max-w-[40rem]">
            <input type="hidden" name="id" value=view.item_id.clone()/>
            <input type="hidden" name="version" value=view.version/>
            <fieldset class="flex flex-col gap-2">
                <legend class="font-semibold">"Where grants go"</legend>
                {ConnectorKind::ALL.map(choice).collect_view()}
                {field_error(value, "connector")}
            </fieldset>
            // `hidden` on a wrapper: the fieldset's own `display: flex` would override it.
            <div hidden=hide(ConnectorKind::Manual)>
            <fieldset class="flex flex-col gap-4">
                <legend class="font-semibold">"Manual fulfilment"</legend>
                <div class="field">
                    <label for="fulfillers">"Fulfillers' group"</label>
                    <input id="fulfillers" name="fulfillers_group" type="text" maxlength="200"
                        value=view.fulfillers_group.clone() aria-describedby="fulfillers-hint"/>
                    <p id="fulfillers-hint" class="hint">"Its members get each grant as a fulfilment task in their inbox. Empty: the item owner."</p>
                    {field_error(value, "fulfillers_group")}
                </div>
            </fieldset>
            </div>
            <div hidden=hide(ConnectorKind::Webhook)><WebhookFields view=view.clone() value saved/></div>
            <div hidden=hide(ConnectorKind::Ldap)><LdapFields view=view.clone() value saved/></div>
            <div hidden=hide(ConnectorKind::Scim)><ScimFields view=view.clone() value saved/></div>
            <div>
                <button type="button" class="button-secondary" on:click=run_test>"Test connection"</button>
            </div>
            {move || match tested.get() {
                Some(Ok(message)) => Some(view! { <Alert message/> }.into_any()),
                Some(Err(err)) => Some(view! { <Alert message=test_error(err) error=true/> }.into_any()),
                None => None,
            }}
            {form_error(value)}
            {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <Alert message="Provisioning saved."/> })}
            <div><button type="submit" class="button-primary">"Save provisioning"</button></div>
        </ActionForm>
    }
}

/// One labelled text input with its hint and its error.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    #[prop(into)] value: String,
    hint: &'static str,
    errors: SaveValue,
    #[prop(default = "text")] kind: &'static str,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=id type=kind maxlength="2000" value=value aria-describedby=hint_id.clone()/>
            <p id=hint_id class="hint">{hint}</p>
            {field_error(errors, id)}
        </div>
    }
}

/// A write-only credential input, emptied by each successful save.
#[component]
fn Secret(
    id: &'static str,
    label: &'static str,
    hint: String,
    errors: SaveValue,
    saved: RwSignal<i64>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=id type="password" autocomplete="new-password" maxlength="8000"
                prop:value=move || { saved.track(); String::new() }
                aria-describedby=hint_id.clone()/>
            <p id=hint_id class="hint">{hint}</p>
            {field_error(errors, id)}
        </div>
    }
}

#[component]
fn WebhookFields(view: ProvisioningView, value: SaveValue, saved: RwSignal<i64>) -> impl IntoView {
    let webhook = view.connector == ConnectorKind::Webhook;
    let hint = if webhook && view.secret_set {
        "A secret is stored (encrypted; it is never shown again). Leave empty to keep it."
            .to_owned()
    } else {
        "Give the receiver the same value. Stored encrypted; it is never shown again.".to_owned()
    };
    view! {
        <fieldset class="flex flex-col gap-4">
            <legend class="font-semibold">"Signed webhook"</legend>
            <div class="field">
                <label for="webhook-url">"Webhook URL"</label>
                <input id="webhook-url" name="url" type="url" maxlength="2000" value=view.url.clone()
                    aria-describedby="webhook-url-hint"/>
                <p id="webhook-url-hint" class="hint">"https (plain http only on this machine's loopback). Each grant and revocation is POSTed here as JSON, signed."</p>
                {field_error(value, "url")}
            </div>
            <div class="field">
                <label for="webhook-secret">"Shared secret"</label>
                <input id="webhook-secret" name="secret" type="password" autocomplete="new-password"
                    maxlength="500" prop:value=move || { saved.track(); String::new() }
                    aria-describedby="webhook-secret-hint"/>
                <p id="webhook-secret-hint" class="hint">{hint}</p>
                {field_error(value, "secret")}
            </div>
        </fieldset>
    }
}

#[component]
fn LdapFields(view: ProvisioningView, value: SaveValue, saved: RwSignal<i64>) -> impl IntoView {
    let ldap = view.ldap.clone();
    let stored = view.connector == ConnectorKind::Ldap && view.secret_set;
    let filter = if ldap.user_filter.is_empty() {
        "(uid={userName})".to_owned()
    } else {
        ldap.user_filter.clone()
    };
    view! {
        <fieldset class="flex flex-col gap-4">
            <legend class="font-semibold">"LDAP / Active Directory group"</legend>
            <Field id="ldap_url" label="LDAP server URL" value=ldap.url.clone() errors=value
                hint="ldaps://dc1.example.com:636, or ldap://…:389 (then StartTLS). The password never travels in clear."/>
            <Field id="ldap_bind_dn" label="Bind DN" value=ldap.bind_dn.clone() errors=value
                hint="The service account, e.g. cn=countersign,ou=Service Accounts,dc=example,dc=org. It may change the group's members."/>
            <Secret id="ldap_password" label="Bind password" errors=value saved hint=secret_hint(stored, "bind password")/>
            <Field id="ldap_group_dn" label="Group DN" value=ldap.group_dn.clone() errors=value
                hint="The group whose members hold this item, e.g. cn=Payroll,ou=Groups,dc=example,dc=org."/>
            <div class="field">
                <label for="ldap_member_attribute">"Member attribute"</label>
                <select id="ldap_member_attribute" name="ldap_member_attribute">
                    {MemberAttribute::ALL.map(|a| view! {
                        <option value=a.as_str() selected=ldap.member_attribute == a>{a.as_str()}</option>
                    }).collect_view()}
                </select>
                {field_error(value, "ldap_member_attribute")}
            </div>
            <Field id="ldap_user_base" label="People search base" value=ldap.user_base.clone() errors=value
                hint="Where people are searched (the whole subtree), e.g. ou=People,dc=example,dc=org."/>
            <Field id="ldap_user_filter" label="Person filter" value=filter errors=value
                hint="{userName} and {email} are replaced by the person's values, escaped. Active Directory: (sAMAccountName={userName}) or (userPrincipalName={email})."/>
            <label class="flex items-center gap-2">
                <input type="checkbox" name="ldap_read_member_of" checked=ldap.read_member_of/>
                "Confirm each change by reading the person's memberOf"
            </label>
            <div class="field">
                <label for="ldap_ca_pem">"Certificate authority (PEM)"</label>
                <textarea id="ldap_ca_pem" name="ldap_ca_pem" rows="4" aria-describedby="ldap_ca_pem-hint">{ldap.ca_pem.clone()}</textarea>
                <p id="ldap_ca_pem-hint" class="hint">"The CA that signed the server's certificate (often the domain's own). Empty: the system's trusted roots."</p>
                {field_error(value, "ldap_ca_pem")}
            </div>
            <label class="flex items-center gap-2">
                <input type="checkbox" name="ldap_allow_plain_loopback" checked=ldap.allow_plain_loopback/>
                "Allow plain LDAP to this machine's loopback address (tests only)"
            </label>
        </fieldset>
    }
}

#[component]
fn ScimFields(view: ProvisioningView, value: SaveValue, saved: RwSignal<i64>) -> impl IntoView {
    let scim = view.scim.clone();
    let stored = view.connector == ConnectorKind::Scim && view.secret_set;
    let auth_label = |a: ScimAuth| match a {
        ScimAuth::Bearer => "Bearer token",
        ScimAuth::ClientCredentials => "OAuth 2.0 client credentials",
    };
    let group_label = |g: ScimGroupBy| match g {
        ScimGroupBy::Id => "The group's id",
        ScimGroupBy::DisplayName => "The group's displayName",
    };
    let user_label = |u: ScimUserName| match u {
        ScimUserName::UserName => "The person's userName",
        ScimUserName::Email => "The person's e-mail address",
    };
    view! {
        <fieldset class="flex flex-col gap-4">
            <legend class="font-semibold">"SCIM 2.0 application group"</legend>
            <Field id="scim_base_url" label="SCIM base URL" value=scim.base_url.clone() errors=value kind="url"
                hint="The application's SCIM endpoint, e.g. https://api.slack.com/scim/v2 (https; plain http only on loopback)."/>
            <div class="field">
                <label for="scim_auth">"Authentication"</label>
                <select id="scim_auth" name="scim_auth">
                    {ScimAuth::ALL.map(|a| view! {
                        <option value=a.as_str() selected=scim.auth == a>{auth_label(a)}</option>
                    }).collect_view()}
                </select>
                {field_error(value, "scim_auth")}
            </div>
            <Secret id="scim_secret" label="Token or client secret" errors=value saved
                hint=secret_hint(stored, "token or client secret")/>
            <Field id="scim_token_url" label="OAuth token URL" value=scim.token_url.clone() errors=value kind="url"
                hint="Client credentials only: where access tokens are asked for."/>
            <Field id="scim_client_id" label="OAuth client id" value=scim.client_id.clone() errors=value
                hint="Client credentials only."/>
            <Field id="scim_scope" label="OAuth scope" value=scim.scope.clone() errors=value
                hint="Client credentials only; empty when the application needs none."/>
            <Field id="scim_group" label="SCIM group" value=scim.group.clone() errors=value
                hint="The group whose members hold this item in the application."/>
            <div class="field">
                <label for="scim_group_by">"The group is given by"</label>
                <select id="scim_group_by" name="scim_group_by">
                    {ScimGroupBy::ALL.map(|g| view! {
                        <option value=g.as_str() selected=scim.group_by == g>{group_label(g)}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="scim_user_name">"The person's userName in the application is"</label>
                <select id="scim_user_name" name="scim_user_name">
                    {ScimUserName::ALL.map(|u| view! {
                        <option value=u.as_str() selected=scim.user_name == u>{user_label(u)}</option>
                    }).collect_view()}
                </select>
            </div>
        </fieldset>
    }
}

/// A failed test in words (a field's message without the field's name).
fn test_error(err: AppError) -> String {
    match err {
        AppError::Field { message, .. } => message,
        other => other.to_string(),
    }
}
