//! `/audit` and `/audit/{seq}`: the audit trail for admins and auditors.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::audit::{audit_list, get_audit_record},
    components::{
        loaded::{Loaded, LoadedList},
        person_picker::PersonPicker,
        ui::Pager,
    },
    query::urlencode,
    types::{AuditRecord, PickFor, format_utc},
};

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let before = move || {
        query
            .read()
            .get("after")
            .and_then(|a| a.parse::<i64>().ok())
    };
    let page = Resource::new(
        move || {
            (
                (get("action"), get("item"), get("request")),
                (get("actor"), get("from"), get("until")),
                before(),
            )
        },
        |((a, i, r), (who, from, until), b)| audit_list(a, i, r, who, from, until, b),
    );
    let actor = Resource::new(move || get("actor"), crate::api::people::audit_actor);
    let filter_query = move || {
        ["action", "item", "request", "actor", "from", "until"]
            .iter()
            .map(|k| format!("{k}={}", urlencode(&get(k))))
            .collect::<Vec<_>>()
            .join("&")
    };
    let from_ts = move || {
        crate::types::parse_date(&get("from"))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let until_ts = move || {
        crate::types::parse_date(&get("until"))
            .map(|d| (d + 86_400).to_string())
            .unwrap_or_default()
    };
    let export = move |ext: &str| {
        format!(
            "/audit/export.{ext}?action={}&item={}&request={}&actor={}&from={}&until={}",
            urlencode(&get("action")),
            urlencode(&get("item")),
            urlencode(&get("request")),
            urlencode(&get("actor")),
            from_ts(),
            until_ts()
        )
    };
    view! {
        <Title text="Audit trail"/>
        <h1 class="text-2xl font-bold">"Audit trail"</h1>
        <p class="mt-2 text-slate-700">
            "Every change, newest first. Each record is chained to the previous one by SHA-256; "
            <code>"countersign audit verify"</code>" checks the chain and every e-signature. "
            // Served by the server, not a page: `rel="external"` keeps the
            // client router from catching them (a full load, a download).
            <a class="link" href=move || export("csv") rel="external" download>"Export CSV"</a>" · "
            <a class="link" href=move || export("json") rel="external" download>"Export JSON"</a>
            " (the current filter)"
        </p>
        <form method="get" action="/audit" class="mt-4 flex flex-wrap items-end gap-4" role="search">
            <div class="field">
                <label for="action">"Action"</label>
                <input id="action" name="action" type="text" prop:value=move || get("action") placeholder="approval.approved"/>
            </div>
            <div class="field">
                <label for="request">"Request id"</label>
                <input id="request" name="request" type="text" prop:value=move || get("request")/>
            </div>
            <div class="field">
                <label for="item">"Item id"</label>
                <input id="item" name="item" type="text" prop:value=move || get("item")/>
            </div>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let chosen = actor.await.ok().flatten();
                    let searched = query.read_untracked().get("actor_q");
                    let choice = searched.as_ref().map(|_| get("actor"));
                    view! {
                        <PersonPicker name="actor" label="Actor" id="actor" purpose=PickFor::AuditActor
                            chosen nobody="Anybody" search_action="/audit" search_param="actor_q"
                            searched choice/>
                    }
                })}
            </Suspense>
            <div class="field">
                <label for="from">"From (UTC date)"</label>
                <input id="from" name="from" type="date" prop:value=move || get("from")/>
            </div>
            <div class="field">
                <label for="until">"Until (UTC date)"</label>
                <input id="until" name="until" type="date" prop:value=move || get("until")/>
            </div>
            <button type="submit" class="button-primary">"Filter"</button>
        </form>
        <LoadedList resource=page empty=|| view! { <p class="mt-6">"No records match."</p> } let:page>
            // On a phone the table scrolls here, never the page.
            <div class="table-scroll mt-6" tabindex="0" role="region" aria-label="Audit records, newest first">
                <table class="data-table">
                    <caption class="sr-only">"Audit records, newest first"</caption>
                    <thead><tr>
                        <th scope="col">"#"</th><th scope="col">"Time (UTC)"</th><th scope="col">"Actor"</th>
                        <th scope="col">"Action"</th><th scope="col">"Target"</th><th scope="col">"E-signed"</th>
                    </tr></thead>
                    <tbody>
                        {page.rows.into_iter().map(|record| view! { <AuditRow record/> }).collect_view()}
                    </tbody>
                </table>
            </div>
            <Pager next=page.next base=format!("/audit?{}", filter_query())/>
        </LoadedList>
    }
}

