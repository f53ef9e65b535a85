//! The one way to choose a person (an item's owner, a named approver, whom to
//! hand a task to, whom to request access for, an audit actor), from any
//! number of people: the server searches, the browser never lists everyone.
//!
//! Without WebAssembly (and before it arrives) it is a search field whose
//! Search button sends the whole form back to its page (`GET`, so the rest of
//! what was typed comes back too), which answers with the matching people as
//! radio buttons named like the field. Once hydrated it is a combobox: typing
//! searches as you go (debounced, through `find_people`), the matches are a
//! listbox chosen with the mouse or the arrow keys and Enter, and a hidden field
//! carries the chosen person's id. Either way the form posts only an id, and the
//! server checks again that this person may be chosen.

use leptos::{ev::KeyboardEvent, html, prelude::*};

use crate::{
    api::people::find_people,
    types::{AppError, Page, PersonRef, PickFor},
};

/// How long typing must pause before a search runs.
const DEBOUNCE_MS: u64 = 200;

#[component]
pub fn PersonPicker(
    /// The form field that carries the chosen person's id (`item[owner_id]`).
    name: &'static str,
    /// What the person is chosen as, the field's label ("Owner").
    label: &'static str,
    /// Unique on the page: every element id of the picker starts with it.
    #[prop(into)]
    id: String,
    purpose: PickFor,
    /// The task a reassignment hands over.
    #[prop(optional, into)]
    task_id: String,
    /// The person chosen so far.
    #[prop(optional_no_strip)]
    chosen: Option<PersonRef>,
    /// What choosing nobody means ("No owner", "Myself"), where that is allowed.
    #[prop(optional)]
    nobody: Option<&'static str>,
    /// Where the Search button sends the form without WebAssembly: the page's
    /// own path (the form's other fields come back in its query).
    #[prop(into)]
    search_action: String,
    /// The query parameter that carries the search text there.
    search_param: &'static str,
    /// The search this page answers (`search_param` of its URL), if any.
    #[prop(optional_no_strip)]
    searched: Option<String>,
    /// The id chosen in the form that asked that search (`name` of its URL).
    #[prop(optional_no_strip)]
    choice: Option<String>,
    /// Where the page reads the choice as it is made (hydrated), when it needs
    /// it before the form is sent.
    #[prop(optional)]
    selection: Option<RwSignal<Option<PersonRef>>>,
) -> impl IntoView {
    let ids = PickerIds::new(&id);
    let hydrated = RwSignal::new(false);
    let picked = choice
        .clone()
        .or_else(|| chosen.as_ref().map(|p| p.id.clone()))
        .unwrap_or_default();
    let chosen = match selection {
        Some(signal) => {
            signal.set(chosen);
            signal
        }
        None => RwSignal::new(chosen),
    };
    let task_id = StoredValue::new(task_id);
    let initial_text = searched.clone().unwrap_or_default();
    let text = RwSignal::new(initial_text.clone());
    let found = Resource::new(
        move || searched.clone(),
        move |query| async move {
            match query {
                Some(query) => find_people(purpose, task_id.get_value(), query, None)
                    .await
                    .map(Some),
                None => Ok(None),
            }
        },
    );
    let input_ref = NodeRef::<html::Input>::new();
    let options_ref = NodeRef::<html::Fieldset>::new();
    // Hydrated: what was typed or ticked before the WebAssembly arrived stays.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        keep_early_input(input_ref, options_ref, text, chosen, found);
        hydrated.set(true);
    });
    let live = LiveSearch::new(purpose, task_id);
    let choose = move |person: PersonRef| {
        if let Some(input) = input_ref.get_untracked() {
            input.set_value(&person.name);
        }
        text.set(person.name.clone());
        chosen.set(Some(person));
        live.close();
    };
    let on_key = move |ev: KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" | "ArrowUp" => {
            ev.prevent_default();
            live.step(ev.key() == "ArrowDown", text.get_untracked());
        }
        "Enter" => {
            ev.prevent_default();
            match live.active_person() {
                Some(person) => choose(person),
                None => live.search(text.get_untracked(), 0),
            }
        }
        "Escape" if live.open.get_untracked() => {
            ev.prevent_default();
            live.close();
        }
        _ => {}
    };
    let list_id = ids.list.clone();
    let option_id = ids.option.clone();
    let list_ids = ids.clone();
    let described_by = {
        let (hint, chosen_id) = (ids.hint.clone(), ids.chosen.clone());
        move || match hydrated.get() {
            true => format!("{hint} {chosen_id}"),
            false => hint.clone(),
        }
    };
    let controls = view! {
        <div class="picker-search">
            <input id=ids.input.clone() node_ref=input_ref type="search" autocomplete="off"
                maxlength="200" value=initial_text
                aria-describedby=described_by
                name=move || (!hydrated.get()).then_some(search_param)
                role=move || hydrated.get().then_some("combobox")
                aria-autocomplete=move || hydrated.get().then_some("list")
                aria-expanded=move || hydrated.get().then(|| live.open.get().to_string())
                aria-controls=move || hydrated.get().then(|| list_id.clone())
                aria-activedescendant=move || {
                    live.active.get().filter(|_| live.open.get()).map(|i| format!("{option_id}{i}"))
                }
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    text.set(value.clone());
                    live.search(value, DEBOUNCE_MS);
                }
                on:focus=move |_| live.first_look(text.get_untracked())
                on:blur=move |_| live.close()
                on:keydown=on_key/>
            {move || if hydrated.get() {
                view! { <Listbox ids=list_ids.clone() label live choose=Callback::new(choose)/> }.into_any()
            } else {
                view! {
                    <button type="submit" class="button-secondary" formmethod="get"
                        formaction=search_action.clone() formnovalidate>"Search"</button>
                }.into_any()
            }}
        </div>
    };
    let picker_ids = ids.clone();
    view! {
        <div class="field picker">
            <label for=ids.input.clone()>{label}</label>
            {controls}
            <p id=ids.hint.clone() class="hint">"Type part of a name, user name or email."</p>
            {move || if hydrated.get() {
                view! {
                    <SearchStatus live/>
                    <ChosenPerson name label chosen nobody ids=picker_ids.clone()/>
                }.into_any()
            } else {
                view! {
                    <FoundOptions name label found nobody picked=picked.clone()
                        chosen=chosen.get_untracked() node_ref=options_ref/>
                }.into_any()
            }}
        </div>
    }
}

