//! Strict `application/x-www-form-urlencoded` parsing: malformed escapes,
//! invalid UTF-8, repeated or oversized fields are errors, never guesses.

use std::collections::HashMap;

/// Bodies larger than this (after base64 decoding) get 413.
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024;
/// Longest value any field of ours accepts (a password is at most 128
/// characters, 512 bytes of UTF-8).
pub const MAX_FIELD_BYTES: usize = 1024;
/// The one exception: a passkey's `credential` (WebAuthn JSON: the
/// attestation or assertion, 1-3 KB from a browser), within the body's
/// limit.
pub const MAX_CREDENTIAL_BYTES: usize = 12 * 1024;

/// The longest value the field `name` accepts.
fn limit(name: &str) -> usize {
    if name == "credential" {
        MAX_CREDENTIAL_BYTES
    } else {
        MAX_FIELD_BYTES
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormError {
    #[error("The form data is malformed.")]
    Malformed,
    #[error("The form data is not valid UTF-8.")]
    InvalidUtf8,
    #[error("The field \"{0}\" was sent more than once.")]
    Repeated(String),
    #[error("The field \"{0}\" is too long.")]
    TooLong(String),
}

#[derive(Debug, Default, Clone)]
pub struct Form {
    fields: HashMap<String, String>,
}

impl Form {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// A field's value, or "" when absent.
    pub(crate) fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// An HTML checkbox: present with any value but "" / "off" / "false".
    pub(crate) fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), Some(v) if !matches!(v, "" | "off" | "false" | "0"))
    }
}

/// Whether a `Content-Type` header names a URL-encoded form.
pub fn is_form_content_type(value: Option<&str>) -> bool {
    let Some(v) = value else { return false };
    let mut parts = v.split(';');
    let essence = parts.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return false;
    }
    // Only UTF-8 (or no charset) is accepted.
    parts.all(|p| {
        let p = p.trim();
        match p.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            _ => true,
        }
    })
}

pub fn parse(body: &[u8]) -> Result<Form, FormError> {
    let mut fields = HashMap::new();
    for pair in body.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        let name = decode(name)?;
        let value = decode(value)?;
        if value.len() > limit(&name) {
            return Err(FormError::TooLong(printable(&name)));
        }
        if fields.contains_key(&name) {
            return Err(FormError::Repeated(printable(&name)));
        }
        fields.insert(name, value);
    }
    Ok(Form { fields })
}

/// Decodes one name or value: `+` is a space, `%XX` a byte; anything else
/// malformed is an error.
pub fn decode(input: &[u8]) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = input.get(i + 1).and_then(|b| hex_val(*b));
                let lo = input.get(i + 2).and_then(|b| hex_val(*b));
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(FormError::Malformed),
                }
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| FormError::InvalidUtf8)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A field name safe to quote back in a message.
fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(40).collect()
}

/// Percent-encodes a value for a URL query (RFC 3986 unreserved kept).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_browser_form() {
        let f =
            parse(b"username=Alice&email=a%40b.co&password=p%26ss+word%3D1&remember=on").unwrap();
        assert_eq!(f.get("username"), Some("Alice"));
        assert_eq!(f.get("email"), Some("a@b.co"));
        assert_eq!(f.get("password"), Some("p&ss word=1"));
        assert!(f.checked("remember"));
        assert!(!f.checked("missing"));
        assert_eq!(f.text("missing"), "");
    }

    #[test]
    fn keeps_unicode_and_surrounding_spaces() {
        let f = parse("password=%20p%C3%A4ss%20".as_bytes()).unwrap();
        assert_eq!(f.get("password"), Some(" päss "));
        // Hex digits in either case, as RFC 3986 allows.
        let f = parse(b"password=p%c3%a4ss").unwrap();
        assert_eq!(f.get("password"), Some("päss"));
        let f = parse("name=caf\u{e9}".as_bytes()).unwrap();
        assert_eq!(f.get("name"), Some("café"));
    }

    #[test]
    fn empty_pieces_and_bare_names() {
        let f = parse(b"&&a&b=&").unwrap();
        assert_eq!(f.get("a"), Some(""));
        assert_eq!(f.get("b"), Some(""));
        assert!(parse(b"").unwrap().get("a").is_none());
    }

    #[test]
    fn rejects_malformed_escapes() {
        for bad in [&b"a=%"[..], b"a=%4", b"a=%zz", b"a%=1", b"a=%G0"] {
            assert_eq!(parse(bad).unwrap_err(), FormError::Malformed, "{bad:?}");
        }
    }

    #[test]
    fn rejects_invalid_utf8() {
        assert_eq!(parse(b"a=%FF").unwrap_err(), FormError::InvalidUtf8);
        assert_eq!(parse(b"a=\xff").unwrap_err(), FormError::InvalidUtf8);
        assert_eq!(parse(b"a=%C3").unwrap_err(), FormError::InvalidUtf8);
    }

    #[test]
    fn rejects_repeated_and_oversized_fields() {
        assert_eq!(
            parse(b"username=a&username=b").unwrap_err(),
            FormError::Repeated("username".into())
        );
        let long = format!("password={}", "x".repeat(MAX_FIELD_BYTES + 1));
        assert_eq!(
            parse(long.as_bytes()).unwrap_err(),
            FormError::TooLong("password".into())
        );
        // The limit itself is allowed, counted in decoded bytes.
        let credential = format!("credential={}", "x".repeat(MAX_CREDENTIAL_BYTES));
        assert!(parse(credential.as_bytes()).is_ok());
        let credential = format!("credential={}", "x".repeat(MAX_CREDENTIAL_BYTES + 1));
        assert!(parse(credential.as_bytes()).is_err());
        let at_limit = format!("password={}", "%41".repeat(MAX_FIELD_BYTES));
        let form = parse(at_limit.as_bytes()).unwrap();
        assert_eq!(form.text("password").len(), MAX_FIELD_BYTES);
    }

    #[test]
    fn text_is_the_value_or_empty() {
        let form = parse(b"username=alice&empty=").unwrap();
        assert_eq!(form.text("username"), "alice");
        assert_eq!(form.text("empty"), "");
        assert_eq!(form.text("absent"), "");
    }

    #[test]
    fn content_types() {
        assert!(is_form_content_type(Some(
            "application/x-www-form-urlencoded"
        )));
        assert!(is_form_content_type(Some(
            "Application/X-WWW-Form-URLEncoded; charset=UTF-8"
        )));
        assert!(!is_form_content_type(Some(
            "application/x-www-form-urlencoded; charset=latin1"
        )));
        // Only the charset is judged; other parameters pass.
        assert!(is_form_content_type(Some(
            "application/x-www-form-urlencoded; version=1"
        )));
        assert!(!is_form_content_type(Some(
            "multipart/form-data; boundary=x"
        )));
        assert!(!is_form_content_type(Some("application/json")));
        assert!(!is_form_content_type(None));
    }

    #[test]
    fn encode_round_trips() {
        let s = "/account?x=1&y=ä b";
        assert_eq!(decode(encode(s).as_bytes()).unwrap(), s);
        assert_eq!(encode("/account"), "%2Faccount");
    }
}
