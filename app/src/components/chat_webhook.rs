//! The chat webhook form: the organisation's on the settings page, an item's
//! on its Approvals tab. The URL is write-only (it is the credential): the
//! form shows the host it posts to, and an empty field keeps it.

use leptos::{either::Either, prelude::*};

use crate::{
    api::chat::{SaveChatWebhook, TestChatWebhook},
    components::ui::{Alert, field_error, form_error},
    types::{AppError, ChatFormat, ChatWebhookView},
};

#[component]
pub fn ChatWebhookForm(
    view: ChatWebhookView,
    save: ServerAction<SaveChatWebhook>,
    test: ServerAction<TestChatWebhook>,
    /// What the channel is told of ("every item's new tasks", …).
    #[prop(into)]
    about: String,
    /// Part of a tab that has its own heading: the title is one level down.
    #[prop(optional)]
    subsection: bool,
) -> impl IntoView {
    let value = save.value();
    let item_id = view.item_id.clone().unwrap_or_default();
    let configured = view.host.clone();
    let has_webhook = configured.is_some();
    let test_item_id = item_id.clone();
    let status = match configured {
        Some(host) => format!(
            "New tasks are posted to {host}. The URL is stored sealed and never shown again; \
             leave the field empty to keep it."
        ),
        None => "No chat webhook: new tasks are not posted to a chat.".to_owned(),
    };
    let format = view.format;
    view! {
        <section aria-labelledby="chat-heading">
            {if subsection {
                Either::Left(view! { <h3 id="chat-heading" class="mt-6 text-lg font-bold">"Chat notifications"</h3> })
            } else {
                Either::Right(view! { <h2 id="chat-heading" class="text-xl font-bold">"Chat notifications"</h2> })
            }}
            <p class="mt-2 max-w-[40rem]">{about}</p>
            <p class="mt-2 max-w-[40rem]">{status}</p>
            {(!view.key_configured).then(|| view! {
                <Alert error=true message="COUNTERSIGN_SECRET_KEY is not set, so a webhook URL cannot be stored. Set it (e.g. `openssl rand -hex 32`) and restart."/>
            })}
            <ActionForm action=save attr:class="mt-2 flex flex-col gap-4 max-w-[48rem]">
                <input type="hidden" name="item_id" value=item_id.clone()/>
                <input type="hidden" name="version" value=view.version/>
                <div class="field">
                    <label for="chat-url">"Incoming-webhook URL"</label>
                    <input id="chat-url" name="url" type="url" autocomplete="off"
                        placeholder="https://hooks.slack.com/services/…" aria-describedby="chat-url-hint"/>
                    <p id="chat-url-hint" class="hint">
                        "From your chat: Slack's or Mattermost's incoming webhook, or a Teams workflow "
                        "\"When a Teams webhook request is received\". https only."
                    </p>
                    {field_error(value, "url")}
                </div>
                <div class="field">
                    <label for="chat-format">"Message format"</label>
                    <select id="chat-format" name="format">
                        {ChatFormat::ALL.iter().map(|f| view! {
                            <option value=f.as_str() selected=*f == format>{f.label()}</option>
                        }).collect_view()}
                    </select>
                    {field_error(value, "format")}
                </div>
                {has_webhook.then(|| view! {
                    <div class="field">
                        <label class="flex items-center gap-2">
                            <input type="checkbox" name="remove" value="on"/>
                            "Remove the webhook (stop posting new tasks)"
                        </label>
                    </div>
                })}
                {form_error(value)}
                {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <Alert message="Chat webhook saved."/> })}
                <div><button type="submit" class="button-primary">"Save chat webhook"</button></div>
            </ActionForm>
            {has_webhook.then(|| {
                let answer = test.value();
                view! {
                    <ActionForm action=test attr:class="mt-2">
                        <input type="hidden" name="item_id" value=test_item_id/>
                        <button type="submit" class="button-secondary">"Send a test message"</button>
                        {move || match answer.get() {
                            Some(Ok(said)) => Some(view! { <Alert message=said/> }.into_any()),
                            Some(Err(AppError::Field { message, .. })) => Some(view! { <Alert message error=true/> }.into_any()),
                            Some(Err(err)) => Some(view! { <Alert message=err.to_string() error=true/> }.into_any()),
                            None => None,
                        }}
                    </ActionForm>
                }
            })}
        </section>
    }
}
