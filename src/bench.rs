//! `countersign bench`: fills a scratch database with many access items and audit
//! records, then times the queries the catalog and the audit trail run on every
//! page view (first page, a deep keyset page, a search, a filter), and with a
//! directory of people, the people pickers' searches (`bench/people.rs`); prints
//! the figures. For `scripts/bench.sh`; never point it at a real database.

use std::time::{Duration, Instant};

use app::{
    db::{Db, DbError, audit as audit_store, items as item_store},
    types::{CurrentUser, ItemKind, Role},
};

mod people;

pub async fn run(
    database_url: &str,
    (items, records): (i64, i64),
    people: i64,
) -> Result<(), DbError> {
    let db = Db::connect(database_url).await?;
    db.migrate().await?;
    if items > 0 || records > 0 {
        items_and_audit(&db, items, records).await?;
    }
    if people > 0 {
        people::run(&db, people).await?;
    }
    Ok(())
}

async fn items_and_audit(db: &Db, items: i64, records: i64) -> Result<(), DbError> {
    let admin = seed_admin(db).await?;
    let started = Instant::now();
    seed_items(db, &admin.id, items).await?;
    seed_audit(db, records).await?;
    println!(
        "seeded {items} items and {records} audit records in {:.1} s ({:?})",
        started.elapsed().as_secs_f64(),
        db.backend()
    );

    let catalog = |filter: item_store::ItemFilter, after: Option<(String, String)>| {
        let db = db.clone();
        async move {
            let after = after
                .as_ref()
                .map(|(a, b)| item_store::After::Name(a.as_str(), b.as_str()));
            item_store::list(db.pool(), db.backend(), &filter, after, 21)
                .await
                .map(|rows| rows.len())
        }
    };
    let all = item_store::ItemFilter {
        catalog_only: true,
        ..Default::default()
    };
    report(
        "catalog: first page (20 of all)",
        time(|| catalog(all.clone(), None)).await?,
    );
    let deep = (format!("item {:07}", items * 9 / 10), String::new());
    report(
        "catalog: page at 90% (keyset)",
        time(|| catalog(all.clone(), Some(deep.clone()))).await?,
    );
    let kind = item_store::ItemFilter {
        kind: Some(ItemKind::Entitlement),
        catalog_only: true,
        ..Default::default()
    };
    report(
        "catalog: first page of one kind",
        time(|| catalog(kind.clone(), None)).await?,
    );
    let search = item_store::ItemFilter {
        search: Some("payroll 4242".into()),
        catalog_only: true,
        ..Default::default()
    };
    report(
        "catalog: search, a common and a rare word",
        time(|| catalog(search.clone(), None)).await?,
    );
    for (what, words) in [
        ("catalog: search, one rare word", "4242"),
        ("catalog: search, a word in every item", "payroll"),
        ("catalog: search, a word in no item", "nowhere"),
        ("catalog: search, two letters", "m 0"),
    ] {
        let search = item_store::ItemFilter {
            search: Some(words.into()),
            catalog_only: true,
            ..Default::default()
        };
        report(what, time(|| catalog(search.clone(), None)).await?);
    }

    let audit = |filter: audit_store::AuditFilter, before: Option<i64>| {
        let db = db.clone();
        async move {
            audit_store::list(db.pool(), &filter, before, 51)
                .await
                .map(|r| r.len())
        }
    };
    report(
        "audit: first page (50 newest)",
        time(|| audit(Default::default(), None)).await?,
    );
    report(
        "audit: page at 10% of the chain",
        time(|| audit(Default::default(), Some(records / 10))).await?,
    );
    let by_action = audit_store::AuditFilter {
        action: Some("approval.approved".into()),
        ..Default::default()
    };
    report(
        "audit: first page of one action",
        time(|| audit(by_action.clone(), None)).await?,
    );
    let by_day = audit_store::AuditFilter {
        from: Some(1_700_000_000 + records / 2),
        until: Some(1_700_000_000 + records / 2 + 86_400),
        ..Default::default()
    };
    report(
        "audit: first page of one day",
        time(|| audit(by_day.clone(), None)).await?,
    );
    Ok(())
}

fn report(what: &str, (median, worst, rows): (Duration, Duration, usize)) {
    println!(
        "{what:<40} median {:>7.2} ms   worst {:>7.2} ms   ({rows} rows)",
        median.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0
    );
}

/// Runs `query` 15 times; the median, the worst and the rows of the last run.
async fn time<F, Fut>(query: F) -> Result<(Duration, Duration, usize), DbError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<usize, DbError>>,
{
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..15 {
        let start = Instant::now();
        rows = query().await?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok((times[times.len() / 2], times[times.len() - 1], rows))
}

async fn seed_admin(db: &Db) -> Result<CurrentUser, DbError> {
    let row = app::db::users::upsert_at_sign_in(
        db,
        &app::db::users::SignInProfile {
            issuer: "https://bench.invalid",
            subject: "bench-admin",
            name: "Bench Admin",
            email: None,
            login_name: None,
            groups: &[],
        },
    )
    .await?;
    Ok(CurrentUser {
        id: row.id,
        name: row.name,
        email: None,
        roles: vec![Role::Admin],
        groups: None,
    })
}

async fn seed_items(db: &Db, owner: &str, n: i64) -> Result<(), DbError> {
    let kinds = ItemKind::ALL;
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut tx = db.write_tx().await?;
        let mut sql = String::from(
            "INSERT INTO access_items (id, kind, name, name_key, description, search_text, \
             owner_id, requestable, enabled, created_at, updated_at) VALUES ",
        );
        let mut values = Vec::new();
        for row in 0..chunk.len() {
            let b = row * 7;
            values.push(format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, 1, 1, 1700000000, 1700000000)",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7
            ));
        }
        sql.push_str(&values.join(", "));
        let mut query = sqlx::query(&sql);
        for i in chunk {
            let name = format!("Item {i:07}");
            let description = format!("payroll {} access for team {}", i % 10_000, i % 97);
            query = query
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(kinds[(*i as usize) % kinds.len()].as_str())
                .bind(name.clone())
                .bind(name.to_lowercase())
                .bind(description.clone())
                .bind(format!("{} {}", name.to_lowercase(), description))
                .bind(owner.to_owned());
        }
        query.execute(&mut *tx).await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn seed_audit(db: &Db, n: i64) -> Result<(), DbError> {
    const ACTIONS: [&str; 4] = [
        "request.created",
        "approval.approved",
        "item.updated",
        "assignment.granted",
    ];
    let hash = "0".repeat(64);
    for chunk in (1..=n).collect::<Vec<_>>().chunks(400) {
        let mut tx = db.write_tx().await?;
        let mut sql = String::from(
            "INSERT INTO audit_log (seq, at, actor_name, action, target_kind, target_id, \
             details_json, prev_hash, hash) VALUES ",
        );
        let values: Vec<String> = (0..chunk.len())
            .map(|row| {
                let b = row * 5;
                format!(
                    "(${}, ${}, 'Bench', ${}, 'request', ${}, '{{}}', ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 5
                )
            })
            .collect();
        sql.push_str(&values.join(", "));
        let mut query = sqlx::query(&sql);
        for seq in chunk {
            query = query
                .bind(*seq)
                .bind(1_700_000_000 + seq)
                .bind(ACTIONS[(*seq as usize) % ACTIONS.len()])
                .bind(format!("r{seq}"))
                .bind(hash.clone());
        }
        query.execute(&mut *tx).await?;
        tx.commit().await?;
    }
    Ok(())
}
