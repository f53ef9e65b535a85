//! `/notifications`: which mail a person gets. Mail about work that waits for
//! them cannot be turned off; the rest can.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::notifications::{SaveNotifications, get_notification_settings},
    components::{
        loaded::Loaded,
        ui::{Alert, form_error},
    },
    types::NotificationSettings,
};

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let save = ServerAction::<SaveNotifications>::new();
    let data = Resource::new(
        move || save.version().get(),
        |_| get_notification_settings(),
    );
    view! {
        <Title text="Notifications"/>
        <h1 class="text-2xl font-bold">"Notifications"</h1>
        <Loaded resource=data keep=true let:settings>
            <NotificationsForm settings save/>
        </Loaded>
    }
}

#[component]
fn NotificationsForm(
    settings: NotificationSettings,
    save: ServerAction<SaveNotifications>,
) -> impl IntoView {
    let value = save.value();
    let address = settings
        .email
        .clone()
        .unwrap_or_else(|| "no address (your identity provider sends none)".into());
    view! {
        {(!settings.mail_enabled).then(|| view! {
            <Alert message="This installation sends no mail yet (no mail server is configured); your choices apply once it does."/>
        })}
        <p class="mt-2 max-w-[48rem] text-slate-700">
            "Mail goes to " <span class="font-semibold" data-testid="mail-address">{address}</span>
            ". You always get mail about work that waits for you: an approval task and, for "
            "administrators, a provisioning job that failed."
        </p>
        <ActionForm action=save attr:class="card mt-6 flex flex-col gap-4 max-w-[48rem]">
            <input type="hidden" name="choices[form]" value="notifications"/>
            <fieldset class="flex flex-col gap-4">
                <legend class="font-bold">"Send me mail about"</legend>
                {settings.topics.iter().map(|choice| {
                    let name = format!("choices[{}]", choice.topic.as_str());
                    let hint = format!("{}-hint", choice.topic.as_str());
                    view! {
                        <div class="field">
                            <label class="flex items-center gap-2">
                                <input type="checkbox" name=name value="on" checked=choice.on aria-describedby=hint.clone()/>
                                {choice.topic.label()}
                            </label>
                            <p id=hint class="hint">{choice.topic.description()}</p>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            {form_error(value)}
            {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <Alert message="Notification settings saved."/> })}
            <div><button type="submit" class="button-primary">"Save notification settings"</button></div>
        </ActionForm>
    }
}
