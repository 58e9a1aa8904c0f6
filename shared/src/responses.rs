//! Building responses: every one gets the security headers, in one place.

use std::collections::BTreeMap;

use cookie::Cookie;
use http::StatusCode;

use crate::event::Response;

/// A response before the common headers are added.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub html: Option<String>,
    pub location: Option<String>,
    pub cookies: Vec<Cookie<'static>>,
    pub clear_site_cookies: bool,
    pub allow: Option<&'static str>,
}

impl Reply {
    pub fn page(status: StatusCode, html: String) -> Self {
        Reply {
            status,
            html: Some(html),
            location: None,
            cookies: Vec::new(),
            clear_site_cookies: false,
            allow: None,
        }
    }

    /// `303 See Other` to a local path.
    pub fn redirect(location: impl Into<String>) -> Self {
        Reply {
            status: StatusCode::SEE_OTHER,
            html: None,
            location: Some(location.into()),
            cookies: Vec::new(),
            clear_site_cookies: false,
            allow: None,
        }
    }

    pub fn cookie(mut self, c: Cookie<'static>) -> Self {
        self.cookies.push(c);
        self
    }

    pub fn is_redirect(&self) -> bool {
        self.location.is_some()
    }
}

/// The final v2 response: the reply plus headers every response carries.
pub fn finish(reply: Reply, secure: bool, style_src: &str) -> Response {
    let csp = format!(
        "default-src 'none'; style-src {style_src}; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    );
    let mut headers: BTreeMap<String, String> = [
        ("content-type", "text/html; charset=utf-8".to_string()),
        ("content-security-policy", csp),
        ("x-content-type-options", "nosniff".into()),
        ("x-frame-options", "DENY".into()),
        ("referrer-policy", "same-origin".into()),
        ("cross-origin-opener-policy", "same-origin".into()),
        // Pages show who is signed in and carry CSRF tokens: never cache.
        ("cache-control", "no-store".into()),
        ("vary", "Cookie".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if secure {
        headers.insert(
            "strict-transport-security".into(),
            "max-age=63072000; includeSubDomains".into(),
        );
    }
    if let Some(loc) = reply.location {
        headers.insert("location".into(), loc);
    }
    if let Some(allow) = reply.allow {
        headers.insert("allow".into(), allow.into());
    }
    if reply.clear_site_cookies {
        headers.insert("clear-site-data".into(), "\"cookies\"".into());
    }
    Response {
        status_code: reply.status.as_u16(),
        headers,
        cookies: reply.cookies.iter().map(|c| c.to_string()).collect(),
        body: reply.html,
        is_base64_encoded: false,
    }
}
