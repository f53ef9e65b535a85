//! `/admin/settings`: the organisation's access-request configuration.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{
        chat::{SaveChatWebhook, TestChatWebhook, chat_webhook},
        escalation::SaveEscalation,
        settings::{SaveSettings, TestReauth, get_settings},
    },
    components::{
        chat_webhook::ChatWebhookForm,
        loaded::Loaded,
        ui::{Alert, SignedActionBanner, field_error, form_error},
    },
    types::{OrgSettings, format_utc},
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    let test = ServerAction::<TestReauth>::new();
    let escalation = ServerAction::<SaveEscalation>::new();
    let (signed, set_signed) = signal(0);
    let data = Resource::new(
        move || {
            (
                save.version().get(),
                escalation.version().get(),
                signed.get(),
            )
        },
        |_| get_settings(),
    );
    let chat_save = ServerAction::<SaveChatWebhook>::new();
    let chat_test = ServerAction::<TestChatWebhook>::new();
    let chat = Resource::new(
        move || chat_save.version().get(),
        |_| chat_webhook(String::new()),
    );
    view! {
        <Title text="Access-request settings"/>
        <h1 class="text-2xl font-bold">"Access-request settings"</h1>
        <SignedActionBanner on_done=Callback::new(move |_| set_signed.update(|n| *n += 1))/>
        <Loaded resource=data keep=true let:settings>
            <SettingsForm settings=settings.clone() save test/>
            <super::settings_escalation::EscalationSettings settings save=escalation/>
        </Loaded>
        <div class="card mt-6 max-w-[48rem]">
            <Loaded resource=chat keep=true let:view>
                <ChatWebhookForm view save=chat_save test=chat_test
                    about="Every new approval task, of every item, is posted to this channel with a link to the task. Items can add a channel of their own (their Approvals tab)."/>
            </Loaded>
        </div>
    }
}

/// One yes/no setting: labelled in plain words, with its name in the
/// configuration (and the API) as secondary text.
#[component]
fn Switch(
    name: &'static str,
    label: &'static str,
    /// The setting's name in `accessRequestConfig`.
    api_name: &'static str,
    explanation: &'static str,
    checked: bool,
    /// Why it cannot be turned on yet (the server refuses it too): shown, and
    /// the box disabled.
    #[prop(optional_no_strip)]
    locked: Option<&'static str>,
) -> impl IntoView {
    let hint = format!("{name}-hint");
    let name = format!("settings[{name}]");
    view! {
        <div class="field">
            <label class="flex items-center gap-2">
                <input type="checkbox" name=name value="on" checked=checked aria-describedby=hint.clone()
                    disabled=locked.is_some()/>
                {label}
            </label>
            <p id=hint class="hint">
                {locked.map(|reason| view! { <strong>{reason}</strong>" " })}
                {explanation}" "<ApiName name=api_name/>
            </p>
        </div>
    }
}

/// A setting's name in the configuration and the API, for those who automate.
#[component]
pub fn ApiName(name: &'static str) -> impl IntoView {
    view! { <span>"(API: "<code class="break-all">{name}</code>")"</span> }
}

#[component]
fn SettingsForm(
    settings: OrgSettings,
    save: ServerAction<SaveSettings>,
    test: ServerAction<TestReauth>,
) -> impl IntoView {
    let value = save.value();
    let c = settings.config.clone();
    let tested = settings
        .reauth_test_passed_at
        .map(|at| format!("Last passed {}.", format_utc(at)))
        .unwrap_or_else(|| "Not run yet.".into());
    // Turning it on needs a passed live test of the provider (`org::save`
    // refuses it too); once on, it can always be turned off (with a signature).
    let reauth_locked = match (c.reauthorization_enabled, settings.provider_configured) {
        (true, _) => None,
        (false, false) => {
            Some("Cannot be turned on: no identity provider is configured (OIDC_ISSUER_URL).")
        }
        (false, true) if settings.reauth_test_passed_at.is_none() => {
            Some("Cannot be turned on yet: run “Test re-authentication” above, and pass it, first.")
        }
        (false, true) => None,
    };
    view! {
        <section class="card mt-6" aria-labelledby="test-heading">
            <h2 id="test-heading" class="text-xl font-bold">"Test re-authentication"</h2>
            <p class="mt-2 max-w-[40rem]">
                "Before re-authenticated approvals can be turned on, prove that your identity provider "
                "makes people sign in again when asked (max_age=0, prompt=login): you will be sent to "
                "it and must sign in again. " {tested}
            </p>
            {(!settings.provider_configured).then(|| view! {
                <Alert message="No OpenID Connect provider is configured (OIDC_ISSUER_URL), so re-authentication is not possible." error=true/>
            })}
            <ActionForm action=test attr:class="mt-2">
                {form_error(test.value())}
                <button type="submit" class="button-secondary">"Test re-authentication"</button>
            </ActionForm>
        </section>
        <ActionForm action=save attr:class="card mt-6 flex flex-col gap-4 max-w-[48rem]">
            <input type="hidden" name="settings[version]" value=settings.version/>
            <Switch name="reauthorization_enabled" label="Re-authenticated approvals" api_name="reauthorizationEnabled"
                explanation="Approvals of items that require it are e-signed by signing in again at the identity provider. Turning it off asks you to sign in again first."
                checked=c.reauthorization_enabled locked=reauth_locked/>
            {field_error(value, "reauthorizationEnabled")}
            <Switch name="approvals_must_be_external" label="Approvals are made externally" api_name="approvalsMustBeExternal"
                explanation="An external system decides approvals through the JSON API; the inbox is read-only and the web app accepts new requests from admins only. Turning it off asks you to sign in again first."
                checked=c.approvals_must_be_external/>
            <Switch name="auto_approval_enabled" label="Automatic approval of one's own step" api_name="autoApprovalEnabled"
                explanation="When a requester is also a step's approver, that step is approved automatically and audited, except steps whose approval must be e-signed. Off: it goes to the item owner or the administrators. Turning it on asks you to sign in again first."
                checked=c.auto_approval_enabled/>
            <Switch name="allow_anyone_by_anyone" label="Anybody may request for anybody" api_name="allowRequestOnBehalfOfAnyoneByAnyone"
                explanation="Requesters may ask for access on behalf of any other person."
                checked=c.request_on_behalf_of_config.allow_request_on_behalf_of_anyone_by_anyone/>
            <Switch name="allow_employee_by_manager" label="Managers may request for their reports" api_name="allowRequestOnBehalfOfEmployeeByManager"
                explanation="A manager may ask for access for the people who report to them, as your directory names their manager."
                checked=c.request_on_behalf_of_config.allow_request_on_behalf_of_employee_by_manager/>
            <div class="field">
                <label for="window">"Default freshness window in minutes"</label>
                <input id="window" name="settings[default_reauth_window_minutes]" type="number" min="0" max="32767"
                    value=c.default_reauth_window_minutes aria-describedby="window-hint"/>
                <p id="window-hint" class="hint">"For items that set none. 0 = every approval signs again. Widening it asks you to sign in again first. "
                    <ApiName name="defaultReauthWindowMinutes"/></p>
                {field_error(value, "defaultReauthWindowMinutes")}
            </div>
            {form_error(value)}
            {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <Alert message="Settings saved."/> })}
            <div><button type="submit" class="button-primary">"Save settings"</button></div>
        </ActionForm>
    }
}
