//! What a handler needs from an incoming API Gateway (HTTP API v2) request,
//! extracted once.

use std::collections::HashMap;

use cookie::Cookie;
use http::{HeaderMap, Method};
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;

use crate::cookies;

#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
    pub cookies: Vec<Cookie<'static>>,
    pub body: Vec<u8>,
    /// Came over HTTPS (API Gateway sets `X-Forwarded-Proto: https`).
    pub secure: bool,
    /// As API Gateway saw it (`requestContext.http.sourceIp`), never
    /// `X-Forwarded-For`, which the client controls.
    pub source_ip: String,
    pub user_agent: String,
    pub request_id: String,
}

impl Req {
    pub fn from_lambda(req: lambda_http::Request) -> Self {
        let query = req
            .query_string_parameters_ref()
            .map(|q| {
                q.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let (source_ip, request_id) = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => (
                ctx.http.source_ip.clone().unwrap_or_default(),
                ctx.request_id.clone().unwrap_or_default(),
            ),
            _ => (String::new(), String::new()),
        };
        let (parts, body) = req.into_parts();
        let secure = parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        let user_agent = parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(256)
            .collect();
        Req {
            method: parts.method,
            path: parts.uri.path().to_string(),
            query,
            cookies: cookies::parse(&parts.headers),
            headers: parts.headers,
            body: body.to_vec(),
            secure,
            source_ip,
            user_agent,
            request_id,
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
            body: vec![],
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
}
