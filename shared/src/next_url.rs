//! The `next` check: only a local path is ever followed after login.

/// `Some(path)` when `raw` is a local path that is safe to redirect to:
/// it starts with one `/`, has no `//` or `/\` prefix, no backslash at all
/// (browsers read it as `/`), no scheme or host, and only printable ASCII
/// (no spaces, tabs or control characters, leading, trailing or inside).
pub fn safe_next(raw: &str) -> Option<&str> {
    let bytes = raw.as_bytes();
    let local = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/') | Some(b'\\'))
        && bytes
            .iter()
            .all(|&b| (0x21..0x7f).contains(&b) && b != b'\\');
    local.then_some(raw)
}

/// Where to go after login: a safe `next`, or `/`.
pub fn target(raw: Option<&str>) -> &str {
    raw.and_then(safe_next).unwrap_or("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_followed() {
        for ok in [
            "/",
            "/account",
            "/account?tab=sessions#x",
            "/a/b/../c",
            "/login?next=%2F",
        ] {
            assert_eq!(target(Some(ok)), ok);
        }
    }

    #[test]
    fn everything_else_goes_home() {
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "https://evil.com",
            "http:/evil.com",
            "javascript:alert(1)",
            "\t/account",
            "/account\t",
            " /account",
            "/account ",
            "/acc\nount",
            "/acc\rount",
            "/a\\b",
            "/ä",
            "",
            "evil.com",
            "///evil.com",
        ] {
            assert_eq!(target(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(target(None), "/");
    }

    /// Pieces that make `next` values dangerous in some combination.
    fn piece() -> impl proptest::strategy::Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            "/",
            "//",
            "\\",
            "/\\",
            ":",
            "@",
            ".",
            "..",
            "evil.com",
            "a",
            "%2F",
            "%5C",
            "%2f",
            "\t",
            "\n",
            "\r",
            " ",
            "?",
            "#",
            "http:",
            "https:",
            "javascript:",
            "\u{0}",
            "\u{7f}",
            "\u{3000}",
            "\u{ff0f}",
            "\u{2044}",
            "[::1]",
            ":443",
            "user:pw@",
        ])
    }

    fn stays_on_the_site(raw: &str) -> Result<(), String> {
        let target = target(Some(raw));
        if target != raw && target != "/" {
            return Err(format!("{raw:?} became {target:?}"));
        }
        let base = url::Url::parse("https://site.example/login?next=x").unwrap();
        let url = base.join(target).map_err(|e| format!("{target:?}: {e}"))?;
        let same = url.scheme() == "https"
            && url.host_str() == Some("site.example")
            && url.port().is_none()
            && url.username().is_empty()
            && url.password().is_none();
        same.then_some(())
            .ok_or_else(|| format!("{raw:?} leads to {url}"))
    }

    proptest::proptest! {
        #[test]
        fn an_accepted_next_never_leaves_the_site(
            pieces in proptest::collection::vec(piece(), 0..8),
            tail in ".{0,6}",
        ) {
            let raw = pieces.concat() + &tail;
            proptest::prop_assert!(stays_on_the_site(&raw).is_ok(), "{:?}", stays_on_the_site(&raw));
        }

        #[test]
        fn any_text_as_next_never_leaves_the_site(raw in proptest::prelude::any::<String>()) {
            proptest::prop_assert!(stays_on_the_site(&raw).is_ok(), "{:?}", stays_on_the_site(&raw));
        }
    }

    #[test]
    fn the_property_catches_what_the_rule_refuses() {
        // The property itself, without the rule: each of these would leave.
        let base = url::Url::parse("https://site.example/login").unwrap();
        for raw in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "\\\\evil.com",
        ] {
            let url = base.join(raw).unwrap();
            assert_ne!(url.host_str(), Some("site.example"), "{raw:?}");
        }
    }
}
