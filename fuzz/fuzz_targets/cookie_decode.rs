//! Cookie headers and values: parsing, signature checks, session and flash
//! decoding never panic, and nothing unsigned is ever accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::cookies;
use shared::crypto::Keys;
use shared::{flash, session};

fuzz_target!(|data: &[u8]| {
    let keys = Keys::new(b"fuzz-secret-fuzz-secret-fuzz-secret!", None);
    let Ok(text) = std::str::from_utf8(data) else { return };
    for c in cookies::parse(&[text.to_string()]) {
        let _ = cookies::verify(&keys, &c);
        let _ = flash::count(&keys, Some(&c));
    }
    for name in ["session", "__Host-session", "flash"] {
        let c = cookie::Cookie::new(name, text);
        // Random input must never carry a valid signature.
        assert!(cookies::verify(&keys, &c).is_none());
        assert_eq!(flash::count(&keys, Some(&c)), 0);
    }
    if let Some((user, token)) = session::parse_cookie_value(text) {
        assert!(!user.is_empty() && token.len() == 43);
    }
    // A value we sign always verifies back to itself.
    let value = text.replace([';', ' ', '"', ',', '\\'], "");
    let signed = cookies::sign(&keys, cookies::build("session", value, false, None));
    assert!(cookies::verify(&keys, &signed).is_some());
});
