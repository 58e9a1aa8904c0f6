//! An in-process Dynoxide on 127.0.0.1 reached over HTTP by the real SDK
//! client, and the real `App` pointed at it.

use std::collections::HashMap;
use std::sync::Arc;

use super::streams::{deliver, Retry, StreamPoller};
use super::{app_with_sdk, create_tables, Browser, Faults, ManualClock};
use crate::app::App;
use crate::config::Config;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const START: i64 = 1_790_000_000; // 2026-09-21
pub const PASSWORD: &str = "correct-horse-battery-9";

/// A running Dynoxide: its endpoint, and what stops it.
pub struct LocalDynamo {
    pub endpoint: String,
    /// The database itself (it clones freely), for reading its streams.
    pub db: dynoxide::Database,
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
    let handle = db.clone();
    let server = tokio::spawn(async move {
        dynoxide::server::serve_with_shutdown(listener, db, async {
            let _ = rx.await;
        })
        .await
        .map_err(|e| e.to_string())
    });
    Ok(LocalDynamo {
        endpoint,
        db: handle,
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
        // The site's own address: passkeys' relying party.
        ("SITE_URL".into(), SITE_URL.into()),
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
    /// The mail path (`start_mail`): the stream, the mailer, the outbox.
    mail: Option<MailRig>,
}

/// The mailer in process, fed from the tokens table's stream as Lambda
/// would feed it.
struct MailRig {
    mailer: crate::mail::Mailer,
    poller: std::sync::Mutex<StreamPoller>,
    outbox: Option<std::path::PathBuf>,
}

/// The address links are built from in the tests.
pub const SITE_URL: &str = "https://blog.example.com";

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

    /// An env with the mail path: the tokens table's stream feeds an
    /// in-process mailer (`pump_mail`), which writes `.eml` files into a
    /// fresh outbox, or, when `vars` set `SES_ENDPOINT`, sends through SES
    /// there. Links are built from `SITE_URL`.
    pub async fn start_mail(vars: &[(&str, &str)]) -> Env {
        Self::mail_with(vars, None).await
    }

    /// `start_mail`, but the app's and the mailer's DynamoDB calls go
    /// through `faults` (as `start_faulty`).
    pub async fn start_mail_faulty(vars: &[(&str, &str)], faults: &Arc<Faults>) -> Env {
        Self::mail_with(vars, Some(faults)).await
    }

    async fn mail_with(vars: &[(&str, &str)], faults: Option<&Arc<Faults>>) -> Env {
        let outbox = std::env::temp_dir().join(format!(
            "login-outbox-{}-{}",
            std::process::id(),
            crate::crypto::random_b64(6)
        ));
        let outbox_text = outbox.to_string_lossy().to_string();
        let mut all: Vec<(&str, &str)> = vec![("SITE_URL", SITE_URL)];
        let ses = vars.iter().any(|(k, _)| *k == "SES_ENDPOINT");
        if !ses {
            all.push(("MAIL_OUTBOX", &outbox_text));
        }
        all.extend_from_slice(vars);
        let env = match faults {
            Some(f) => Self::start_faulty(&all, f).await,
            None => Self::start_with(&all).await,
        };
        let (config, clock) = (env.app.config().clone(), env.clock.clone());
        let mailer = match faults {
            Some(f) => {
                let interceptor = f.interceptor();
                super::mailer_with_sdk(config, clock, |sdk| sdk.interceptor(interceptor))
            }
            None => crate::mail::Mailer::new(config, clock).expect("mailer"),
        };
        let db = env.dynamo.as_ref().expect("dynamo").db.clone();
        let table = env.app.config().tokens_table.clone();
        let poller = StreamPoller::new(db, &table).expect("the tokens table's stream");
        Env {
            mail: Some(MailRig {
                mailer,
                poller: std::sync::Mutex::new(poller),
                outbox: (!ses).then_some(outbox),
            }),
            ..env
        }
    }

    /// The stream's new records, as Lambda would hand them to the mailer,
    /// without handing them over (a test drives the mailer itself).
    pub async fn stream_records(&self) -> Vec<serde_json::Value> {
        let rig = self.mail.as_ref().expect("Env::start_mail");
        let mut poller = rig.poller.lock().unwrap_or_else(|e| e.into_inner());
        poller.poll().expect("stream")
    }

    /// Runs the mail path once: the stream's new records to the mailer,
    /// each failure retried twice (10 ms, 20 ms), as Lambda would. Returns
    /// the dead letters (records given up on).
    pub async fn pump_mail(&self) -> Vec<serde_json::Value> {
        let rig = self.mail.as_ref().expect("Env::start_mail");
        let records = rig
            .poller
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .poll()
            .expect("stream");
        let retry = Retry {
            retries: 2,
            backoff: std::time::Duration::from_millis(10),
        };
        deliver(records, 10, retry, |event| async move {
            Ok(rig.mailer.handle_json(event).await)
        })
        .await
    }

    /// The messages in the outbox, oldest first: (file name, bytes).
    pub fn outbox(&self) -> Vec<(String, Vec<u8>)> {
        let Some(dir) = self.mail.as_ref().and_then(|m| m.outbox.as_ref()) else {
            return Vec::new();
        };
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .filter_map(|e| {
                        let bytes = std::fs::read(e.path()).ok()?;
                        Some((e.file_name().to_string_lossy().to_string(), bytes))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
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
            mail: None,
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
            mail: None,
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

impl Drop for MailRig {
    fn drop(&mut self) {
        if let Some(dir) = &self.outbox {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
