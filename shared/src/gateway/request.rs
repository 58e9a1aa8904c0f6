//! The incoming request, read once: what API Gateway (HTTP API v2) sent,
//! with our three cookies already checked and decoded into typed values.
//! Nothing here can fail: odd input becomes an empty or absent value that
//! the handlers answer with a page.

use std::collections::HashMap;

use base64::Engine;
use cookie::Cookie;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::cookies;
use crate::crypto::{self, Keys};
use crate::device::Device;
use crate::flash;
use crate::forms;
use crate::gateway::event::Event;
use crate::messages::Notice;
use crate::session;

/// The session cookie, as the request carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SessionCookie {
    Absent,
    /// Present but not one of ours: tampered with, signed by an unknown key
    /// or malformed. The reply drops it.
    Invalid,
    /// Correctly signed: the account's id, and the session's token.
    Signed {
        account_id: String,
        token: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: HashMap<String, String>,
    headers: HeaderMap,
    /// `None` when the event's base64 body does not decode.
    pub(crate) body: Option<Vec<u8>>,
    /// Served over HTTPS: decided by where the event came from (the app's
    /// configuration), never by a header the client could send.
    pub(crate) secure: bool,
    /// As API Gateway saw it (`requestContext.http.sourceIp`), never
    /// `X-Forwarded-For`, which the client controls.
    pub(crate) source_ip: String,
    pub(crate) user_agent: String,
    pub(crate) request_id: String,
    pub(crate) session: SessionCookie,
    /// The anonymous browser's `csrf` cookie value, when well-formed.
    pub(crate) browser: Option<String>,
    /// The flash cookie's notices; `None` when the request had no flash
    /// cookie (a tampered one reads as `Some` of nothing).
    pub(crate) flash: Option<Vec<Notice>>,
    /// The reset link's token and when it left the URL, from its signed
    /// cookie (`web::reset`).
    pub(crate) reset: Option<(String, i64)>,
    /// The device cookie, when correctly signed and shaped.
    pub(crate) device: Option<Device>,
    /// The trusted-browser cookie's `(account_id, token)`, when signed.
    pub(crate) trusted: Option<(String, String)>,
    /// The pending sign-in cookie's `(account_id, token)`, when signed.
    pub(crate) pending: Option<(String, String)>,
    /// Where a visitor sent to log in from here comes back to: set by the
    /// router from the route (`Route::back`).
    pub(crate) back: &'static str,
}

impl Req {
    /// Reads the event. `secure`: it came over HTTPS, which every API
    /// Gateway event did (`X-Forwarded-Proto` is not consulted: the
    /// client can send it too); only the plain-HTTP local server says no.
    pub(crate) fn from_event(event: Event, keys: &Keys, secure: bool) -> Self {
        let ctx = event.request_context.unwrap_or_default();
        let http = ctx.http.unwrap_or_default();
        // A method API Gateway would never send still makes a `Method`
        // (any token does), which no route accepts: 405, not a failure.
        let method = http
            .method
            .as_deref()
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
            .unwrap_or_else(|| Method::from_bytes(b"INVALID").unwrap_or(Method::GET));
        let headers = header_map(event.headers.unwrap_or_default());
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
        let user_agent = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(256)
            .collect();
        let jar = cookies::parse(&cookie_text);
        let find = |base| cookies::find(&jar, base, secure);
        Req {
            method,
            path: event.raw_path.unwrap_or_default(),
            query: parse_query(event.raw_query_string.as_deref().unwrap_or("")),
            session: session_cookie(keys, find(cookies::SESSION)),
            browser: find(cookies::CSRF)
                .map(|c| c.value().to_string())
                .filter(|v| crypto::is_random_b64_16(v)),
            flash: find(cookies::FLASH).map(|c| flash::read(keys, Some(c))),
            reset: find(cookies::RESET)
                .and_then(|c| cookies::verify(keys, c))
                .and_then(|v| reset_cookie(&v)),
            device: find(cookies::DEVICE)
                .and_then(|c| cookies::verify(keys, c))
                .and_then(|v| Device::parse(&v)),
            trusted: account_token(keys, find(cookies::TRUSTED)),
            pending: account_token(keys, find(cookies::PENDING)),
            headers,
            body,
            secure,
            back: "/",
            source_ip: http.source_ip.unwrap_or_default(),
            user_agent,
            request_id: ctx.request_id.unwrap_or_default(),
        }
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A top-level browser navigation (a followed link or a submitted form).
    pub(crate) fn is_navigation(&self) -> bool {
        self.header("sec-fetch-mode")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("navigate"))
    }

