//! An in-process Dynoxide on 127.0.0.1 reached over HTTP by the real SDK
//! client, and the real `App` pointed at it.

use std::collections::HashMap;
use std::sync::Arc;

use super::{app_with_sdk, create_tables, Browser, Faults, ManualClock};
use crate::app::App;
use crate::config::Config;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const START: i64 = 1_790_000_000; // 2026-09-21
pub const PASSWORD: &str = "correct-horse-battery-9";

/// A running Dynoxide: its endpoint, and what stops it.
pub struct LocalDynamo {
    pub endpoint: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), String>>>,
}

/// Serves Dynoxide on `listener`, its database in the SQLite file at
/// `path` (created if missing) or in memory, until `stop`.
pub fn serve_dynamodb(
    listener: tokio::net::TcpListener,
    path: Option<&std::path::Path>,
) -> Result<LocalDynamo, String> {
    let db = match path {
        Some(p) => dynoxide::Database::new(&p.to_string_lossy()),
        None => dynoxide::Database::memory(),
    }
    .map_err(|e| e.to_string())?;
    let endpoint = listener
        .local_addr()
        .map(|a| format!("http://{a}"))
        .unwrap_or_default();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        dynoxide::server::serve_with_shutdown(listener, db, async {
            let _ = rx.await;
        })
        .await
        .map_err(|e| e.to_string())
    });
    Ok(LocalDynamo {
        endpoint,
        stop: Some(tx),
        server: Some(server),
    })
}

impl LocalDynamo {
    /// An in-memory Dynoxide on 127.0.0.1, any free port.
    pub async fn memory() -> LocalDynamo {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        serve_dynamodb(listener, None).expect("dynoxide")
    }

    /// Stops the server and waits for it; its error, if it failed.
    pub async fn stop(&mut self) -> Result<(), String> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(s) => s.await.map_err(|e| e.to_string())?,
            None => Ok(()),
        }
    }
}

/// The tests' configuration, pointed at `endpoint`, with `vars` on top.
fn config(endpoint: &str, vars: &[(&str, &str)]) -> Config {
    let mut map: HashMap<String, String> = HashMap::from([
        ("SESSION_SECRET".into(), SECRET.into()),
        ("DYNAMODB_ENDPOINT".into(), endpoint.to_string()),
        ("AWS_REGION".into(), "us-east-1".into()),
    ]);
    for (k, v) in vars {
        map.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(|k| map.get(k).cloned()).expect("config")
}

pub struct Env {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub endpoint: String,
    dynamo: Option<LocalDynamo>,
}

impl Env {
    pub async fn start() -> Env {
        Self::start_with(&[]).await
    }

    pub async fn start_with(vars: &[(&str, &str)]) -> Env {
        let dynamo = LocalDynamo::memory().await;
        let env = Self::app_at(&dynamo.endpoint, vars);
        create_tables(&env.app).await.expect("tables");
        Env {
            dynamo: Some(dynamo),
            ..env
        }
    }

    /// An app pointed at `endpoint`, with no server of its own.
    pub fn app_at(endpoint: &str, vars: &[(&str, &str)]) -> Env {
        let clock = Arc::new(ManualClock::new(START));
        let app = App::new(config(endpoint, vars), clock.clone()).expect("app");
        Env {
            app: Arc::new(app),
            clock,
            endpoint: endpoint.to_string(),
            dynamo: None,
        }
    }

    /// `start_with`, but the app's DynamoDB calls go through `faults`.
    pub async fn start_faulty(vars: &[(&str, &str)], faults: &Arc<Faults>) -> Env {
        let dynamo = LocalDynamo::memory().await;
        let clock = Arc::new(ManualClock::new(START));
        let interceptor = faults.interceptor();
        let app = app_with_sdk(config(&dynamo.endpoint, vars), clock.clone(), |sdk| {
            sdk.interceptor(interceptor)
        });
        let env = Env {
            app: Arc::new(app),
            clock,
            endpoint: dynamo.endpoint.clone(),
            dynamo: Some(dynamo),
        };
        create_tables(&env.app).await.expect("tables");
        env
    }

    /// Stops the DynamoDB server (to test faults).
    pub async fn stop_dynamodb(&mut self) {
        if let Some(mut d) = self.dynamo.take() {
            let _ = d.stop().await;
        }
    }

    /// A browser speaking the app's scheme: HTTPS, or plain HTTP where the
    /// app is the local server (`LOCAL_PLAIN_HTTP=1`).
    pub fn browser(&self) -> Browser {
        Browser::new(self.app.clone(), !self.app.config.plain_http)
    }
}
