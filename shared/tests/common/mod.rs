//! Integration-test harness: an in-process Dynoxide on 127.0.0.1:0 reached
//! over HTTP by the real SDK client, the real `App`, and a small "browser"
//! that sends real API Gateway HTTP API (v2) events and keeps cookies.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use shared::{App, Config, Function, ManualClock};

/// A file of the checkout these tests run from. Looked up at run time (cargo
/// and nextest set CARGO_MANIFEST_DIR), not with `env!`: a test binary that
/// another clone built into a shared target/ would read that clone.
pub fn repo_file(rel: &str) -> std::path::PathBuf {
    let manifest =
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    std::path::Path::new(&manifest).join("..").join(rel)
}

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const START: i64 = 1_790_000_000; // 2026-09-21

pub struct Env {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub endpoint: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), String>>>,
}

impl Env {
    pub async fn start() -> Env {
        Self::start_with(&[]).await
    }

    pub async fn start_with(vars: &[(&str, &str)]) -> Env {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let db = dynoxide::Database::memory().unwrap();
        let server = tokio::spawn(dynoxide::server::serve_with_shutdown(listener, db, async {
            let _ = rx.await;
        }));
        let env = Self::app_at(&endpoint, vars);
        env.app.store.create_tables().await.unwrap();
        Env {
            stop: Some(tx),
            server: Some(server),
            ..env
        }
    }

    /// An app pointed at `endpoint`, with no server of its own.
    pub fn app_at(endpoint: &str, vars: &[(&str, &str)]) -> Env {
        let mut map: HashMap<String, String> = HashMap::from([
            ("SESSION_SECRET".into(), SECRET.into()),
            ("DYNAMODB_ENDPOINT".into(), endpoint.to_string()),
            ("AWS_REGION".into(), "us-east-1".into()),
        ]);
        for (k, v) in vars {
            map.insert(k.to_string(), v.to_string());
        }
        let config = Config::from_lookup(|k| map.get(k).cloned()).unwrap();
        let clock = Arc::new(ManualClock::new(START));
        let app = Arc::new(App::new(config, clock.clone()).unwrap());
        Env {
            app,
            clock,
            endpoint: endpoint.to_string(),
            stop: None,
            server: None,
        }
    }

    /// Stops the DynamoDB server (to test faults).
    pub async fn stop_dynamodb(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(self.app.clone(), true)
    }
}

/// A response as the browser sees it.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }
    /// The value of the first `<input>` named `name` in the page.
    pub fn input(&self, name: &str) -> Option<String> {
        let wanted = format!("name=\"{name}\"");
        self.body.split("<input").skip(1).find_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            if !tag.contains(&wanted) {
                return None;
            }
            let start = tag.find(" value=\"")? + " value=\"".len();
            let end = tag[start..].find('"')? + start;
            Some(tag[start..end].to_string())
        })
    }
    pub fn csrf(&self) -> String {
        self.input("csrf_token").expect("page has a CSRF token")
    }
    pub fn set_cookie(&self, name: &str) -> Option<&String> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

/// A cookie-keeping client that speaks API Gateway v2 events to the app.
pub struct Browser {
    app: Arc<App>,
    pub https: bool,
    pub cookies: Vec<(String, String)>,
    pub source_ip: String,
    pub user_agent: String,
    pub extra_headers: Vec<(String, String)>,
}

pub fn host() -> &'static str {
    "abc123.execute-api.us-east-1.amazonaws.com"
}

