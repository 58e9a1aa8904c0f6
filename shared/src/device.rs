//! The device cookie (OWASP's "device cookie" against lockout abuse): set
//! when a browser signs in to an account, it names that account (by its
//! random id, never its name), a random device id, the account's
//! generation and when it was issued, signed like every cookie of ours. A
//! browser that presents one that fits the account it tries is counted on
//! that device's own failed-login counter instead of the username's, so
//! others' guesses at the name (which lock the username) do not lock it
//! out. It fits only while the account's generation is the one it was
//! issued under (a password change, reset or two-factor turn-off moves it;
//! a deleted account's id is never reused) and for a year from issue,
//! checked here, not by the browser.

use crate::crypto::{self, random_b64};
use crate::store::User;

/// A year: the device is recognised for as long as it keeps signing in.
pub(crate) const DEVICE_SECS: i64 = 365 * 24 * 60 * 60;

/// A signed-in-before browser, as its (verified) cookie says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Device {
    /// The account it signed in to (its random id).
    pub(crate) account_id: String,
    /// 128 random bits, unrelated to any session.
    pub(crate) id: String,
    /// The account's generation when the cookie was issued.
    pub(crate) generation: i64,
    pub(crate) issued_at: i64,
}

impl Device {
    /// A new device id for `user`, issued at `now`.
    pub(crate) fn new(user: &User, now: i64) -> Self {
        Device {
            account_id: user.account_id.clone(),
            id: random_b64(16),
            generation: user.generation,
            issued_at: now,
        }
    }

    /// Whether it counts for `user` at `now`: issued to this account, under
    /// its current generation, less than a year ago.
    pub(crate) fn fits(&self, user: &User, now: i64) -> bool {
        self.account_id == user.account_id
            && self.generation == user.generation
            && now >= self.issued_at
            && now - self.issued_at < DEVICE_SECS
    }

    /// The same device, issued again now (a sign-in refreshes it).
    pub(crate) fn renewed(&self, now: i64) -> Self {
        Device {
            issued_at: now,
            ..self.clone()
        }
    }

    /// The cookie's value (signed by the caller).
    pub(crate) fn cookie_value(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.account_id, self.id, self.generation, self.issued_at
        )
    }

    /// The device a verified cookie value names; `None` for anything a
    /// cookie of ours could not hold.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let mut parts = value.split(':');
        let (account_id, id) = (parts.next()?, parts.next()?);
        let generation = parts.next()?.parse().ok()?;
        let issued_at = parts.next()?.parse().ok()?;
        let shaped = parts.next().is_none()
            && crypto::is_random_b64_16(account_id)
            && crypto::is_random_b64_16(id);
        shaped.then(|| Device {
            account_id: account_id.to_string(),
            id: id.to_string(),
            generation,
            issued_at,
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

    fn user(generation: i64) -> User {
        User {
            key: "alice".into(),
            account_id: "AbCdEfGhIjKlMnOpQrStUv".into(),
            generation,
            username: "Alice".into(),
            email: "alice@example.com".into(),
            password_hash: String::new(),
            created_at: 0,
            registration_id: None,
            email_confirmed: false,
            reset_hash: None,
            confirm_hash: None,
            totp: None,
            totp_step: 0,
            recovery: Vec::new(),
        }
    }

    #[test]
    fn round_trips_and_refuses_junk() {
        let d = Device::new(&user(3), 1_000);
        assert_eq!(Device::parse(&d.cookie_value()), Some(d.clone()));
        assert_ne!(Device::new(&user(3), 1_000).id, d.id);
        let id = "abcdefghijklmnopqrstuv";
        for junk in [
            String::new(),
            "alice".into(),
            format!("alice:{id}:1:5"),
            format!(":{id}:1:5"),
            format!("{id}:{id}:x:5"),
            format!("{id}:{id}:1"),
            format!("{id}:{id}:1:5:6"),
            format!("{id}:{id}:1:"),
        ] {
            assert_eq!(Device::parse(&junk), None, "{junk:?}");
        }
        assert!(d.counter().starts_with("device#"));
    }

    #[test]
    fn shows_neither_the_name_nor_the_address() {
        let v = Device::new(&user(1), 1_000).cookie_value();
        assert!(!v.to_lowercase().contains("alice"), "{v}");
    }

    #[test]
    fn fits_only_its_account_generation_and_year() {
        let u = user(3);
        let d = Device::new(&u, 1_000);
        assert!(d.fits(&u, 1_000));
        assert!(d.fits(&u, 1_000 + DEVICE_SECS - 1));
        assert!(!d.fits(&u, 1_000 + DEVICE_SECS), "a year on: not any more");
        assert!(!d.fits(&u, 999), "issued in the future");
        assert!(!d.fits(&user(4), 1_000), "the password changed since");
        let mut other = user(3);
        other.account_id = "ZZZZZZZZZZZZZZZZZZZZZZ".into();
        assert!(!d.fits(&other, 1_000), "a new account with the same name");
        let later = d.renewed(5_000);
        assert_eq!((later.id.as_str(), later.issued_at), (d.id.as_str(), 5_000));
    }

    #[test]
    fn lives_a_year_and_takes_base64url_ids_only() {
        assert_eq!(DEVICE_SECS, 31_536_000);
        let account = "AbCdEfGhIjKlMnOpQrStUv";
        for id in ["-".repeat(22), "_".repeat(22)] {
            let v = format!("{account}:{id}:1:5");
            assert_eq!(Device::parse(&v).map(|d| d.id), Some(id));
        }
        for bad in [
            "+".repeat(22),
            "/".repeat(22),
            "a".repeat(21),
            "a".repeat(23),
        ] {
            assert_eq!(
                Device::parse(&format!("{account}:{bad}:1:5")),
                None,
                "{bad}"
            );
        }
        let d = Device::new(&user(1), 0);
        assert_eq!(d.counter(), format!("device#{}", d.id));
    }
}
