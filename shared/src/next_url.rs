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
}
