//! Shared pieces of the performance harness: an embedded Dynoxide with the
//! tables, an app pointed at it (optionally timing its DynamoDB calls), and
//! API Gateway v2 events. The Dynoxide server, the events, the browser and
//! the Runtime API stand-in come from `shared::testing`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use shared::testing::{self, Browser, LocalDynamo};
use shared::{App, Config, SystemClock};

pub const SECRET: &str = "bench-secret-bench-secret-bench-secret-0";

/// Starts Dynoxide (in memory) on 127.0.0.1:0 and creates the tables;
/// returns its endpoint. The server lives as long as the runtime.
pub async fn dynamodb() -> String {
    let dynamo = LocalDynamo::memory().await;
    let endpoint = dynamo.endpoint.clone();
    // Serves until the process ends.
    std::mem::forget(dynamo);
    testing::create_tables(&app(&endpoint))
        .await
        .expect("tables");
    endpoint
}

/// A TLS front for the DynamoDB endpoint at `upstream` (`http://…`), so a
/// function's first call pays a real TCP + TLS handshake (RSA 2048 chain,
/// as DynamoDB's, from a throwaway CA made with the `openssl` command).
/// Returns the `https://localhost:…` endpoint and the CA's PEM file, which
/// a function trusts with `DYNAMODB_TRUST_SYSTEM_ROOTS=1` and
/// `SSL_CERT_FILE`. `None` without a working `openssl` command.
pub async fn tls_front(upstream: &str) -> Option<(String, std::path::PathBuf)> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let dir = std::env::temp_dir().join(format!("bench-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let openssl = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write leaf.ext");
    let made = openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=bench CA",
    ]) && openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=localhost",
    ]) && openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]);
    if !made {
        return None;
    }
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("leaf.pem"))
        .expect("leaf.pem")
        .chain(CertificateDer::pem_file_iter(dir.join("ca.pem")).expect("ca.pem"))
        .collect::<Result<_, _>>()
        .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).expect("leaf.key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let upstream = upstream.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            // A relay hop must not add Nagle delays DynamoDB itself would not.
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut plain) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = plain.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    Some((format!("https://localhost:{port}"), dir.join("ca.pem")))
}

/// The environment a function gets, as a list of pairs.
pub fn env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("SESSION_SECRET", SECRET),
        ("DYNAMODB_ENDPOINT", endpoint),
        ("AWS_REGION", "us-east-1"),
        ("USERS_TABLE", "users"),
        ("SESSIONS_TABLE", "sessions"),
        ("THROTTLE_TABLE", "throttle"),
        ("TOKENS_TABLE", "tokens"),
        ("SITE_URL", "https://blog.example.com"),
        ("MAIL_OUTBOX", "/tmp/bench-outbox"),
        // The timing comparison sends many reset requests from one address.
        ("MAIL_IP_LIMIT", "1000000"),
        // The bench repeats routes from one address: measure their work,
        // not the per-source limits.
        ("LOGIN_IP_LIMIT", "1000000"),
        ("REGISTER_IP_LIMIT", "1000000"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub fn app(endpoint: &str) -> Arc<App> {
    timed_app(endpoint).0
}

/// The app, with an SDK interceptor that adds up the time spent inside
/// DynamoDB calls, so a route can be timed with storage excluded.
pub fn timed_app(endpoint: &str) -> (Arc<App>, Arc<StorageTime>) {
    let env = env(endpoint);
    let config = Config::from_lookup(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
        .expect("config");
    let time = Arc::new(StorageTime::default());
    let timer = Timer(time.clone());
    let app = testing::app_with_sdk(config, Arc::new(SystemClock), |sdk| sdk.interceptor(timer));
    (Arc::new(app), time)
}

/// Time spent in DynamoDB calls, from the start of each operation to its
/// end (serialisation, signing, the HTTP exchange, retries, parsing).
/// Calls are assumed not to overlap, as in one request's handler.
#[derive(Debug, Default)]
pub struct StorageTime {
    started: Mutex<Option<Instant>>,
    nanos: AtomicU64,
}

impl StorageTime {
    /// The time so far, resetting it to zero.
    pub fn take(&self) -> Duration {
        Duration::from_nanos(self.nanos.swap(0, Ordering::Relaxed))
    }
}

#[derive(Debug)]
struct Timer(Arc<StorageTime>);

impl Intercept for Timer {
    fn name(&self) -> &'static str {
        "bench-storage-timer"
    }

    fn read_before_execution(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Ok(mut s) = self.0.started.lock() {
            *s = Some(Instant::now());
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        _: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(started) = self.0.started.lock().ok().and_then(|mut s| s.take()) {
            let nanos = started.elapsed().as_nanos() as u64;
            self.0.nanos.fetch_add(nanos, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// An API Gateway HTTP API (v2) event for `method` `target`, with `cookies`
/// (`name=value`) and a URL-encoded `body`, as a same-origin form post.
pub fn event(
    method: &str,
    target: &str,
    cookies: &[String],
    body: Option<&str>,
) -> serde_json::Value {
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("sec-fetch-site", "same-origin"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    testing::event(method, target, cookies, body.map(str::as_bytes), &headers)
}

/// Registers `username` and returns the browser's cookies (`name=value`),
/// signed in, by driving the real handlers.
pub async fn signed_in(app: &Arc<App>, username: &str) -> Vec<String> {
    let mut b = Browser::new(app.clone(), true);
    let p = b
        .register(
            username,
            &format!("{username}@example.com"),
            "bench-password-123",
        )
        .await;
    assert_eq!(p.status, 303, "registering {username}: {}", p.body);
    assert!(p.location() == Some("/") && p.set_cookies.iter().any(|c| c.contains("session=")));
    b.cookies
        .into_iter()
        .filter(|(n, _)| n.ends_with("session"))
        .map(|(n, v)| format!("{n}={v}"))
        .collect()
}

/// Runs one request through the app, keeping cookies in `jar`; returns the
/// body. Panics unless the answer has the `expect`ed status: a refused or
/// failed request must never be measured as if it were the route's work.
pub async fn send(
    app: &Arc<App>,
    jar: &mut Vec<(String, String)>,
    method: &str,
    target: &str,
    body: Option<&str>,
    expect: u16,
) -> String {
    let mut b = Browser::new(app.clone(), true);
    b.cookies = std::mem::take(jar);
    b.extra_headers
        .push(("sec-fetch-site".into(), "same-origin".into()));
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    let page = b
        .send(method, target, body.map(str::as_bytes), &headers)
        .await;
    *jar = b.cookies;
    assert_eq!(
        page.status,
        expect,
        "{method} {target}: expected {expect}, got {}: {}",
        page.status,
        page.body.chars().take(600).collect::<String>()
    );
    page.body
}

/// The value of the first `<input>` named `name`.
pub fn input(html: &str, name: &str) -> String {
    let page = testing::Page {
        status: 200,
        headers: Default::default(),
        set_cookies: Vec::new(),
        body: html.to_string(),
    };
    page.input(name).unwrap_or_default()
}
