//! The device cookie (OWASP's "device cookie" against lockout abuse): set
//! when a browser signs in to an account, it names that account and a
//! random device id, signed like every cookie of ours. A browser that
//! presents a valid one for the account it tries is counted on that
//! device's own failed-login counter instead of the username's, so others'
//! guesses at the name (which lock the username) do not lock it out.

use crate::crypto::{self, random_b64};
use crate::validate;

/// A year: the device is recognised for as long as it keeps signing in.
pub(crate) const DEVICE_SECS: i64 = 365 * 24 * 60 * 60;

/// A signed-in-before browser, as its (verified) cookie says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Device {
    /// The account it signed in to (case-folded username).
    pub(crate) user_key: String,
    /// 128 random bits, unrelated to any session.
    pub(crate) id: String,
}

impl Device {
    /// A new device id for `user_key`.
    pub(crate) fn new(user_key: &str) -> Self {
        Device {
            user_key: user_key.to_string(),
            id: random_b64(16),
        }
    }

    /// The cookie's value (signed by the caller).
    pub(crate) fn cookie_value(&self) -> String {
        format!("{}:{}", self.user_key, self.id)
    }

    /// The device a verified cookie value names; `None` for anything a
    /// cookie of ours could not hold.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let (user_key, id) = value.rsplit_once(':')?;
        (validate::is_username(user_key) && crypto::is_random_b64_16(id)).then(|| Device {
            user_key: user_key.to_string(),
            id: id.to_string(),
        })
    }

    /// Its own failed-login counter.
    pub(crate) fn counter(&self) -> String {
        format!("device#{}", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_junk() {
        let d = Device::new("alice");
        assert_eq!(Device::parse(&d.cookie_value()), Some(d.clone()));
        assert_ne!(Device::new("alice").id, d.id);
        for junk in [
            "",
            "alice",
            "alice:",
            ":abcdefghijklmnopqrstuv",
            "a b:abcdefghijklmnopqrstuv",
        ] {
            assert_eq!(Device::parse(junk), None, "{junk:?}");
        }
        assert!(d.counter().starts_with("device#"));
    }

    #[test]
    fn lives_a_year_and_takes_base64url_ids_only() {
        assert_eq!(DEVICE_SECS, 31_536_000);
        for id in ["-".repeat(22), "_".repeat(22)] {
            let v = format!("alice:{id}");
            assert_eq!(Device::parse(&v).map(|d| d.id), Some(id));
        }
        for bad in [
            "+".repeat(22),
            "/".repeat(22),
            "a".repeat(21),
            "a".repeat(23),
        ] {
            assert_eq!(Device::parse(&format!("alice:{bad}")), None, "{bad}");
        }
        let d = Device::new("alice");
        assert_eq!(d.counter(), format!("device#{}", d.id));
    }
}
