//! API Gateway HTTP API (v2) events, and a small browser that sends them
//! to the app and keeps cookies.

use std::sync::Arc;

use base64::Engine;

use crate::app::App;
use crate::routes::Function;

pub fn host() -> &'static str {
    "abc123.execute-api.us-east-1.amazonaws.com"
}

/// An API Gateway HTTP API (v2) event for `method` `target` as a browser
/// over HTTPS sends it: `cookies` as `name=value`, `body` base64-encoded as
/// API Gateway hands forms over, and `headers` added to (or replacing) the
/// usual ones.
pub fn event(
    method: &str,
    target: &str,
    cookies: &[String],
    body: Option<&[u8]>,
    headers: &[(String, String)],
) -> serde_json::Value {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut h = serde_json::Map::new();
    h.insert("host".into(), host().into());
    h.insert("x-forwarded-proto".into(), "https".into());
    for (k, v) in headers {
        h.insert(k.clone(), v.clone().into());
    }
    let mut qsp = serde_json::Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        // API Gateway hands over what it could decode; keep the raw
        // text where the escape is not UTF-8.
        let decode = |x: &str| crate::forms::decode(x.as_bytes()).unwrap_or_else(|_| x.to_string());
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
                "sourceIp": "203.0.113.7",
                "userAgent": "Mozilla/5.0"
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
    if !cookies.is_empty() {
        ev["cookies"] = cookies.to_vec().into();
    }
    if let Some(b) = body {
        ev["body"] = base64::engine::general_purpose::STANDARD.encode(b).into();
        ev["isBase64Encoded"] = true.into();
    }
    ev
}

/// `value` with its first character changed: a cookie tampered with.
pub fn tamper(value: &str) -> String {
    let mut chars = value.chars();
    let first = chars.next().unwrap_or('A');
    let other = if first == 'A' { 'B' } else { 'A' };
    format!("{other}{}", chars.as_str())
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
    /// The public session ids on `/account`, this browser's first.
    pub fn session_ids(&self) -> Vec<String> {
        let attr = "name=\"session\" value=\"";
        self.body
            .match_indices(attr)
            .filter_map(|(i, m)| {
                let rest = &self.body[i + m.len()..];
                Some(rest[..rest.find('"')?].to_string())
            })
            .collect()
    }
    pub fn set_cookie(&self, name: &str) -> Option<&String> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

/// A cookie-keeping client that speaks API Gateway v2 events to the app.
pub struct Browser {
    pub(super) app: Arc<App>,
    pub https: bool,
    pub cookies: Vec<(String, String)>,
    pub source_ip: String,
    pub user_agent: String,
    pub extra_headers: Vec<(String, String)>,
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
            .map(|(k, v)| format!("{}={}", crate::forms::encode(k), crate::forms::encode(v)))
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

    /// The v2 event this browser would send.
    pub fn event(
        &self,
        method: &str,
        target: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> serde_json::Value {
        let mut h: Vec<(String, String)> = vec![
            (
                "x-forwarded-proto".into(),
                if self.https { "https" } else { "http" }.into(),
            ),
            ("x-forwarded-for".into(), "198.51.100.99".into()),
            ("user-agent".into(), self.user_agent.clone()),
        ];
        h.extend(self.extra_headers.iter().cloned());
        h.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let cookies: Vec<String> = self
            .cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        let mut ev = event(method, target, &cookies, body, &h);
        ev["requestContext"]["http"]["sourceIp"] = self.source_ip.clone().into();
        ev["requestContext"]["http"]["userAgent"] = self.user_agent.clone().into();
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
        self.send_value(ev, target).await
    }

    /// Sends an event given as JSON text.
    pub async fn send_event(&mut self, json: &str, target: &str) -> Page {
        let event: serde_json::Value = serde_json::from_str(json).expect("JSON");
        self.send_value(event, target).await
    }

    /// Sends an event to the function that serves `target`'s path.
    pub async fn send_value(&mut self, event: serde_json::Value, target: &str) -> Page {
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