/// The element ids of one picker.
#[derive(Clone)]
struct PickerIds {
    input: String,
    hint: String,
    list: String,
    /// Prefix of each option's id (followed by its index).
    option: String,
    chosen: String,
}

impl PickerIds {
    fn new(id: &str) -> PickerIds {
        PickerIds {
            input: format!("{id}-search"),
            hint: format!("{id}-hint"),
            list: format!("{id}-list"),
            option: format!("{id}-option-"),
            chosen: format!("{id}-chosen"),
        }
    }
}

/// The search as you type: the latest answer, whether its list is open, and
/// which option the arrow keys are on. Only the newest search may answer.
#[derive(Clone, Copy)]
struct LiveSearch {
    purpose: PickFor,
    task_id: StoredValue<String>,
    answer: RwSignal<Option<Result<Page<PersonRef>, AppError>>>,
    open: RwSignal<bool>,
    active: RwSignal<Option<usize>>,
    generation: StoredValue<u64>,
}

impl LiveSearch {
    fn new(purpose: PickFor, task_id: StoredValue<String>) -> LiveSearch {
        LiveSearch {
            purpose,
            task_id,
            answer: RwSignal::new(None),
            open: RwSignal::new(false),
            active: RwSignal::new(None),
            generation: StoredValue::new(0),
        }
    }

    /// The people of the latest answer (tracked: for the view).
    fn people(&self) -> Vec<PersonRef> {
        match self.answer.get() {
            Some(Ok(page)) => page.rows,
            _ => Vec::new(),
        }
    }

    /// The same, read in an event handler.
    fn people_now(&self) -> Vec<PersonRef> {
        match self.answer.get_untracked() {
            Some(Ok(page)) => page.rows,
            _ => Vec::new(),
        }
    }

