//! The people pickers at scale: a directory of `n` people (2 % of them left) in
//! 1,000 groups, then the pickers' searches through the domain functions the
//! server functions call, each run many times: p50 and p99.

use std::time::{Duration, Instant};

use app::{
    db::{Backend, Db, DbError},
    domain::{
        DomainError,
        identity::RoleMap,
        people::{self, PeopleQuery},
    },
    types::{CurrentUser, Role},
};

const FIRST: [&str; 24] = [
    "Maria", "James", "Aisha", "Wei", "Olga", "Pedro", "Fatima", "John", "Yuki", "Ingrid",
    "Carlos", "Priya", "Ahmed", "Sofia", "Liam", "Chloe", "Mateo", "Hana", "Noah", "Elena", "Kofi",
    "Ana", "Lars", "Mei",
];
const LAST: [&str; 30] = [
    "Garcia",
    "Smith",
    "Khan",
    "Zhang",
    "Petrova",
    "Santos",
    "Okafor",
    "Johnson",
    "Tanaka",
    "Larsen",
    "Gonzalez",
    "Patel",
    "Hassan",
    "Rossi",
    "Murphy",
    "Dubois",
    "Fernandez",
    "Kim",
    "Williams",
    "Popescu",
    "Mensah",
    "Silva",
    "Nielsen",
    "Wang",
    "Brown",
    "Lopez",
    "Novak",
    "Schmidt",
    "Ivanova",
    "Haddad",
];
const GROUPS: usize = 1_000;
/// Members of the approvers' group.
const APPROVERS: usize = 200;
const RUNS: usize = 400;

/// Seeds `n` people and prints the pickers' search times.
pub async fn run(db: &Db, n: i64) -> Result<(), DbError> {
    let started = Instant::now();
    seed_people(db, n).await?;
    if db.backend() == Backend::Postgres {
        // As autovacuum does within a minute of such a change.
        sqlx::query("VACUUM ANALYZE").execute(db.pool()).await?;
    }
    println!(
        "seeded {n} people in {GROUPS} groups in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let admin = CurrentUser {
        id: "bench-admin".into(),
        name: "Bench Admin".into(),
        email: None,
        roles: vec![Role::Requester, Role::Admin],
        groups: None,
    };
    let approvers = RoleMap {
        approver_groups: vec!["approvers".into()],
        ..Default::default()
    };
    let everyone = RoleMap {
        approver_groups: vec!["everyone".into()],
        ..Default::default()
    };
    let anyone = |text: &'static str| {
        let (db, admin) = (db.clone(), admin.clone());
        async move { people::anyone(&db, &admin, &parse(text)?).await }
    };
    let among = |text: &'static str, roles: &RoleMap| {
        let (db, admin, roles) = (db.clone(), admin.clone(), roles.clone());
        async move { people::approvers(&db, &admin, &parse(text)?, &roles).await }
    };
    report(
        "picker: first page, nothing typed",
        time(|| anyone("")).await?,
    );
    report(
        "picker: prefix of a surname (gonz)",
        time(|| anyone("gonz")).await?,
    );
    report(
        "picker: two words (maria lop)",
        time(|| anyone("maria lop")).await?,
    );
    report(
        "picker: part of an email (ez42)",
        time(|| anyone("ez42")).await?,
    );
    report("picker: no match (zqxv)", time(|| anyone("zqxv")).await?);
    report(
        &format!("approvers ({APPROVERS} in a group): pat"),
        time(|| among("pat", &approvers)).await?,
    );
    report(
        &format!("a group of all {n}: part of an email"),
        time(|| among("ez42", &everyone)).await?,
    );
    report(
        &format!("a group of all {n}: no match"),
        time(|| among("zqxv", &everyone)).await?,
    );
    Ok(())
}

fn parse(text: &str) -> Result<PeopleQuery, DomainError> {
    PeopleQuery::parse(text, None)
}

fn report(what: &str, (p50, p99, rows): (Duration, Duration, usize)) {
    println!(
        "{what:<44} p50 {:>6.2} ms   p99 {:>6.2} ms   ({rows} found)",
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0
    );
}

