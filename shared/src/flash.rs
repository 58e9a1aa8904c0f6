//! Flash messages: set on a redirect, shown once by the next page. They
//! travel in a signed cookie, as Flask's and Rails' do, as typed notices.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cookie::Cookie;

use crate::cookies;
use crate::crypto::Keys;
use crate::messages::Notice;

/// The signed cookie carrying `notices` to the next page.
pub(crate) fn cookie(keys: &Keys, notices: &[Notice], secure: bool) -> Cookie<'static> {
    let json = serde_json::to_vec(notices).unwrap_or_default();
    cookies::sign(
        keys,
        cookies::build(cookies::FLASH, URL_SAFE_NO_PAD.encode(json), secure, None),
    )
}

/// How many notices the request's flash cookie carries; 0 when absent,
/// tampered with or malformed. (The fuzz target's view of `read`.)
pub fn count(keys: &Keys, cookie: Option<&Cookie<'_>>) -> usize {
    read(keys, cookie).len()
}

/// The notices in the request's flash cookie; nothing when absent, tampered
/// with or malformed.
pub(crate) fn read(keys: &Keys, cookie: Option<&Cookie<'_>>) -> Vec<Notice> {
    cookie
        .and_then(|c| cookies::verify(keys, c))
        .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let k = crate::crypto::test_keys();
        let msgs = vec![
            Notice::WelcomeBack {
                username: "Alice".into(),
            },
            Notice::Registered {
                username: "<b>hi</b>; x=1".into(),
            },
        ];
        let c = cookie(&k, &msgs, false);
        assert_eq!(read(&k, Some(&c)), msgs);
        let forged = Cookie::new("flash", URL_SAFE_NO_PAD.encode(b"[\"LoggedOut\"]"));
        assert!(read(&k, Some(&forged)).is_empty());
        assert!(read(&k, None).is_empty());
    }
}
