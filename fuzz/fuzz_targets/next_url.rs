//! The `next` check: whatever it accepts is a local path that a browser
//! cannot read as another host.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::next_url;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let target = next_url::target(Some(raw));
    assert!(target.starts_with('/'));
    assert!(!target.starts_with("//") && !target.starts_with("/\\"));
    assert!(target.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'\\'));
    assert!(!target.contains("://") || target.find("://") > target.find('/'));
});
