//! `countersign bench-outbox`: provisioning through the outbox to a webhook
//! receiver on loopback (which checks every signature), on a scratch database.
//! For `scripts/bench.sh`; never point it at a real database.
//!
//! - **Throughput**: `jobs` approvals are made with no worker running, then 1
//!   (and then 2) workers, each with a pool of its own as a replica has, run
//!   them: jobs per second until every job is done.
//! - **Latency**: with the workers looping every `interval_ms` as the server
//!   does, approvals are made one at a time; p50/p99 from the approval's commit
//!   to the receiver's 2xx.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::{
    db::{Db, outbox, users},
    domain::{
        approvals::{self, Caller, Channel, DecideCommand},
        identity::RoleMap,
        items::{self, ItemInput},
        now,
        outbox::{RetryPolicy, Worker},
        provisioning::{
            Provisioning, ProvisioningHandler,
            sealing::SecretKey,
            target::{self, TargetInput},
            webhook,
        },
        requests::{AccessRequestInput, request_access},
        routing::Fallback,
    },
    types::{Approver, CurrentUser, Decision, JobKind, Role},
};
use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post};

const SECRET: &str = "bench-shared-secret-0123456789abcdef";

/// When each event reached the receiver.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Db(#[from] app::db::DbError),
    #[error(transparent)]
    Domain(#[from] app::domain::DomainError),
    #[error("{0}")]
    Setup(String),
}

async fn receive(
    State(arrivals): State<Arrivals>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::http::StatusCode {
    let header = headers
        .get(webhook::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if webhook::verify(SECRET.as_bytes(), header, &body, now(), 300).is_err() {
        return axum::http::StatusCode::UNAUTHORIZED;
    }
    let id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    if let Ok(mut seen) = arrivals.lock() {
        seen.entry(id).or_insert_with(Instant::now);
    }
    axum::http::StatusCode::NO_CONTENT
}

async fn start_receiver(arrivals: Arrivals) -> Result<String, BenchError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(arrivals);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}/hook"))
}

struct Setup {
    bob: CurrentUser,
    item: String,
    fallback: Fallback,
    people: Vec<CurrentUser>,
    runtime: Provisioning,
}

async fn person(
    db: &Db,
    login: &str,
    groups: &[String],
    roles: &[Role],
) -> Result<CurrentUser, BenchError> {
    let row = users::upsert_at_sign_in(
        db,
        &users::SignInProfile {
            issuer: "https://bench.invalid",
            subject: login,
            login_name: None,
            name: login,
            email: None,
            groups,
        },
    )
    .await?;
    Ok(CurrentUser {
        id: row.id,
        name: row.name,
        email: None,
        roles: [&[Role::Requester], roles].concat(),
        groups: None,
    })
}

async fn setup(db: &Db, url: &str, people: usize) -> Result<Setup, BenchError> {
    let admin = person(db, "admin", &["admins".into()], &[Role::Admin]).await?;
    let bob = person(db, "bob", &["approvers".into()], &[Role::Approver]).await?;
    let item = items::create(
        db,
        &admin,
        &ItemInput {
            kind: "application".into(),
            name: format!("Bench {}", app::domain::new_id()),
            description: String::new(),
            owner_id: admin.id.clone(),
            requestable: true,
            enabled: true,
        },
    )
    .await?;
    let fallback = Fallback {
        admin_group: Some("admins".into()),
        roles: RoleMap {
            admin_groups: vec!["admins".into()],
            approver_groups: vec!["approvers".into()],
            auditor_groups: vec![],
        },
    };
    let steps = [Approver::User {
        user_id: bob.id.clone(),
    }];
    items::set_steps(
        db,
        (&admin, "bench"),
        (&item.id, item.version),
        (&steps, &fallback.roles),
        None,
    )
    .await?;
    let key = SecretKey::parse(&"42".repeat(32)).map_err(|e| BenchError::Setup(e.to_string()))?;
    let runtime = Provisioning::new(Some(key)).map_err(|e| BenchError::Setup(e.to_string()))?;
    let input = TargetInput {
        connector: "webhook".into(),
        url: url.into(),
        secret: SECRET.into(),
        fulfillers_group: String::new(),
        ..Default::default()
    };
    let change = target::check(&runtime, &item.id, &input)?;
    target::save(
        db,
        &runtime,
        (&admin, "bench"),
        (&item.id, 0),
        &change,
        None,
    )
    .await?;
    let mut requesters = Vec::with_capacity(people);
    for n in 0..people {
        requesters.push(person(db, &format!("person-{n:06}"), &[], &[]).await?);
    }
    Ok(Setup {
        bob,
        item: item.id,
        fallback,
        people: requesters,
        runtime,
    })
}

