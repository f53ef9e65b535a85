//! The settings page's "Reminders and escalation" section: its own form, so
//! it saves only `approvalReminderAndEscalationConfig` and `digestThreshold`.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::settings::ApiName;

use crate::{
    api::escalation::SaveEscalation,
    components::{
        person_picker::PersonPicker,
        ui::{Alert, field_error, form_error},
    },
    types::{FallbackApproverRef, OrgSettings, PickFor},
};

#[component]
fn Number(
    /// The form field (`escalation[<name>]`) and the id stem.
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    /// The configuration's field name, which its errors carry.
    field: &'static str,
    value: i64,
    max: i64,
    save: ServerAction<SaveEscalation>,
) -> impl IntoView {
    let id = format!("escalation-{name}");
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id name=format!("escalation[{name}]") type="number" min="0" max=max
                value=value aria-describedby=hint_id.clone()/>
            <p id=hint_id class="hint">{hint}" "<ApiName name=field/></p>
            {field_error(save.value(), field)}
        </div>
    }
}

#[component]
pub fn EscalationSettings(
    settings: OrgSettings,
    save: ServerAction<SaveEscalation>,
) -> impl IntoView {
    let query = use_query_map();
    let from_query = move |name: &str| query.read_untracked().get(name);
    let number = move |name: &str, stored: i64| {
        from_query(&format!("escalation[{name}]"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(stored)
    };
    let rule = settings
        .config
        .approval_reminder_and_escalation_config
        .clone();
    let group = match &rule.fallback_approver_ref {
        Some(FallbackApproverRef::Group { name }) => name.clone(),
        _ => String::new(),
    };
    let group = from_query("escalation[fallback_group]").unwrap_or(group);
    let value = save.value();
    view! {
        <section class="card mt-6 max-w-[48rem]" aria-labelledby="escalation-heading">
            <h2 id="escalation-heading" class="text-xl font-bold">"Reminders and escalation"</h2>
            <p class="mt-2 text-slate-700">
                "Nothing waits forever: an approval task that waits is reminded, then handed to the "
                "fallback approver (approvalReminderAndEscalationConfig). Days count from when the task opened; 0 turns a part off."
            </p>
            <ActionForm action=save attr:class="mt-4 flex flex-col gap-4">
                <input type="hidden" name="escalation[version]" value=settings.version/>
                <Number name="days_between_reminders" label="Days between reminders"
                    hint="The first reminder after this many days, the next as many days later. 0 = no reminders."
                    field="daysBetweenReminders" value=number("days_between_reminders", rule.days_between_reminders) max=365 save/>
                <Number name="max_reminders" label="Most reminders per task"
                    hint="0 = no reminders."
                    field="maxReminders" value=number("max_reminders", rule.max_reminders) max=30 save/>
                <Number name="days_until_escalation" label="Days until escalation"
                    hint="After this many days the task is handed to the fallback approver. 0 = never."
                    field="daysUntilEscalation" value=number("days_until_escalation", rule.days_until_escalation) max=365 save/>
                <fieldset class="flex flex-col gap-2">
                    <legend class="font-semibold">"Fallback approver (fallbackApproverRef): a person or a group"</legend>
                    <PersonPicker name="escalation[fallback_person]" label="Fallback person" id="fallback-person"
                        purpose=PickFor::Approver chosen=settings.fallback_person.clone() nobody="Nobody"
                        search_action="/admin/settings" search_param="fallback_q"
                        searched=from_query("fallback_q")
                        choice=from_query("escalation[fallback_person]")/>
                    <div class="field">
                        <label for="escalation-fallback-group">"Fallback group"</label>
                        <input id="escalation-fallback-group" name="escalation[fallback_group]" type="text"
                            maxlength="200" value=group aria-describedby="escalation-fallback-group-hint"/>
                        <p id="escalation-fallback-group-hint" class="hint">
                            "An approvers' group of your identity provider or directory; leave empty when a person is chosen."
                        </p>
                    </div>
                    {field_error(value, "fallbackApproverRef")}
                </fieldset>
                <Number name="digest_threshold" label="Daily digest above this many pending tasks"
                    hint="An approver with more pending tasks than this gets one mail a day listing them instead of a mail per new task. 0 = never."
                    field="digestThreshold" value=number("digest_threshold", settings.config.digest_threshold) max=1000 save/>
                {form_error(value)}
                {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <Alert message="Reminders and escalation saved."/> })}
                <div><button type="submit" class="button-primary">"Save reminders and escalation"</button></div>
            </ActionForm>
        </section>
    }
}