#[component]
pub fn AuditRecordPage() -> impl IntoView {
    let params = use_params_map();
    let seq = move || {
        params
            .read()
            .get("seq")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let record = Resource::new(seq, get_audit_record);
    view! {
        <Title text="Audit record"/>
        <p><a class="link" href="/audit">"← Audit trail"</a></p>
        <Loaded resource=record let:record>
            <RecordDetail record/>
        </Loaded>
    }
}

#[component]
fn AuditRow(record: AuditRecord) -> impl IntoView {
    let r = record;
    let signed = r.details["e_signature"].is_object();
    view! {
        <tr>
            <td><a class="link" href=format!("/audit/{}", r.seq)>{r.seq}</a></td>
            <td>{format_utc(r.at)}</td>
            <td>{r.actor_name}</td>
            <td>{r.action}</td>
            <td>{format!("{} {}", r.target_kind, r.target_id)}</td>
            <td>{if signed { "Yes" } else { "" }}</td>
        </tr>
    }
}

#[component]
fn RecordDetail(record: AuditRecord) -> impl IntoView {
    let r = record;
    let signature = r.details["e_signature"].clone();
    let claims = signature["id_token"].as_str().and_then(decode_claims);
    view! {
        <h1 class="mt-2 text-2xl font-bold">{format!("Record {}: {}", r.seq, r.action)}</h1>
        <dl class="facts mt-4">
            <dt>"Time (UTC)"</dt><dd>{format_utc(r.at)}</dd>
            <dt>"Actor"</dt><dd>{r.actor_name.clone()} " " {r.actor_issuer.clone().zip(r.actor_subject.clone()).map(|(i, s)| format!("({s} at {i})"))}</dd>
            <dt>"Target"</dt><dd>{format!("{} {}", r.target_kind, r.target_id)}</dd>
            <dt>"Hash"</dt><dd><code class="break-all">{r.hash.clone()}</code></dd>
            <dt>"Previous hash"</dt><dd><code class="break-all">{r.prev_hash.clone()}</code></dd>
        </dl>
        {signature.is_object().then(|| view! {
            <section class="card mt-6" aria-labelledby="sig-heading">
                <h2 id="sig-heading" class="text-xl font-bold">"Electronic signature"</h2>
                <dl class="facts mt-2">
                    <dt>"Signed by"</dt><dd>{signature["signer_name"].as_str().unwrap_or_default().to_owned()}</dd>
                    <dt>"Meaning"</dt><dd>{signature["meaning"].as_str().unwrap_or_default().to_owned()}</dd>
                    <dt>"Signed at"</dt><dd>{signature["signed_at"].as_i64().map(format_utc)}</dd>
                    <dt>"Re-authenticated at"</dt><dd>{signature["auth_time"].as_i64().map(format_utc)}</dd>
                    <dt>"Identity provider"</dt><dd>{signature["signer_issuer"].as_str().unwrap_or_default().to_owned()}</dd>
                    <dt>"Signing key"</dt><dd>{signature["kid"].as_str().unwrap_or("—").to_owned()}</dd>
                </dl>
                <h3 class="mt-4 font-bold">"ID token claims"</h3>
                <pre class="code-block">{claims.unwrap_or_default()}</pre>
            </section>
        })}
        <h2 class="mt-6 text-xl font-bold">"Details"</h2>
        <pre class="code-block">{serde_json::to_string_pretty(&r.details).unwrap_or_default()}</pre>
    }
}

/// The payload of a JWT, pretty-printed (display only: the CLI verifies).
fn decode_claims(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64url_decode(payload)?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    serde_json::to_string_pretty(&value).ok()
}

fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in input.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            b'=' => continue,
            _ => return None,
        } as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}
