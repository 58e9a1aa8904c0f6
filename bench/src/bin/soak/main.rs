//! The soak and fault run's load driver. `scripts/soak` starts the local
//! site and its DynamoDB, runs this, and kills and restarts the database
//! in the middle, writing when into the events file. This runs N clients
//! against the site for the given time (register, log in, browse
//! `/account`, log out, wrong passwords), then checks that every browser
//! it left signed in still is, that every account it created exists, and
//! that nothing in the tables is half-written, and prints the report.
//!
//! `soak --addr 127.0.0.1:9410 --clients 16 --secs 300 --events FILE
//!       --dynamodb http://127.0.0.1:8410`

mod client;
mod http;
mod report;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use client::{Client, Log, Outcome};

struct Args {
    addr: String,
    clients: usize,
    secs: u64,
    events: String,
    dynamodb: String,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        addr: "127.0.0.1:9410".into(),
        clients: 16,
        secs: 300,
        events: String::new(),
        dynamodb: "http://127.0.0.1:8410".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => a.addr = value,
            "--clients" => a.clients = value.parse().map_err(|_| "--clients: a number")?,
            "--secs" => a.secs = value.parse().map_err(|_| "--secs: a number")?,
            "--events" => a.events = value,
            "--dynamodb" => a.dynamodb = value,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// After the load: the browsers left signed in still are; the accounts
/// made exist, whole, and every session belongs to one.
async fn final_checks(a: &Args, outcomes: Vec<Outcome>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut created = Vec::new();
    let mut signed_in = 0;
    for o in outcomes {
        problems.extend(o.surprises);
        created.extend(o.created);
        for (mut b, name) in o.signed_in {
            signed_in += 1;
            match b.send("GET", "/", None).await {
                Ok(r) if r.body.contains(&format!("Hello, {name}")) => {}
                Ok(r) => problems.push(format!("{name}: session lost ({} on /)", r.status)),
                Err(e) => problems.push(format!("{name}: {e}")),
            }
        }
    }
    println!(
        "\nafter the run: {signed_in} browsers left signed in, {} accounts created",
        created.len()
    );
    let app = bench::app(&a.dynamodb);
    match shared::testing::check_tables(&app).await {
        Ok(t) => {
            println!("tables: {} accounts, each with its address marker; {} sessions, each of an account; nothing half-written", t.accounts, t.sessions);
            let missing: Vec<&String> = created
                .iter()
                .filter(|n| !t.usernames.contains(n))
                .collect();
            if !missing.is_empty() {
                problems.push(format!("accounts lost: {missing:?}"));
            }
        }
        Err(found) => problems.extend(found.into_iter().map(|p| format!("tables: {p}"))),
    }
    problems
}

#[tokio::main]
async fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("soak: {e}");
            return ExitCode::from(2);
        }
    };
    let log = Log::default();
    let deadline = Instant::now() + Duration::from_secs(a.secs);
    let clients: Vec<_> = (0..a.clients)
        .map(|id| tokio::spawn(Client::new(id, &a.addr, log.clone()).run(deadline)))
        .collect();
    let mut outcomes = Vec::new();
    for c in clients {
        outcomes.extend(c.await.ok());
    }
    let problems = final_checks(&a, outcomes).await;
    let records = log.lock().map(|l| l.clone()).unwrap_or_default();
    let events = std::fs::read_to_string(&a.events).unwrap_or_default();
    if report::print(&records, report::Outage::read(&events), a.secs, &problems) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
