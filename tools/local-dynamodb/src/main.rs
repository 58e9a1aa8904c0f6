//! Dev tool, never deployed: serves Dynoxide (DynamoDB on SQLite) on
//! 127.0.0.1 with a file database and creates the service's tables, with the
//! same keys and TTL as template.yaml, when they are missing.
//!
//! With `--mailer URL`, it also follows the tokens table's stream and
//! invokes the mailer there with each new record, as Lambda does on AWS
//! (`mail.rs`); records given up on go to `--dead-letters DIR`.
//!
//! `local-dynamodb [--port 8000] [--db .local/dynamodb.sqlite]
//!                 [--mailer URL [--dead-letters .local/dead-letter]]`

mod mail;

use std::sync::Arc;

use shared::testing::{self, serve_dynamodb};
use shared::{App, SystemClock};

/// The command line.
struct Args {
    port: u16,
    db_path: String,
    mailer: Option<String>,
    dead_letters: std::path::PathBuf,
}

fn args() -> Result<Args, Box<dyn std::error::Error>> {
    let mut port: u16 = std::env::var("DYNAMODB_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000);
    let mut db_path = ".local/dynamodb.sqlite".to_string();
    let mut mailer: Option<String> = None;
    let mut dead_letters = std::path::PathBuf::from(".local/dead-letter");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or("--port needs a number")?
            }
            "--db" => db_path = args.next().ok_or("--db needs a path")?,
            "--memory" => db_path = String::new(),
            "--mailer" => mailer = Some(args.next().ok_or("--mailer needs a URL")?),
            "--dead-letters" => {
                dead_letters = args.next().ok_or("--dead-letters needs a path")?.into()
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(Args {
        port,
        db_path,
        mailer,
        dead_letters,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Args {
        port,
        db_path,
        mailer,
        dead_letters,
    } = args()?;
    let path = (!db_path.is_empty()).then(|| std::path::PathBuf::from(&db_path));
    if let Some(dir) = path.as_deref().and_then(std::path::Path::parent) {
        std::fs::create_dir_all(dir)?;
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let mut dynamo = serve_dynamodb(listener, path.as_deref())?;
    let endpoint = dynamo.endpoint.clone();

    // Table names come from the same variables the functions read.
    let mut config = shared::Config::from_lookup(|k| match k {
        "SESSION_SECRET" => Some("unused-by-this-tool-unused-by-this-tool".into()),
        _ => std::env::var(k).ok(),
    })?;
    config.dynamodb_endpoint = Some(endpoint.clone());
    let app = App::new(config.clone(), Arc::new(SystemClock))?;
    testing::create_tables(&app).await?;
    if let Some(invoke_url) = mailer {
        let poller = testing::streams::StreamPoller::new(dynamo.db.clone(), &app.stream_table())?;
        let forwarder = mail::Forwarder {
            poller,
            invoke_url,
            dead_letters,
        };
        tokio::spawn(forwarder.run());
    }
    println!(
        "local DynamoDB (Dynoxide) ready at {endpoint}: tables {}, {}, {}, {} in {}",
        config.users_table,
        config.sessions_table,
        config.throttle_table,
        config.tokens_table,
        if db_path.is_empty() {
            "memory"
        } else {
            &db_path
        }
    );

    let stop = Arc::new(tokio::sync::Notify::new());
    let notify = Arc::clone(&stop);
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
        notify.notify_one();
    });
    stop.notified().await;
    dynamo.stop().await?;
    Ok(())
}
