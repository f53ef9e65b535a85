//! The item's Provisioning tab: where its grants go — a person by hand, or a
//! signed webhook ("Test connection" before saving). The shared secret is
//! write-only: sealed when saved, never shown again.

use leptos::prelude::*;

use crate::{
    api::provisioning::{SaveProvisioning, TestProvisioning, provisioning_target},
    components::{
        loaded::Loaded,
        ui::{Alert, field_error, form_error},
    },
    types::{ConnectorKind, ProvisioningView},
};

#[component]
pub fn ProvisioningTab(item_id: String, signed: ReadSignal<i32>) -> impl IntoView {
    let save = ServerAction::<SaveProvisioning>::new();
    let id = item_id.clone();
    let data = Resource::new(
        move || (id.clone(), save.version().get(), signed.get()),
        |(id, ..)| provisioning_target(id),
    );
    view! {
        <h2 class="text-xl font-bold">"Provisioning"</h2>
        <p class="mt-2 max-w-[40rem] text-slate-700">
            "When a request for this item is approved (or the access ends), Countersign carries it "
            "out here. Nothing shows as provisioned until the target, or the person fulfilling it "
            "by hand, confirms it."
        </p>
        <Loaded resource=data keep=true let:view>
            <ProvisioningForm view save/>
        </Loaded>
    }
}

#[component]
fn ProvisioningForm(view: ProvisioningView, save: ServerAction<SaveProvisioning>) -> impl IntoView {
    let value = save.value();
    let test = ServerAction::<TestProvisioning>::new();
    let tested = test.value();
    let connector = RwSignal::new(view.connector.as_str().to_owned());
    let url = RwSignal::new(view.url.clone());
    let secret = RwSignal::new(String::new());
    let item_id = view.item_id.clone();
    let run_test = move |_| {
        test.dispatch(TestProvisioning {
            id: item_id.clone(),
            connector: connector.get(),
            url: url.get(),
            secret: secret.get(),
        });
    };
    let secret_hint = if view.secret_set {
        "A secret is stored (encrypted; it is never shown again). Leave empty to keep it."
    } else {
        "Give the receiver the same value. Stored encrypted; it is never shown again."
    };
    let choice = move |kind: ConnectorKind| {
        view! {
            <label class="flex items-center gap-2">
                <input type="radio" name="connector" value=kind.as_str()
                    checked=connector.get_untracked() == kind.as_str()
                    on:change=move |_| connector.set(kind.as_str().to_owned())/>
                {kind.label()}
            </label>
        }
    };
    view! {
        {(!view.key_configured).then(|| view! {
            <p class="alert alert-info mt-4" role="note">
                "COUNTERSIGN_SECRET_KEY is not set on the server, so a webhook's shared secret "
                "cannot be stored. Manual fulfilment works without it."
            </p>
        })}
        {view.signed.then(|| view! {
            <p class="alert alert-info mt-4" role="note">
                "Approvals of this item are e-signed: changing where its grants go asks you to "
                "sign in again."
            </p>
        })}
        <ActionForm action=save attr:class="mt-4 flex flex-col gap-4 max-w-[40rem]">
            <input type="hidden" name="id" value=view.item_id.clone()/>
            <input type="hidden" name="version" value=view.version/>
            <fieldset class="flex flex-col gap-2">
                <legend class="font-semibold">"Where grants go"</legend>
                {choice(ConnectorKind::Manual)}
                {choice(ConnectorKind::Webhook)}
                {field_error(value, "connector")}
            </fieldset>
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
            <fieldset class="flex flex-col gap-4">
                <legend class="font-semibold">"Signed webhook"</legend>
                <div class="field">
                    <label for="webhook-url">"Webhook URL"</label>
                    <input id="webhook-url" name="url" type="url" maxlength="2000"
                        prop:value=url on:input=move |ev| url.set(event_target_value(&ev))
                        aria-describedby="webhook-url-hint"/>
                    <p id="webhook-url-hint" class="hint">"https (plain http only on this machine's loopback). Each grant and revocation is POSTed here as JSON, signed."</p>
                    {field_error(value, "url")}
                </div>
                <div class="field">
                    <label for="webhook-secret">"Shared secret"</label>
                    <input id="webhook-secret" name="secret" type="password" autocomplete="new-password"
                        maxlength="500" prop:value=secret on:input=move |ev| secret.set(event_target_value(&ev))
                        aria-describedby="webhook-secret-hint"/>
                    <p id="webhook-secret-hint" class="hint">{secret_hint}</p>
                    {field_error(value, "secret")}
                </div>
                <div>
                    <button type="button" class="button-secondary" on:click=run_test>"Test connection"</button>
                </div>
                {move || match tested.get() {
                    Some(Ok(message)) => Some(view! { <Alert message/> }.into_any()),
                    Some(Err(err)) => Some(view! { <Alert message=test_error(err) error=true/> }.into_any()),
                    None => None,
                }}
            </fieldset>
            {form_error(value)}
            {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <Alert message="Provisioning saved."/> })}
            <div><button type="submit" class="button-primary">"Save provisioning"</button></div>
        </ActionForm>
    }
}

/// A failed test in words (a field's message without the field's name).
fn test_error(err: crate::types::AppError) -> String {
    match err {
        crate::types::AppError::Field { message, .. } => message,
        other => other.to_string(),
    }
}