    /// Searches for `text` after `delay_ms` of quiet.
    fn search(self, text: String, delay_ms: u64) {
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        // The picker may be gone when the timer fires or the answer comes (the
        // form was sent, the page left): then nothing is done.
        let current = move || self.generation.try_get_value() == Some(generation);
        let run = move || {
            let Some(task_id) = self.task_id.try_get_value().filter(|_| current()) else {
                return;
            };
            leptos::task::spawn_local(async move {
                let answer = find_people(self.purpose, task_id, text, None).await;
                if current() {
                    self.answer.try_set(Some(answer));
                    self.active.try_set(None);
                    self.open.try_set(true);
                }
            });
        };
        if delay_ms == 0 {
            run();
        } else {
            set_timeout(run, std::time::Duration::from_millis(delay_ms));
        }
    }

    /// On focus: the first page, when nothing was searched yet.
    fn first_look(self, text: String) {
        if self.answer.get_untracked().is_none() {
            self.search(text, 0);
        } else {
            self.open.set(true);
        }
    }

    /// Arrow keys: opens the list, moves through it (wrapping).
    fn step(self, down: bool, text: String) {
        let count = self.people_now().len();
        if self.answer.get_untracked().is_none() {
            self.search(text, 0);
            return;
        }
        self.open.set(true);
        if count == 0 {
            return;
        }
        let next = match (self.active.get_untracked(), down) {
            (None, true) => 0,
            (None, false) => count - 1,
            (Some(i), true) => (i + 1) % count,
            (Some(i), false) => (i + count - 1) % count,
        };
        self.active.set(Some(next));
    }

    fn active_person(&self) -> Option<PersonRef> {
        let i = self
            .active
            .get_untracked()
            .filter(|_| self.open.get_untracked())?;
        self.people_now().into_iter().nth(i)
    }

    /// (Also on blur, which may come as the picker leaves the page.) A search
    /// still on its way is dropped: its late answer must not reopen the list
    /// over a choice just made.
    fn close(self) {
        if let Some(generation) = self.generation.try_get_value() {
            self.generation.try_set_value(generation + 1);
        }
        self.open.try_set(false);
        self.active.try_set(None);
    }
}

/// What the latest search found, in words (hydrated; read out as it changes).
#[component]
fn SearchStatus(live: LiveSearch) -> impl IntoView {
    let status = move || match live.answer.get() {
        Some(Ok(page)) if page.rows.is_empty() => {
            Some("Nobody matches: try another part of the name.".to_owned())
        }
        Some(Ok(page)) if page.next.is_some() => Some(format!(
            "The first {} matches: type more to narrow them.",
            page.rows.len()
        )),
        Some(Ok(page)) => Some(format!("{} found.", page.rows.len())),
        Some(Err(err)) => Some(err.to_string()),
        None => None,
    };
    view! { <p class="hint" role="status">{move || live.open.get().then(status).flatten()}</p> }
}

