//! What a handler answers, built with a few methods, and the one place
//! that turns it into the v2 response with the headers every response
//! carries.

use std::collections::BTreeMap;

use cookie::Cookie;
use http::StatusCode;

use crate::gateway::event::Response;

/// A response before the common headers are added.
#[derive(Debug)]
pub(crate) struct Reply {
    status: StatusCode,
    body: Body,
    cookies: Vec<Cookie<'static>>,
    clear_site_data: bool,
    allow: Option<String>,
}

#[derive(Debug)]
enum Body {
    Page(String),
    /// `303 See Other` to this local path.
    Redirect(String),
}

impl Reply {
    fn new(status: StatusCode, body: Body) -> Self {
        Reply {
            status,
            body,
            cookies: Vec::new(),
            clear_site_data: false,
            allow: None,
        }
    }

    pub(crate) fn page(status: StatusCode, html: String) -> Self {
        Reply::new(status, Body::Page(html))
    }

    /// `303 See Other` to a local path.
    pub(crate) fn redirect(location: impl Into<String>) -> Self {
        Reply::new(StatusCode::SEE_OTHER, Body::Redirect(location.into()))
    }

    pub(crate) fn cookie(mut self, c: Cookie<'static>) -> Self {
        self.cookies.push(c);
        self
    }

    pub(crate) fn cookies(mut self, cs: impl IntoIterator<Item = Cookie<'static>>) -> Self {
        self.cookies.extend(cs);
        self
    }

    /// Adds `Clear-Site-Data: "cookies"`.
    pub(crate) fn clear_site_data(mut self, clear: bool) -> Self {
        self.clear_site_data |= clear;
        self
    }

    /// The `Allow` header of a 405.
    pub(crate) fn allow(mut self, methods: String) -> Self {
        self.allow = Some(methods);
        self
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn is_redirect(&self) -> bool {
        matches!(self.body, Body::Redirect(_))
    }

    /// Whether the reply sets (or drops) the cookie called `name`.
    pub(crate) fn sets_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|c| c.name() == name)
    }

    /// The final v2 response: the reply plus the headers every response
    /// carries.
    pub(crate) fn finish(self, secure: bool, sources: &Sources<'_>) -> Response {
        let mut headers = security_headers(secure, sources);
        let body = match self.body {
            Body::Page(html) => Some(html),
            Body::Redirect(location) => {
                headers.insert("location".into(), location);
                None
            }
        };
        if let Some(allow) = self.allow {
            headers.insert("allow".into(), allow);
        }
        if self.clear_site_data {
            headers.insert("clear-site-data".into(), "\"cookies\"".into());
        }
        Response {
            status_code: self.status.as_u16(),
            headers,
            cookies: self.cookies.iter().map(|c| c.to_string()).collect(),
            body,
            is_base64_encoded: false,
        }
    }
}

/// The CSP sources of our inline stylesheet and script (their hashes).
pub(crate) struct Sources<'a> {
    pub(crate) style: &'a str,
    pub(crate) script: &'a str,
}

/// The headers on every response, error pages and redirects included.
fn security_headers(secure: bool, sources: &Sources<'_>) -> BTreeMap<String, String> {
    let (style, script) = (sources.style, sources.script);
    let csp = format!(
        "default-src 'none'; style-src {style}; script-src {script}; img-src 'self' data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
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
    headers
}
