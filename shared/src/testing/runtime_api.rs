//! A local stand-in for the Lambda Runtime API: it hands a function binary
//! events through `GET /2018-06-01/runtime/invocation/next` and records what
//! the binary posts back, with the time of each step. Used by the cold-start
//! harness and by the test that a release binary survives hostile URLs.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, Mutex};

/// What the function did, in order.
#[derive(Debug)]
pub enum Seen {
    /// Asked for the next event (the first one ends init).
    Next(Instant),
    /// Posted a response body.
    Response(Instant, String),
    /// Posted an invocation or init error.
    Error(String),
}

#[derive(Clone)]
struct Api {
    events: Arc<Mutex<mpsc::UnboundedReceiver<String>>>,
    seen: mpsc::UnboundedSender<Seen>,
}

async fn next(State(api): State<Api>) -> (StatusCode, HeaderMap, String) {
    let _ = api.seen.send(Seen::Next(Instant::now()));
    // No more work: hold the request, as Lambda does while frozen.
    let Some(event) = api.events.lock().await.recv().await else {
        std::future::pending::<()>().await;
        unreachable!()
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() + 10_000)
        .unwrap_or(0);
    let mut h = HeaderMap::new();
    for (k, v) in [
        (
            "lambda-runtime-aws-request-id",
            "8476a536-e9f4-11e8-9739-2dfe598c3fcd".to_string(),
        ),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:bench".into(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1".into(),
        ),
        ("content-type", "application/json".into()),
    ] {
        if let Ok(v) = v.parse() {
            h.insert(k, v);
        }
    }
    (StatusCode::OK, h, event)
}

async fn response(State(api): State<Api>, Path(_id): Path<String>, body: String) -> StatusCode {
    let _ = api.seen.send(Seen::Response(Instant::now(), body));
    StatusCode::ACCEPTED
}

async fn error(State(api): State<Api>, body: String) -> StatusCode {
    let _ = api.seen.send(Seen::Error(body));
    StatusCode::ACCEPTED
}

/// A running stand-in on 127.0.0.1; it stops when dropped.
pub struct RuntimeApi {
    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub addr: String,
    events: mpsc::UnboundedSender<String>,
    seen: mpsc::UnboundedReceiver<Seen>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (seen_tx, seen_rx) = mpsc::unbounded_channel();
        let api = Api {
            events: Arc::new(Mutex::new(events_rx)),
            seen: seen_tx,
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(error))
            .with_state(api);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi {
            addr,
            events: events_tx,
            seen: seen_rx,
            server,
        })
    }

    /// Queues an event (JSON) for the function's next `/next`.
    pub fn push(&self, event: String) {
        let _ = self.events.send(event);
    }

    /// The next thing the function did; `None` if the stand-in stopped.
    pub async fn seen(&mut self) -> Option<Seen> {
        self.seen.recv().await
    }

    /// `binary` with the environment Lambda gives a `provided.al2023`
    /// function (plus `env`), pointed at this stand-in; its output discarded.
    pub fn command(
        &self,
        binary: &std::path::Path,
        env: &[(String, String)],
    ) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(binary);
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("AWS_LAMBDA_RUNTIME_API", &self.addr)
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/25/[$LATEST]bench")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDBENCHEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "bench-secret-access-key")
            .env("AWS_SESSION_TOKEN", "bench-session-token")
            .env("LAMBDA_TASK_ROOT", "/var/task")
            .env("_HANDLER", "bootstrap")
            .env("TZ", ":UTC")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        cmd
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}
