//! The API Gateway HTTP API (payload 2.0) event and response, read and
//! written here rather than by `lambda_http`: it builds an `http::Uri` from
//! `rawPath` and `rawQueryString` and panics (`expect("failed to build
//! request")`) on what `Uri` refuses — a raw `"`, `<`, space, `{`, `^`,
//! non-ASCII or control byte, all of which API Gateway passes on as the
//! client sent them. With `panic = "abort"` one such URL killed a warm
//! instance. Here the path and query stay strings and every field is
//! optional, so no event can stop the function.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// The parts of a v2 event the service reads. Every field is an `Option`,
/// so an absent or `null` one is `None`; unknown fields are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Event {
    pub(crate) raw_path: Option<String>,
    pub(crate) raw_query_string: Option<String>,
    /// `name=value` pairs; API Gateway moves the `Cookie` header here.
    pub(crate) cookies: Option<Vec<String>>,
    /// Lower-cased names; repeated headers arrive comma-joined.
    pub(crate) headers: Option<HashMap<String, String>>,
    pub(crate) body: Option<String>,
    pub(crate) is_base64_encoded: Option<bool>,
    pub(crate) request_context: Option<RequestContext>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestContext {
    pub(crate) request_id: Option<String>,
    pub(crate) http: Option<HttpContext>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HttpContext {
    pub(crate) method: Option<String>,
    /// The address API Gateway saw the connection come from.
    pub(crate) source_ip: Option<String>,
}

impl Event {
    /// Reads an event from the JSON the runtime delivered; `None` when it
    /// is not shaped like an HTTP API event at all.
    pub(crate) fn from_json(value: serde_json::Value) -> Option<Self> {
        serde_json::from_value(value).ok()
    }
}

/// The v2 response: one value per header, `Set-Cookie`s in `cookies`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    pub status_code: u16,
    pub headers: BTreeMap<String, String>,
    pub cookies: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub is_base64_encoded: bool,
}

impl Response {
    /// A header's value (names are stored lower-cased).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_minimal_and_a_null_laden_event() {
        let e = Event::from_json(serde_json::json!({})).unwrap();
        assert!(e.raw_path.is_none());
        let e = Event::from_json(serde_json::json!({
            "rawPath": "/login", "rawQueryString": null, "cookies": null,
            "headers": null, "body": null, "isBase64Encoded": null,
            "requestContext": { "http": null }
        }))
        .unwrap();
        assert_eq!(e.raw_path.as_deref(), Some("/login"));
        assert!(Event::from_json(serde_json::json!("not an event")).is_none());
        assert!(Event::from_json(serde_json::json!({ "rawPath": 5 })).is_none());
    }

    #[test]
    fn raw_characters_survive_as_text() {
        let e = Event::from_json(serde_json::json!({
            "rawPath": "/lo gin<\"é\u{1}",
            "rawQueryString": "next=/a b{|}^`\u{7f}",
        }))
        .unwrap();
        assert_eq!(e.raw_path.as_deref(), Some("/lo gin<\"é\u{1}"));
        assert!(e.raw_query_string.unwrap().contains('{'));
    }
}
