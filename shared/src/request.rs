//! What a handler needs from an incoming API Gateway (HTTP API v2) event,
//! extracted once. Nothing here can fail: odd input becomes an empty or
//! absent value that the handlers answer with a page.

use std::collections::HashMap;

use base64::Engine;
use cookie::Cookie;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::cookies;
use crate::event::Event;
use crate::forms;

#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
    pub cookies: Vec<Cookie<'static>>,
    /// `None` when the event's base64 body does not decode.
    pub body: Option<Vec<u8>>,
    /// Came over HTTPS (API Gateway sets `X-Forwarded-Proto: https`).
    pub secure: bool,
    /// As API Gateway saw it (`requestContext.http.sourceIp`), never
    /// `X-Forwarded-For`, which the client controls.
    pub source_ip: String,
    pub user_agent: String,
    pub request_id: String,
}

impl Req {
    pub fn from_event(event: Event) -> Self {
        let ctx = event.request_context.unwrap_or_default();
        let http = ctx.http.unwrap_or_default();
        // A method API Gateway would never send still makes a `Method`
        // (any token does), which no route accepts: 405, not a failure.
        let method = http
            .method
            .as_deref()
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
            .unwrap_or_else(|| Method::from_bytes(b"INVALID").unwrap_or(Method::GET));
        let mut headers = HeaderMap::new();
        for (k, v) in event.headers.unwrap_or_default() {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                headers.append(k, v);
            }
        }
        let mut cookie_text = event.cookies.unwrap_or_default();
        cookie_text.extend(
            headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(str::to_string),
        );
        let body = match (event.body, event.is_base64_encoded.unwrap_or(false)) {
            (None, _) => Some(Vec::new()),
            (Some(b), true) => base64::engine::general_purpose::STANDARD.decode(b).ok(),
            (Some(b), false) => Some(b.into_bytes()),
        };
        let secure = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        let user_agent = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(256)
            .collect();
        Req {
            method,
            path: event.raw_path.unwrap_or_default(),
            query: parse_query(event.raw_query_string.as_deref().unwrap_or("")),
            cookies: cookies::parse(&cookie_text),
            headers,
            body,
            secure,
            source_ip: http.source_ip.unwrap_or_default(),
            user_agent,
            request_id: ctx.request_id.unwrap_or_default(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn cookie(&self, base: &str) -> Option<&Cookie<'static>> {
        cookies::find(&self.cookies, base, self.secure)
    }

    /// A top-level browser navigation (a followed link or a submitted form).
    pub fn is_navigation(&self) -> bool {
        self.header("sec-fetch-mode")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("navigate"))
    }

    /// Whether the browser says this POST came from another site: either
    /// `Sec-Fetch-Site: cross-site`, or an `Origin` that is not this host.
    pub fn is_cross_site(&self) -> bool {
        if self
            .header("sec-fetch-site")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("cross-site"))
        {
            return true;
        }
        let Some(origin) = self.header("origin") else {
            return false;
        };
        let host = self.header("host").unwrap_or("");
        let origin_host = origin
            .trim()
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or("");
        origin_host.is_empty() || !origin_host.eq_ignore_ascii_case(host.trim())
    }
}

/// The query string's parameters, first occurrence winning; a pair whose
/// escapes do not decode to UTF-8 is skipped, not an error.
fn parse_query(raw: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if let (Ok(k), Ok(v)) = (forms::decode(k.as_bytes()), forms::decode(v.as_bytes())) {
            out.entry(k).or_insert(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Req {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Req {
            method: Method::POST,
            path: "/login".into(),
            query: HashMap::new(),
            headers: h,
            cookies: vec![],
            body: Some(vec![]),
            secure: true,
            source_ip: "1.2.3.4".into(),
            user_agent: String::new(),
            request_id: String::new(),
        }
    }

    #[test]
    fn cross_site_detection() {
        let host = ("host", "blog.example.com");
        assert!(!req(&[host]).is_cross_site());
        assert!(!req(&[host, ("origin", "https://blog.example.com")]).is_cross_site());
        assert!(!req(&[host, ("sec-fetch-site", "same-origin")]).is_cross_site());
        assert!(req(&[host, ("sec-fetch-site", "cross-site")]).is_cross_site());
        assert!(req(&[host, ("origin", "https://evil.example")]).is_cross_site());
        assert!(req(&[host, ("origin", "https://blog.example.com.evil.example")]).is_cross_site());
        assert!(req(&[host, ("origin", "null")]).is_cross_site());
    }

    #[test]
    fn query_parsing_is_lenient() {
        let q = parse_query("next=%2Faccount&a=1&a=2&bad=%ZZ&%FF=x&flag&sp=a+b");
        assert_eq!(q.get("next").map(String::as_str), Some("/account"));
        assert_eq!(q.get("a").map(String::as_str), Some("1"));
        assert_eq!(q.get("flag").map(String::as_str), Some(""));
        assert_eq!(q.get("sp").map(String::as_str), Some("a b"));
        assert!(!q.contains_key("bad"));
        assert_eq!(q.len(), 4);
        // Raw characters that `http::Uri` refuses are plain text here.
        let q = parse_query("next=/a b\"<>{|}^`é\u{1}");
        assert_eq!(
            q.get("next").map(String::as_str),
            Some("/a b\"<>{|}^`é\u{1}")
        );
    }

    #[test]
    fn every_event_makes_a_request() {
        let r = Req::from_event(Event::default());
        assert_eq!(r.path, "");
        assert_eq!(r.body.as_deref(), Some(&b""[..]));
        let ev: Event = serde_json::from_value(serde_json::json!({
            "rawPath": "/a\u{0}<",
            "headers": { "X-Bad\u{1}": "v", "user-agent": "ua\u{7f}", "host": "h" },
            "cookies": ["a=1", "junk", "b=2; c=3"],
            "body": "%%%not base64",
            "isBase64Encoded": true,
            "requestContext": { "http": { "method": "G E T", "sourceIp": "1.2.3.4" } }
        }))
        .unwrap();
        let r = Req::from_event(ev);
        assert_eq!(r.path, "/a\u{0}<");
        assert!(r.body.is_none());
        assert_ne!(r.method, Method::GET);
        assert_eq!(r.header("host"), Some("h"));
        let names: Vec<_> = r.cookies.iter().map(|c| c.name().to_string()).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }
}
