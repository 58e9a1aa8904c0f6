//! Cookie names, attributes, signing (with key rotation) and parsing.

use cookie::time::Duration;
use cookie::{Cookie, SameSite};

use crate::crypto::Keys;

pub(crate) const SESSION: &str = "session";
pub(crate) const CSRF: &str = "csrf";
pub(crate) const FLASH: &str = "flash";
/// Holds a reset link's token once it has left the URL (`web::reset`).
pub(crate) const RESET: &str = "reset";
/// The device cookie (`device.rs`): long-lived, signed, per account.
pub(crate) const DEVICE: &str = "device";
/// A trusted browser (two-factor sign-in skips the code): 30 days.
pub(crate) const TRUSTED: &str = "trusted";
/// A sign-in waiting for its code: 5 minutes.
pub(crate) const PENDING: &str = "pending";

/// What a cookie's MAC covers: the name as well as the value, so a value
/// signed for one cookie is worthless in another.
fn signed_message(name: &str, value: &str) -> Vec<u8> {
    [name.as_bytes(), b"\0", value.as_bytes()].concat()
}

/// Signs `cookie`: its value becomes `<value>.<HMAC-SHA256>`.
pub fn sign(keys: &Keys, mut cookie: Cookie<'static>) -> Cookie<'static> {
    let mac = keys
        .signing
        .mac(&signed_message(cookie.name(), cookie.value()));
    let value = format!("{}.{mac}", cookie.value());
    cookie.set_value(value);
    cookie
}

/// The verified value of a signed cookie, under the current key or the
/// previous one; `None` when tampered with or signed by an unknown key.
pub fn verify(keys: &Keys, cookie: &Cookie<'_>) -> Option<String> {
    let (value, mac) = cookie.value().rsplit_once('.')?;
    keys.signing
        .verify(&signed_message(cookie.name(), value), mac)
        .then(|| value.to_string())
}

/// The name a cookie takes: `__Host-` prefixed when served over HTTPS, so a
/// sibling subdomain cannot plant it.
pub(crate) fn name(base: &str, secure: bool) -> String {
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
pub(crate) fn removal(base: &str, secure: bool) -> Cookie<'static> {
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
pub(crate) fn find<'a>(
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

    use crate::crypto::test_keys as keys;

    #[test]
    fn signed_cookie_round_trips() {
        let k = keys();
        let c = sign(&k, build(SESSION, "alice:tok".into(), false, None));
        assert_ne!(c.value(), "alice:tok");
        assert_eq!(verify(&k, &c).as_deref(), Some("alice:tok"));
    }

    #[test]
    fn tampered_cookie_is_rejected() {
        let k = keys();
        let c = sign(&k, build(SESSION, "alice:tok".into(), false, None));
        let mut v = c.value().to_string();
        v.push('x');
        assert_eq!(verify(&k, &Cookie::new(SESSION, v)), None);
        let forged = c.value().replace("alice", "mallory");
        assert_eq!(verify(&k, &Cookie::new(SESSION, forged)), None);
        assert_eq!(verify(&k, &Cookie::new(SESSION, "alice:tok")), None);
        assert_eq!(verify(&k, &Cookie::new(SESSION, "")), None);
    }

    #[test]
    fn signature_is_bound_to_the_cookie_name() {
        let k = keys();
        let c = sign(&k, build(FLASH, "hello".into(), false, None));
        assert_eq!(
            verify(&k, &Cookie::new(SESSION, c.value().to_string())),
            None
        );
    }

    #[test]
    fn another_key_cannot_verify_but_a_previous_key_still_does() {
        let old = Keys::new(b"old-secret-old-secret-old-secret!", None);
        let c = sign(&old, build(SESSION, "v".into(), false, None));
        assert_eq!(verify(&keys(), &c), None);
        let rotated = Keys::new(
            b"0123456789abcdef0123456789abcdef",
            Some(b"old-secret-old-secret-old-secret!"),
        );
        assert_eq!(verify(&rotated, &c).as_deref(), Some("v"));
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
