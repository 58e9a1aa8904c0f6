//! Account-name rules and case folding.

pub(crate) const USERNAME_MIN: usize = 3;
pub(crate) const USERNAME_MAX: usize = 50;
pub(crate) const EMAIL_MAX: usize = 120;

/// 3-50 ASCII letters, digits, `_`, `.`, `-`.
pub(crate) fn is_username(s: &str) -> bool {
    (USERNAME_MIN..=USERNAME_MAX).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// One `@`, a non-empty local part, a domain with a dot (not at either end),
/// no spaces or control characters, at most 120 characters.
pub(crate) fn is_email(s: &str) -> bool {
    if s.chars().count() > EMAIL_MAX || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let mut parts = s.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && deliverable(s)
}

/// What the mailer can send to: lettre's own parser (the one that builds
/// the message) accepts it, so `a..b@x.com` or `a(b@x.com` never register
/// only for every email to them to fail. ASCII only, and a host name, not
/// an address literal: SES takes no SMTPUTF8 local part, no un-encoded
/// international domain, no `[192.0.2.1]`.
fn deliverable(s: &str) -> bool {
    s.is_ascii() && !s.contains("@[") && s.parse::<lettre::Address>().is_ok()
}

/// The key a username is unique under: `Alice` and `alice` are one account.
pub(crate) fn username_key(username: &str) -> String {
    username.to_ascii_lowercase()
}

/// The key an email is unique under.
pub(crate) fn email_key(email: &str) -> String {
    email.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["abc", "Alice", "a.b-c_d", "x".repeat(50).as_str(), "007"] {
            assert!(is_username(ok), "{ok}");
        }
        for bad in [
            "ab",
            "",
            "a b",
            "al@ce",
            "älice",
            "x".repeat(51).as_str(),
            "a:b",
            "a/b",
        ] {
            assert!(!is_username(bad), "{bad}");
        }
    }

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "alice.smith+blog@example.org",
            "o'brien@example.ie",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        let long = format!("{}@example.com", "a".repeat(110));
        for bad in [
            "",
            "a",
            "@b.co",
            "a@b",
            "a@@b.co",
            "a@b@c.co",
            "a b@c.co",
            "a@b.co\n",
            "a@.co",
            "a@b.",
            "a@b..co",
            "a\t@b.co",
            long.as_str(),
            // Shaped like an address, but not one the mailer could send to.
            "a..b@x.com",
            "a(b@x.com",
            ".a@x.com",
            "a.@x.com",
            "a\"b@x.com",
            "a@[192.0.2.1]",
            "a@-x.com",
            "ü@exämple.de",
        ] {
            assert!(!is_email(bad), "{bad:?}");
        }
    }

    #[test]
    fn case_folding() {
        assert_eq!(username_key("Alice"), username_key("aLICE"));
        assert_eq!(email_key("Alice@Example.COM"), "alice@example.com");
    }
}
