//! Cookie names, attributes, signing (with key rotation) and parsing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cookie::time::Duration;
use cookie::{Cookie, SameSite};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const SESSION: &str = "session";
pub const CSRF: &str = "csrf";
pub const FLASH: &str = "flash";

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Every key the service uses, derived once at init from the configured
/// secret(s), each for one purpose.
#[derive(Clone)]
pub struct Keys {
    signing: [u8; 32],
    previous_signing: Option<[u8; 32]>,
    pub csrf: [u8; 32],
    pub previous_csrf: Option<[u8; 32]>,
    /// Keys the HMAC of usernames in throttle counters and audit logs.
    pub pseudonym: [u8; 32],
}

/// The MAC of a cookie: it covers the name as well as the value, so a value
/// signed for one cookie is worthless in another.
fn cookie_mac(key: &[u8; 32], name: &str, value: &str) -> String {
    let msg = [name.as_bytes(), b"\0", value.as_bytes()].concat();
    URL_SAFE_NO_PAD.encode(hmac(key, &msg))
}

impl Keys {
    pub fn new(secret: &[u8], previous: Option<&[u8]>) -> Self {
        Keys {
            signing: hmac(secret, b"cookie-signing/v1"),
            previous_signing: previous.map(|p| hmac(p, b"cookie-signing/v1")),
            csrf: hmac(secret, b"csrf/v1"),
            previous_csrf: previous.map(|p| hmac(p, b"csrf/v1")),
            pseudonym: hmac(secret, b"pseudonym/v1"),
        }
    }

    /// Signs `cookie`: its value becomes `<value>.<HMAC-SHA256>`.
    pub fn sign(&self, mut cookie: Cookie<'static>) -> Cookie<'static> {
        let mac = cookie_mac(&self.signing, cookie.name(), cookie.value());
        let value = format!("{}.{mac}", cookie.value());
        cookie.set_value(value);
        cookie
    }

    /// The verified value of a signed cookie, under the current key or the
    /// previous one; `None` when tampered with or signed by an unknown key.
    /// The MAC is compared in constant time.
    pub fn verify(&self, cookie: &Cookie<'_>) -> Option<String> {
        let (value, mac) = cookie.value().rsplit_once('.')?;
        std::iter::once(&self.signing)
            .chain(self.previous_signing.as_ref())
            .any(|key| {
                let expected = cookie_mac(key, cookie.name(), value);
                bool::from(expected.as_bytes().ct_eq(mac.as_bytes()))
            })
            .then(|| value.to_string())
    }

    /// An HMAC of a person's name for logs and counters, so neither holds it
    /// in clear.
    pub fn pseudonym(&self, value: &str) -> String {
        hex(&hmac(&self.pseudonym, value.as_bytes())[..16])
    }
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// The name a cookie takes: `__Host-` prefixed when served over HTTPS, so a
/// sibling subdomain cannot plant it.
pub fn name(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

/// A cookie with the attributes every cookie of ours carries.
pub fn build(base: &str, value: String, secure: bool, max_age: Option<i64>) -> Cookie<'static> {
    let mut c = Cookie::build((name(base, secure), value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure);
    if let Some(secs) = max_age {
        c = c.max_age(Duration::seconds(secs));
    }
    c.build()
}

/// A cookie that tells the browser to drop `base`.
pub fn removal(base: &str, secure: bool) -> Cookie<'static> {
    let mut c = build(base, String::new(), secure, Some(0));
    c.set_expires(cookie::time::OffsetDateTime::UNIX_EPOCH);
    c
}

/// The request's cookies, from each `name=value[; …]` string (the event's
/// `cookies` and any `Cookie` header); malformed pairs are skipped rather
/// than failing the request.
pub fn parse(texts: &[String]) -> Vec<Cookie<'static>> {
    texts
        .iter()
        .flat_map(|v| {
            Cookie::split_parse(v.clone())
                .filter_map(Result::ok)
                .map(Cookie::into_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The first cookie named `base` (in its secure or plain form).
pub fn find<'a>(
    cookies: &'a [Cookie<'static>],
    base: &str,
    secure: bool,
) -> Option<&'a Cookie<'static>> {
    let wanted = name(base, secure);
    cookies.iter().find(|c| c.name() == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new(b"0123456789abcdef0123456789abcdef", None)
    }

    #[test]
    fn signed_cookie_round_trips() {
        let k = keys();
        let c = k.sign(build(SESSION, "alice:tok".into(), false, None));
        assert_ne!(c.value(), "alice:tok");
        assert_eq!(k.verify(&c).as_deref(), Some("alice:tok"));
    }

    #[test]
    fn tampered_cookie_is_rejected() {
        let k = keys();
        let c = k.sign(build(SESSION, "alice:tok".into(), false, None));
        let mut v = c.value().to_string();
        v.push('x');
        assert_eq!(k.verify(&Cookie::new(SESSION, v)), None);
        let forged = c.value().replace("alice", "mallory");
        assert_eq!(k.verify(&Cookie::new(SESSION, forged)), None);
        assert_eq!(k.verify(&Cookie::new(SESSION, "alice:tok")), None);
        assert_eq!(k.verify(&Cookie::new(SESSION, "")), None);
    }

    #[test]
    fn signature_is_bound_to_the_cookie_name() {
        let k = keys();
        let c = k.sign(build(FLASH, "hello".into(), false, None));
        assert_eq!(k.verify(&Cookie::new(SESSION, c.value().to_string())), None);
    }

    #[test]
    fn another_key_cannot_verify_but_a_previous_key_still_does() {
        let old = Keys::new(b"old-secret-old-secret-old-secret!", None);
        let c = old.sign(build(SESSION, "v".into(), false, None));
        assert_eq!(keys().verify(&c), None);
        let rotated = Keys::new(
            b"0123456789abcdef0123456789abcdef",
            Some(b"old-secret-old-secret-old-secret!"),
        );
        assert_eq!(rotated.verify(&c).as_deref(), Some("v"));
    }

    #[test]
    fn attributes_follow_the_scheme() {
        let plain = build(SESSION, "v".into(), false, None).to_string();
        assert!(plain.starts_with("session=v"));
        assert!(
            plain.contains("HttpOnly")
                && plain.contains("SameSite=Lax")
                && plain.contains("Path=/")
        );
        assert!(!plain.contains("Secure") && !plain.contains("Max-Age"));
        let secure = build(SESSION, "v".into(), true, Some(60)).to_string();
        assert!(secure.starts_with("__Host-session=v"));
        assert!(secure.contains("Secure") && secure.contains("Max-Age=60"));
        assert!(!secure.contains("Domain"));
    }

    #[test]
    fn parses_several_cookie_strings_and_skips_garbage() {
        let h = ["a=1; junk; b=2".to_string(), "c=3".to_string()];
        let names: Vec<_> = parse(&h).iter().map(|c| c.name().to_string()).collect();
        assert!(names.contains(&"a".to_string()) && names.contains(&"c".to_string()));
        assert!(names.contains(&"b".to_string()));
    }
}
