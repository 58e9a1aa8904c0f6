//! A local stand-in for Amazon SES v2 (`POST /v2/email/outbound-emails`,
//! SendEmail), reached by the real SDK through its endpoint override:
//! it records each request's JSON and answers as SES does, or fails with
//! SES's `500 InternalFailure` while told to, or refuses every message
//! with `400 MessageRejected` (a permanent failure) while told to.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

#[derive(Default)]
struct Inner {
    failing: AtomicBool,
    rejecting: AtomicBool,
    calls: AtomicUsize,
    sent: Mutex<Vec<serde_json::Value>>,
}

/// A running stub on 127.0.0.1; it stops when dropped.
pub struct SesStub {
    pub endpoint: String,
    inner: Arc<Inner>,
    server: tokio::task::JoinHandle<()>,
}

async fn send_email(
    State(inner): State<Arc<Inner>>,
    body: String,
) -> (StatusCode, HeaderMap, String) {
    inner.calls.fetch_add(1, Ordering::SeqCst);
    let mut h = HeaderMap::new();
    h.insert("content-type", "application/json".parse().expect("header"));
    if inner.failing.load(Ordering::SeqCst) {
        h.insert(
            "x-amzn-errortype",
            "InternalFailure".parse().expect("header"),
        );
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            h,
            r#"{"message":"stub: SES is failing"}"#.into(),
        );
    }
    if inner.rejecting.load(Ordering::SeqCst) {
        h.insert(
            "x-amzn-errortype",
            "MessageRejected".parse().expect("header"),
        );
        return (
            StatusCode::BAD_REQUEST,
            h,
            r#"{"message":"stub: Email address is not verified."}"#.into(),
        );
    }
    let json = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    let mut sent = inner.sent.lock().unwrap_or_else(|e| e.into_inner());
    sent.push(json);
    let id = format!(r#"{{"MessageId":"stub-{}"}}"#, sent.len());
    (StatusCode::OK, h, id)
}

impl SesStub {
    pub async fn start() -> std::io::Result<SesStub> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let inner = Arc::new(Inner::default());
        let app = Router::new()
            .route("/v2/email/outbound-emails", post(send_email))
            .with_state(inner.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(SesStub {
            endpoint,
            inner,
            server,
        })
    }

    /// From now on, every SendEmail fails (or succeeds again).
    pub fn fail(&self, failing: bool) {
        self.inner.failing.store(failing, Ordering::SeqCst);
    }

    /// From now on, every SendEmail is refused for good (or not).
    pub fn reject(&self, rejecting: bool) {
        self.inner.rejecting.store(rejecting, Ordering::SeqCst);
    }

    /// How many SendEmail requests arrived, failed ones included.
    pub fn calls(&self) -> usize {
        self.inner.calls.load(Ordering::SeqCst)
    }

    /// The JSON of every SendEmail that succeeded.
    pub fn sent(&self) -> Vec<serde_json::Value> {
        self.inner
            .sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for SesStub {
    fn drop(&mut self) {
        self.server.abort();
    }
}
