//! Shared pieces of the performance harness: an embedded Dynoxide with the
//! tables, an app pointed at it, and API Gateway v2 events.

use std::sync::Arc;

use shared::{App, Config, SystemClock};

pub const SECRET: &str = "bench-secret-bench-secret-bench-secret-0";

/// Starts Dynoxide (in memory) on 127.0.0.1:0 and creates the tables;
/// returns its endpoint. The server lives as long as the runtime.
pub async fn dynamodb() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let db = dynoxide::Database::memory().expect("dynoxide");
    tokio::spawn(dynoxide::server::serve_with_shutdown(
        listener,
        db,
        std::future::pending(),
    ));
    let app = app(&endpoint);
    app.store.create_tables().await.expect("tables");
    endpoint
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
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub fn app(endpoint: &str) -> Arc<App> {
    let env = env(endpoint);
    let config = Config::from_lookup(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
        .expect("config");
    Arc::new(App::new(config, Arc::new(SystemClock)).expect("app"))
}

/// An API Gateway HTTP API (v2) event for `method` `target`, with `cookies`
/// and a URL-encoded `body` (base64, as API Gateway sends forms).
pub fn event(
    method: &str,
    target: &str,
    cookies: &[String],
    body: Option<&str>,
) -> serde_json::Value {
    use base64::Engine;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut ev = serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "host": "abc123.execute-api.us-east-1.amazonaws.com",
            "x-forwarded-proto": "https",
            "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "content-type": "application/x-www-form-urlencoded",
            "sec-fetch-site": "same-origin"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1",
                      "sourceIp": "203.0.113.7", "userAgent": "bench" },
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 0
        },
        "isBase64Encoded": false
    });
    if !cookies.is_empty() {
        ev["cookies"] = cookies.to_vec().into();
    }
    if let Some(b) = body {
        ev["body"] = base64::engine::general_purpose::STANDARD.encode(b).into();
        ev["isBase64Encoded"] = true.into();
    }
    ev
}

/// Registers `username` and returns the browser's cookies (`name=value`),
/// signed in, by driving the real handlers.
pub async fn signed_in(app: &App, username: &str) -> Vec<String> {
    let mut jar: Vec<(String, String)> = Vec::new();
    let form = send(app, &mut jar, "GET", "/register", None).await;
    let token = input(&form, "csrf_token");
    let rid = input(&form, "request_id");
    let body = format!(
        "username={username}&email={username}%40example.com&password=bench-password-123&csrf_token={token}&request_id={rid}"
    );
    send(app, &mut jar, "POST", "/register", Some(&body)).await;
    jar.into_iter()
        .filter(|(n, _)| n.ends_with("session"))
        .map(|(n, v)| format!("{n}={v}"))
        .collect()
}

/// Runs one request through the app, keeping cookies in `jar`; returns the body.
pub async fn send(
    app: &App,
    jar: &mut Vec<(String, String)>,
    method: &str,
    target: &str,
    body: Option<&str>,
) -> String {
    let cookies: Vec<String> = jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let ev = event(method, target, &cookies, body);
    let req = lambda_http::request::from_str(&ev.to_string()).expect("event");
    let function = shared::Function::for_path(target.split('?').next().unwrap_or("/"))
        .unwrap_or(shared::Function::Home);
    let resp = app.handle(function, req).await;
    for v in resp.headers().get_all("set-cookie") {
        let s = v.to_str().unwrap_or_default();
        let pair = s.split(';').next().unwrap_or_default();
        if let Some((n, v)) = pair.split_once('=') {
            jar.retain(|(name, _)| name != n);
            if !v.is_empty() {
                jar.push((n.to_string(), v.to_string()));
            }
        }
    }
    match resp.into_body() {
        lambda_http::Body::Text(t) => t,
        _ => String::new(),
    }
}

/// The value of the first `<input>` named `name`.
pub fn input(html: &str, name: &str) -> String {
    let wanted = format!("name=\"{name}\"");
    html.split("<input")
        .skip(1)
        .find_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            if !tag.contains(&wanted) {
                return None;
            }
            let start = tag.find(" value=\"")? + 8;
            let end = tag[start..].find('"')? + start;
            Some(tag[start..end].to_string())
        })
        .unwrap_or_default()
}
