//! Session tokens and lifetimes. The browser holds `account_id:token` in a
//! signed cookie (the account's random id: never its name or address);
//! the server stores only SHA-256(token), in the account's partition, so
//! one consistent read finds a session and one `Query` lists them all.

use crate::crypto::random_b64;

/// Without "remember me": 2 hours without a request...
pub(crate) const IDLE_SECS: i64 = 2 * 60 * 60;
/// ...or 24 hours in all, whichever comes first.
pub(crate) const ABSOLUTE_SECS: i64 = 24 * 60 * 60;
/// With "remember me": the cookie and the session live 30 days.
pub(crate) const REMEMBER_SECS: i64 = 30 * 24 * 60 * 60;
/// `last_seen` is written at most this often, so page views rarely write.
const TOUCH_EVERY_SECS: i64 = 5 * 60;

const TOKEN_BYTES: usize = 32;

/// A fresh 256-bit session token.
pub(crate) fn new_token() -> String {
    random_b64(TOKEN_BYTES)
}

/// The public id of a session, shown on /account and used to end it; it is
/// unrelated to the token.
pub(crate) fn new_public_id() -> String {
    random_b64(12)
}

/// An account's session cap: a sign-in beyond it ends the oldest.
pub(crate) const MAX_LIVE: usize = 100;

pub(crate) fn cookie_value(account_id: &str, token: &str) -> String {
    format!("{account_id}:{token}")
}

/// Splits a verified cookie value back into `(account_id, token)`,
/// refusing anything that a cookie of ours could not hold.
pub fn parse_cookie_value(value: &str) -> Option<(&str, &str)> {
    let (account_id, token) = value.split_once(':')?;
    let ok = crate::crypto::is_random_b64_16(account_id) && crate::crypto::is_link_token(token);
    ok.then_some((account_id, token))
}

/// When a session ends if it sees no further request.
pub(crate) fn expires_at(created_at: i64, last_seen: i64, remember: bool) -> i64 {
    if remember {
        created_at + REMEMBER_SECS
    } else {
        (last_seen + IDLE_SECS).min(created_at + ABSOLUTE_SECS)
    }
}

/// Whether a request at `now` should record itself as the session's last use.
pub(crate) fn needs_touch(last_seen: i64, now: i64) -> bool {
    now - last_seen >= TOUCH_EVERY_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 43); // 256 bits
        assert_ne!(a, b);
        assert_ne!(crate::crypto::token_hash(&a), a);
        assert_eq!(crate::crypto::token_hash(&a).len(), 64);
        assert_ne!(new_public_id(), new_public_id());
    }

    const ACCOUNT: &str = "AbCdEfGhIjKlMnOpQrStUv";

    #[test]
    fn cookie_value_round_trips_and_rejects_junk() {
        let t = new_token();
        let v = cookie_value(ACCOUNT, &t);
        assert_eq!(parse_cookie_value(&v), Some((ACCOUNT, t.as_str())));
        assert_eq!(parse_cookie_value(ACCOUNT), None);
        assert_eq!(parse_cookie_value(&format!("{ACCOUNT}:short")), None);
        assert_eq!(parse_cookie_value(&format!("a b:{t}")), None);
        assert_eq!(parse_cookie_value(&format!(":{t}")), None);
        // A name is not an account id: the old `username:token` shape.
        assert_eq!(parse_cookie_value(&format!("alice:{t}")), None);
        assert_eq!(parse_cookie_value(&format!("{ACCOUNT}:{t}:x")), None);
    }

    #[test]
    fn lifetimes() {
        // Idle: 2 h after the last request...
        assert_eq!(expires_at(0, 0, false), IDLE_SECS);
        // ...capped at 24 h in all.
        assert_eq!(expires_at(0, 23 * 3600, false), ABSOLUTE_SECS);
        // Remembered: 30 days from login, whatever the activity.
        assert_eq!(expires_at(0, 29 * 86400, true), REMEMBER_SECS);
        assert!(!needs_touch(0, 299));
        assert!(needs_touch(0, 300));
    }

    #[test]
    fn lifetimes_are_the_documented_numbers() {
        // SECURITY.md's numbers, as literals: 2 h idle, 24 h in all,
        // 30 days remembered, last_seen written every 5 minutes.
        assert_eq!(IDLE_SECS, 7_200);
        assert_eq!(ABSOLUTE_SECS, 86_400);
        assert_eq!(REMEMBER_SECS, 2_592_000);
        assert_eq!(expires_at(1_000, 1_000, false), 8_200);
        assert_eq!(expires_at(1_000, 90_000, false), 87_400);
        assert_eq!(expires_at(1_000, 90_000, true), 2_593_000);
        // Measured from the last request, not from zero.
        assert!(!needs_touch(10_000, 10_299));
        assert!(needs_touch(10_000, 10_300));
        assert!(!needs_touch(10_000, 10_000));
    }

    #[test]
    fn token_characters_are_base64url_only() {
        for token in ["-".repeat(43), "_".repeat(43), "aZ09".repeat(10) + "-_a"] {
            let v = cookie_value(ACCOUNT, &token);
            assert_eq!(
                parse_cookie_value(&v),
                Some((ACCOUNT, token.as_str())),
                "{token}"
            );
        }
        for bad in [
            "+".repeat(43),
            "/".repeat(43),
            "=".repeat(43),
            ".".repeat(43),
        ] {
            assert_eq!(
                parse_cookie_value(&cookie_value(ACCOUNT, &bad)),
                None,
                "{bad}"
            );
        }
    }
}
