//! The `next` check, by its effect rather than its rule: whatever `target`
//! returns, resolved against the site's own address (WHATWG URL parsing,
//! as browsers resolve a `Location`), stays on the site: same scheme, same
//! host, same port, no credentials. And it is the input itself or `/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::next_url;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let target = next_url::target(Some(raw));
    assert!(target == raw || target == "/", "{raw:?} became {target:?}");
    let base = Url::parse("https://site.example/login?next=x").unwrap();
    let resolved = base
        .join(target)
        .unwrap_or_else(|e| panic!("{target:?} does not resolve: {e}"));
    assert_eq!(resolved.scheme(), "https", "{target:?} -> {resolved}");
    assert_eq!(resolved.host_str(), Some("site.example"), "{target:?} -> {resolved}");
    assert_eq!(resolved.port(), None, "{target:?} -> {resolved}");
    assert!(resolved.username().is_empty() && resolved.password().is_none(), "{target:?} -> {resolved}");
});