    /// Whether the browser says this POST came from another site: either
    /// `Sec-Fetch-Site: cross-site`, or an `Origin` that is not this host.
    pub(crate) fn is_cross_site(&self) -> bool {
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

/// The event's headers; a name or value `http` refuses is left out.
fn header_map(raw: HashMap<String, String>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (k, v) in raw {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            headers.append(k, v);
        }
    }
    headers
}

/// The reset cookie's `token:issued_at`, if shaped as ours.
fn reset_cookie(value: &str) -> Option<(String, i64)> {
    let (token, issued) = value.split_once(':')?;
    let issued = issued.parse().ok()?;
    crypto::is_link_token(token).then(|| (token.to_string(), issued))
}

/// A signed `account_id:token` cookie's two parts (the trusted-browser and
/// pending sign-in cookies are shaped like the session's).
fn account_token(keys: &Keys, cookie: Option<&Cookie<'static>>) -> Option<(String, String)> {
    let value = cookies::verify(keys, cookie?)?;
    let (account_id, token) = session::parse_cookie_value(&value)?;
    Some((account_id.to_string(), token.to_string()))
}

/// The session cookie's `(account_id, token)` if correctly signed and shaped.
fn session_cookie(keys: &Keys, cookie: Option<&Cookie<'static>>) -> SessionCookie {
    let Some(cookie) = cookie else {
        return SessionCookie::Absent;
    };
    cookies::verify(keys, cookie)
        .and_then(|value| {
            session::parse_cookie_value(&value).map(|(account_id, token)| SessionCookie::Signed {
                account_id: account_id.to_string(),
                token: token.to_string(),
            })
        })
        .unwrap_or(SessionCookie::Invalid)
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

    use crate::crypto::test_keys as keys;

    fn req(headers: &[(&str, &str)]) -> Req {
        let headers: HashMap<String, String> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let ev: Event = serde_json::from_value(serde_json::json!({
            "rawPath": "/login", "headers": headers,
            "requestContext": { "http": { "method": "POST", "sourceIp": "1.2.3.4" } }
        }))
        .unwrap();
        Req::from_event(ev, &keys(), true)
    }

    #[test]
    fn scheme_comes_from_the_caller_not_a_header() {
        let forged = req(&[("x-forwarded-proto", "http")]);
        assert!(forged.secure);
        let ev: Event = serde_json::from_value(serde_json::json!({
            "headers": { "x-forwarded-proto": "https" }
        }))
        .unwrap();
        assert!(!Req::from_event(ev, &keys(), false).secure);
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
        let r = Req::from_event(Event::default(), &keys(), true);
        assert_eq!(r.path, "");
        assert_eq!(r.body.as_deref(), Some(&b""[..]));
        let ev: Event = serde_json::from_value(serde_json::json!({
            "rawPath": "/a\u{0}<",
            "headers": { "X-Bad\u{1}": "v", "user-agent": "ua\u{7f}", "host": "h" },
            "cookies": ["a=1", "junk", "b=2; csrf=abcdefghijklmnopqrstuv", "flash=x"],
            "body": "%%%not base64",
            "isBase64Encoded": true,
            "requestContext": { "http": { "method": "G E T", "sourceIp": "1.2.3.4" } }
        }))
        .unwrap();
        // The plain-HTTP names: the local server's.
        let r = Req::from_event(ev, &keys(), false);
        assert_eq!(r.path, "/a\u{0}<");
        assert!(r.body.is_none());
        assert_ne!(r.method, Method::GET);
        assert_eq!(r.header("host"), Some("h"));
        // Cookies are read from every string, past the junk.
        assert_eq!(r.browser.as_deref(), Some("abcdefghijklmnopqrstuv"));
        assert_eq!(r.flash, Some(vec![]), "an unsigned flash reads as empty");
        assert_eq!(r.session, SessionCookie::Absent);
    }
}
