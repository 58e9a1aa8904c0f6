//! Form bodies and content types: never a panic; what parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::forms;

fuzz_target!(|data: &[u8]| {
    if let Ok(form) = forms::parse(data) {
        for name in ["username", "password", "email", "csrf_token", "remember", "next"] {
            if let Some(v) = form.get(name) {
                assert!(v.len() <= forms::MAX_FIELD_BYTES);
                assert_eq!(forms::decode(forms::encode(v).as_bytes()).as_deref(), Ok(v));
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = forms::is_form_content_type(Some(s));
    }
});