/// The matches as a listbox under the search field (hydrated).
#[component]
fn Listbox(
    ids: PickerIds,
    label: &'static str,
    live: LiveSearch,
    choose: Callback<PersonRef>,
) -> impl IntoView {
    let option_id = ids.option.clone();
    view! {
        <ul id=ids.list.clone() role="listbox" class="picker-list"
            aria-label=format!("{label}: matching people")
            hidden=move || !live.open.get() || live.people().is_empty()>
            {move || live.people().into_iter().enumerate().map(|(i, person)| {
                let selected = move || (live.active.get() == Some(i)).to_string();
                let email = person.email.clone().unwrap_or_default();
                let name = person.name.clone();
                view! {
                    <li id=format!("{option_id}{i}") role="option" class="picker-option"
                        aria-selected=selected
                        on:mousedown=|ev| ev.prevent_default()
                        on:click=move |_| choose.run(person.clone())>
                        <span class="picker-name">{name}</span>
                        " "
                        <span class="picker-email">{email}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Who is chosen, with the hidden field the form posts (hydrated).
#[component]
fn ChosenPerson(
    name: &'static str,
    label: &'static str,
    chosen: RwSignal<Option<PersonRef>>,
    nobody: Option<&'static str>,
    ids: PickerIds,
) -> impl IntoView {
    let value = move || chosen.get().map(|p| p.id).unwrap_or_default();
    let describe = move || match chosen.get() {
        Some(person) => format!("{}{}", person.name, email_suffix(&person)),
        None => nobody
            .unwrap_or("Nobody yet: search and choose a person.")
            .to_owned(),
    };
    view! {
        <input type="hidden" name=name value=value/>
        <p id=ids.chosen class="picker-chosen" aria-live="polite">
            <span class="font-semibold">{format!("{label}: ")}</span>{describe}
            {move || (nobody.is_some() && chosen.get().is_some()).then(|| view! {
                " "
                <button type="button" class="link" aria-label=format!("Clear {}", label.to_lowercase())
                    on:click=move |_| chosen.set(None)>"Clear"</button>
            })}
        </p>
    }
}

fn email_suffix(person: &PersonRef) -> String {
    person
        .email
        .as_deref()
        .map(|e| format!(" ({e})"))
        .unwrap_or_default()
}

/// Without WebAssembly: the person chosen so far, "nobody" where allowed, and
/// the people the search found, as radio buttons named like the field.
#[component]
fn FoundOptions(
    name: &'static str,
    label: &'static str,
    found: Resource<Result<Option<Page<PersonRef>>, AppError>>,
    nobody: Option<&'static str>,
    /// The id checked.
    picked: String,
    chosen: Option<PersonRef>,
    node_ref: NodeRef<html::Fieldset>,
) -> impl IntoView {
    let radio = move |value: String, text: String| {
        let checked = value == picked;
        view! {
            <label class="picker-radio">
                <input type="radio" name=name value=value checked=checked/>
                <span>{text}</span>
            </label>
        }
    };
    view! {
        <Suspense fallback=|| view! { <p class="hint">"Searching…"</p> }>
            {move || {
                let radio = radio.clone();
                let chosen = chosen.clone();
                Suspend::new(async move {
                    let answer = found.await;
                    let mut options = Vec::new();
                    if let Some(text) = nobody {
                        options.push(radio(String::new(), text.to_owned()));
                    }
                    if let Some(person) = &chosen {
                        options.push(radio(person.id.clone(), format!("{}{}", person.name, email_suffix(person))));
                    }
                    let (message, page) = match answer {
                        Ok(Some(page)) if page.rows.is_empty() => (Some("Nobody matches: try another part of the name.".to_owned()), None),
                        Ok(Some(page)) => ((page.next.is_some()).then(|| "More people match: search for more of the name.".to_owned()), Some(page)),
                        Ok(None) => (None, None),
                        Err(err) => (Some(err.to_string()), None),
                    };
                    for person in page.map(|p| p.rows).unwrap_or_default() {
                        if chosen.as_ref().is_some_and(|c| c.id == person.id) {
                            continue;
                        }
                        options.push(radio(person.id.clone(), format!("{}{}", person.name, email_suffix(&person))));
                    }
                    let show = !options.is_empty();
                    view! {
                        {show.then(|| view! {
                            <fieldset class="picker-options" node_ref=node_ref>
                                <legend class="hint">{format!("{label}: choose one")}</legend>
                                {options.into_iter().collect_view()}
                            </fieldset>
                        })}
                        {message.map(|m| view! { <p class="hint" role="status">{m}</p> })}
                    }
                })
            }}
        </Suspense>
    }
}

/// At hydration: the text typed and the radio button ticked before the
/// WebAssembly arrived become the picker's state.
#[cfg(feature = "hydrate")]
fn keep_early_input(
    input_ref: NodeRef<html::Input>,
    options_ref: NodeRef<html::Fieldset>,
    text: RwSignal<String>,
    chosen: RwSignal<Option<PersonRef>>,
    found: Resource<Result<Option<Page<PersonRef>>, AppError>>,
) {
    use wasm_bindgen::JsCast;
    if let Some(input) = input_ref.get_untracked() {
        text.set(input.value());
    }
    let Some(options) = options_ref.get_untracked() else {
        return;
    };
    let Ok(Some(checked)) = options.query_selector("input[type=radio]:checked") else {
        return;
    };
    let Ok(checked) = checked.dyn_into::<leptos::web_sys::HtmlInputElement>() else {
        return;
    };
    let id = checked.value();
    if id.is_empty() {
        chosen.set(None);
        return;
    }
    if chosen.get_untracked().is_some_and(|p| p.id == id) {
        return;
    }
    let found = match found.get_untracked() {
        Some(Ok(Some(page))) => page.rows,
        _ => Vec::new(),
    };
    if let Some(person) = found.into_iter().find(|p| p.id == id) {
        chosen.set(Some(person));
    }
}