/// Runs `search` [`RUNS`] times after a few to warm up: p50, p99, rows found.
async fn time<F, Fut>(search: F) -> Result<(Duration, Duration, usize), DbError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<app::types::Page<app::types::PersonRef>, DomainError>>,
{
    let mut times = Vec::with_capacity(RUNS);
    let mut rows = 0;
    for run in 0..RUNS + 20 {
        let start = Instant::now();
        let page = search().await.map_err(|err| match err {
            DomainError::Db(err) => err,
            other => DbError::Query(sqlx::Error::Protocol(other.to_string())),
        })?;
        if run >= 20 {
            times.push(start.elapsed());
        }
        rows = page.rows.len();
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    Ok((at(0.50), at(0.99), rows))
}

/// The i-th person: name, user name (unique), and whether they left.
fn person(i: i64) -> (String, String, bool) {
    let first = FIRST[(i as usize * 7) % FIRST.len()];
    let last = LAST[(i as usize * 13 + i as usize / 97) % LAST.len()];
    let user_name = format!("{}.{}{i}", first.to_lowercase(), last.to_lowercase());
    (format!("{first} {last}"), user_name, i % 50 == 49)
}

async fn seed_people(db: &Db, n: i64) -> Result<(), DbError> {
    let ids: Vec<String> = (0..n).map(|i| format!("person-{i:06}")).collect();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut tx = db.write_tx().await?;
        let mut sql = String::from(
            "INSERT INTO users (id, issuer, subject, name, email, user_name, user_name_key, \
             disabled_at, source, created_at, last_login_at) VALUES ",
        );
        let values: Vec<String> = (0..chunk.len())
            .map(|row| {
                let b = row * 6;
                format!(
                    "(${}, '', ${}, ${}, ${}, ${}, ${}, ${}, 'scim', 1700000000, 1700000000)",
                    b + 1,
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                )
            })
            .collect();
        sql.push_str(&values.join(", "));
        let mut query = sqlx::query(&sql);
        for i in chunk {
            let (name, user_name, left) = person(*i);
            query = query
                .bind(ids[*i as usize].clone())
                .bind(name)
                .bind(format!("{user_name}@corp.example"))
                .bind(user_name.clone())
                .bind(user_name)
                .bind(left.then_some(1_700_000_000_i64));
        }
        query.execute(&mut *tx).await?;
        tx.commit().await?;
    }
    seed_groups(db, &ids).await
}

/// 1,000 groups of about 30 (each person in three), the approvers' group of
/// [`APPROVERS`], and one group of everyone.
async fn seed_groups(db: &Db, ids: &[String]) -> Result<(), DbError> {
    let mut tx = db.write_tx().await?;
    let mut names: Vec<String> = (0..GROUPS).map(|g| format!("team-{g:04}")).collect();
    names.extend(["approvers".to_owned(), "everyone".to_owned()]);
    for name in &names {
        sqlx::query(
            "INSERT INTO directory_groups (id, display_name, source, created_at, updated_at) \
             VALUES ($1, $1, 'scim', 0, 0)",
        )
        .bind(name)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    let mut members: Vec<(String, &str)> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        for k in [0, 331, 677] {
            members.push((names[(i * 7 + k) % GROUPS].clone(), id));
        }
        members.push(("everyone".into(), id));
        if i % (ids.len() / APPROVERS).max(1) == 0 {
            members.push(("approvers".into(), id));
        }
    }
    for chunk in members.chunks(1_000) {
        let mut tx = db.write_tx().await?;
        let values: Vec<String> = (0..chunk.len())
            .map(|row| format!("(${}, ${})", row * 2 + 1, row * 2 + 2))
            .collect();
        let sql = format!(
            "INSERT INTO group_members (group_id, user_id) VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (group, user) in chunk {
            query = query.bind(group.clone()).bind(user.to_string());
        }
        query.execute(&mut *tx).await?;
        tx.commit().await?;
    }
    Ok(())
}