impl Browser {
    pub fn new(app: Arc<App>, https: bool) -> Self {
        Browser {
            app,
            https,
            cookies: Vec::new(),
            source_ip: "203.0.113.7".into(),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
                .into(),
            extra_headers: Vec::new(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn session_name(&self) -> &'static str {
        if self.https {
            "__Host-session"
        } else {
            "session"
        }
    }

    pub async fn get(&mut self, target: &str) -> Page {
        self.send("GET", target, None, &[]).await
    }

    /// POSTs `fields` URL-encoded (base64 in the event, as API Gateway does).
    pub async fn post(&mut self, target: &str, fields: &[(&str, &str)]) -> Page {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", shared::forms::encode(k), shared::forms::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.post_raw(target, body.as_bytes(), "application/x-www-form-urlencoded")
            .await
    }

    pub async fn post_raw(&mut self, target: &str, body: &[u8], content_type: &str) -> Page {
        self.send(
            "POST",
            target,
            Some(body),
            &[("content-type", content_type)],
        )
        .await
    }

    pub fn event(
        &self,
        method: &str,
        target: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> serde_json::Value {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut h = serde_json::Map::new();
        h.insert("host".into(), host().into());
        h.insert(
            "x-forwarded-proto".into(),
            if self.https { "https" } else { "http" }.into(),
        );
        h.insert("x-forwarded-for".into(), "198.51.100.99".into());
        h.insert("user-agent".into(), self.user_agent.clone().into());
        for (k, v) in &self.extra_headers {
            h.insert(k.clone(), v.clone().into());
        }
        for (k, v) in headers {
            h.insert(k.to_string(), v.to_string().into());
        }
        let mut qsp = serde_json::Map::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            // API Gateway hands over what it could decode; keep the raw
            // text where the escape is not UTF-8.
            let decode =
                |x: &str| shared::forms::decode(x.as_bytes()).unwrap_or_else(|_| x.to_string());
            qsp.insert(decode(k), decode(v).into());
        }
        let mut ev = serde_json::json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": query,
            "headers": h,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc123",
                "domainName": host(),
                "domainPrefix": "abc123",
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": self.source_ip,
                    "userAgent": self.user_agent
                },
                "requestId": "JKJaXmPLvHcESHA=",
                "routeKey": "$default",
                "stage": "$default",
                "time": "21/Sep/2026:10:00:00 +0000",
                "timeEpoch": 1_790_000_000_000i64
            },
            "isBase64Encoded": false
        });
        if !qsp.is_empty() {
            ev["queryStringParameters"] = qsp.into();
        }
        if !self.cookies.is_empty() {
            ev["cookies"] = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .into();
        }
        if let Some(b) = body {
            ev["body"] = base64::engine::general_purpose::STANDARD.encode(b).into();
            ev["isBase64Encoded"] = true.into();
        }
        ev
    }

    pub async fn send(
        &mut self,
        method: &str,
        target: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Page {
        let ev = self.event(method, target, body, headers);
        self.send_event(&ev.to_string(), target).await
    }

    pub async fn send_event(&mut self, json: &str, target: &str) -> Page {
        let event: serde_json::Value = serde_json::from_str(json).expect("JSON");
        let path = target.split('?').next().unwrap();
        let function = Function::for_path(path).unwrap_or(Function::Home);
        let resp = self.app.handle_json(function, event).await;
        let mut headers = http::HeaderMap::new();
        for (k, v) in &resp.headers {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        for sc in &resp.cookies {
            headers.append("set-cookie", sc.parse().unwrap());
            let c = cookie::Cookie::parse(sc.clone()).unwrap();
            self.cookies.retain(|(n, _)| n != c.name());
            let expired = c.max_age().is_some_and(|a| a.is_zero()) || c.value().is_empty();
            if !expired {
                self.cookies
                    .push((c.name().to_string(), c.value().to_string()));
            }
        }
        Page {
            status: resp.status_code,
            headers,
            set_cookies: resp.cookies,
            body: resp.body.unwrap_or_default(),
        }
    }

    /// GET /register, then POST it.
    pub async fn register(&mut self, username: &str, email: &str, password: &str) -> Page {
        let form = self.get("/register").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let rid = form.input("request_id").unwrap();
        self.post(
            "/register",
            &[
                ("username", username),
                ("email", email),
                ("password", password),
                ("csrf_token", &form.csrf()),
                ("request_id", &rid),
            ],
        )
        .await
    }

    /// GET /login, then POST it.
    pub async fn login(&mut self, username: &str, password: &str, remember: bool) -> Page {
        let form = self.get("/login").await;
        let token = form.csrf();
        let mut fields = vec![
            ("username", username),
            ("password", password),
            ("csrf_token", token.as_str()),
        ];
        if remember {
            fields.push(("remember", "on"));
        }
        self.post("/login", &fields).await
    }

    /// POST /logout with the token from the home page.
    pub async fn logout(&mut self) -> Page {
        let home = self.get("/").await;
        let token = home.csrf();
        self.post("/logout", &[("csrf_token", &token)]).await
    }
}

pub const PASSWORD: &str = "correct-horse-battery-9";