/// `who` asks for the item; bob approves. Returns the approval's job id.
async fn approve(db: &Db, s: &Setup, who: &CurrentUser) -> Result<String, BenchError> {
    let input = AccessRequestInput {
        item_id: s.item.clone(),
        justification: "benchmark".into(),
        ..Default::default()
    };
    let request = request_access(db, who, &input, &s.fallback).await?;
    let task = app::db::tasks::of_request(db.pool(), &request)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| BenchError::Setup("no task".into()))?
        .id;
    let caller = Caller {
        user: &s.bob,
        session_key: "bench",
        channel: Channel::Api,
    };
    let command = DecideCommand {
        tasks: &[task],
        decision: Decision::Approve,
        comment: "",
        proof: None,
    };
    approvals::decide(db, &caller, &command, &s.fallback).await?;
    Ok(outbox::of_request(db.pool(), &request)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| BenchError::Setup("no job".into()))?
        .id)
}

/// A replica's worker: a pool of its own.
async fn replica(url: &str, runtime: &Provisioning) -> Result<Worker, BenchError> {
    let db = Db::connect(url).await?;
    let handler = ProvisioningHandler::new(db.clone(), runtime.clone());
    Ok(Worker::new(db, RetryPolicy::default()).with_handler(JobKind::Provision, Arc::new(handler)))
}

async fn queued(db: &Db) -> Result<i64, BenchError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM outbox_jobs WHERE state IN ('queued', 'running')")
            .fetch_one(db.pool())
            .await
            .map_err(app::db::DbError::from)?;
    Ok(n)
}

pub async fn run(
    database_url: &str,
    jobs: usize,
    samples: usize,
    interval_ms: u64,
) -> Result<(), BenchError> {
    let db = Db::connect(database_url).await?;
    db.migrate().await?;
    let arrivals: Arrivals = Arc::default();
    let url = start_receiver(arrivals.clone()).await?;
    let people = 2 * jobs + 2 * samples;
    let s = setup(&db, &url, people).await?;
    println!("outbox benchmark on {:?}, receiver {url}", db.backend());
    let mut next_person = s.people.iter();
    for workers in [1usize, 2] {
        // Throughput: a backlog of `jobs`, then the workers drain it.
        for _ in 0..jobs {
            let who = next_person
                .next()
                .ok_or_else(|| BenchError::Setup("people".into()))?;
            approve(&db, &s, who).await?;
        }
        let mut replicas = Vec::new();
        for _ in 0..workers {
            replicas.push(replica(database_url, &s.runtime).await?);
        }
        let started = Instant::now();
        let mut running = tokio::task::JoinSet::new();
        for worker in &replicas {
            let worker = worker.clone();
            running.spawn(async move {
                loop {
                    match worker.run_due(now()).await {
                        Ok(r) if r.attempts() == 0 => return Ok(()),
                        Ok(_) => continue,
                        Err(e) => return Err(e),
                    }
                }
            });
        }
        while let Some(done) = running.join_next().await {
            done.map_err(|e| BenchError::Setup(e.to_string()))??;
        }
        let elapsed = started.elapsed();
        let left = queued(&db).await?;
        println!(
            "{workers} worker(s): {jobs} jobs in {:.2} s = {:.0} jobs/s ({left} left)",
            elapsed.as_secs_f64(),
            jobs as f64 / elapsed.as_secs_f64()
        );

        // Latency: the workers loop on their interval; one approval at a time.
        let mut looping = Vec::new();
        for worker in replicas {
            looping.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(interval_ms));
                loop {
                    tick.tick().await;
                    let _ = worker.run_due(now()).await;
                }
            }));
        }
        let mut latencies = Vec::with_capacity(samples);
        for _ in 0..samples {
            let who = next_person
                .next()
                .ok_or_else(|| BenchError::Setup("people".into()))?;
            let job = approve(&db, &s, who).await?;
            let approved = Instant::now();
            let deadline = approved + Duration::from_secs(30);
            let arrived = loop {
                let seen = arrivals.lock().ok().and_then(|a| a.get(&job).copied());
                if let Some(at) = seen {
                    break at;
                }
                if Instant::now() > deadline {
                    return Err(BenchError::Setup(format!(
                        "job {job} not delivered in 30 s"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            };
            latencies.push(arrived.saturating_duration_since(approved));
            // A random pause, so approvals do not lock onto the workers' ticks.
            let pause = (uuid::Uuid::new_v4().as_u128() % u128::from(interval_ms)) as u64;
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        for handle in looping {
            handle.abort();
        }
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
        println!(
            "{workers} worker(s), polling every {interval_ms} ms: approval → receiver 2xx \
             p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({samples} approvals)",
            at(0.5).as_secs_f64() * 1000.0,
            at(0.99).as_secs_f64() * 1000.0,
            at(1.0).as_secs_f64() * 1000.0,
        );
    }
    Ok(())
}
