//! Building responses: every one gets the security headers, in one place.

use cookie::Cookie;
use http::{header, HeaderValue, Response, StatusCode};
use lambda_http::Body;

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

/// The final HTTP response: the reply plus headers every response carries.
pub fn finish(reply: Reply, secure: bool, style_src: &str) -> Response<Body> {
    let csp = format!(
        "default-src 'none'; style-src {style_src}; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    );
    let mut builder = Response::builder()
        .status(reply.status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, csp)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::REFERRER_POLICY, "same-origin")
        .header("cross-origin-opener-policy", "same-origin")
        // Pages show who is signed in and carry CSRF tokens: never cache.
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::VARY, "Cookie");
    if secure {
        builder = builder.header(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        );
    }
    if let Some(loc) = &reply.location {
        builder = builder.header(header::LOCATION, loc.as_str());
    }
    if let Some(allow) = reply.allow {
        builder = builder.header(header::ALLOW, allow);
    }
    if reply.clear_site_cookies {
        builder = builder.header("clear-site-data", "\"cookies\"");
    }
    for c in &reply.cookies {
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            builder = builder.header(header::SET_COOKIE, v);
        }
    }
    let body = match reply.html {
        Some(html) => Body::Text(html),
        None => Body::Empty,
    };
    builder.body(body).unwrap_or_else(|e| {
        // Only an invalid header value could fail; none of ours are.
        tracing::error!(error = %e, "response failed to build");
        let mut r = Response::new(Body::Text("Something went wrong.".into()));
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}
