//! Cookie headers and values: parsing, signature checks, session and flash
//! decoding never panic, and nothing unsigned is ever accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::cookies::{self, Keys};
use shared::{flash, session};

fuzz_target!(|data: &[u8]| {
    let keys = Keys::new(b"fuzz-secret-fuzz-secret-fuzz-secret!", None);
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(value) = http::HeaderValue::from_str(text) {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::COOKIE, value);
        for c in cookies::parse(&headers) {
            let _ = keys.verify(&c);
            let _ = flash::read(&keys, Some(&c));
        }
    }
    for name in ["session", "__Host-session", "flash"] {
        let c = cookie::Cookie::new(name, text);
        // Random input must never carry a valid signature.
        assert!(keys.verify(&c).is_none());
        assert!(flash::read(&keys, Some(&c)).is_empty());
    }
    if let Some((user, token)) = session::parse_cookie_value(text) {
        assert!(!user.is_empty() && token.len() == 43);
    }
    // A value we sign always verifies back to itself.
    let signed = keys.sign(cookies::build("session", text.replace([';', ' ', '"', ',', '\\'], ""), false, None));
    assert!(keys.verify(&signed).is_some());
});
