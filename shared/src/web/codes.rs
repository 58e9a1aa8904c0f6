//! A second factor as a form gives it: an authenticator code (six digits,
//! RFC 6238, the current step or one either side) or a recovery code,
//! checked against the account as read. What this decides is only what the
//! form showed; using it up is the conditional write of `store::Proof`,
//! which a parallel request with the same code loses.

use crate::app::App;
use crate::crypto::{recovery, seal, totp};
use crate::store::{Proof, User};

/// What the form's second factor came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Read {
    /// Good, to be used up by the flow's write.
    Proof(Proof),
    /// Neither field was filled.
    Missing,
    /// Not a code of the account's (or not a recovery code it still has).
    Wrong,
    /// A right code whose step this account already used.
    Used,
}

/// The authenticator secret `sealed` holds for `account_id`.
pub(super) fn open_secret(app: &App, account_id: &str, sealed: &str) -> Option<totp::Secret> {
    let bytes = seal::open(&app.keys, sealed, account_id.as_bytes())?;
    totp::Secret::from_bytes(&bytes)
}

/// An authenticator `code` for `secret` at the app's time, given the last
/// step the account used.
pub(super) fn read_code(app: &App, secret: &totp::Secret, code: &str, last_step: i64) -> Read {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    match totp::matching_step(secret, &digits, app.now()) {
        None => Read::Wrong,
        Some(step) if step <= last_step => Read::Used,
        Some(step) => Read::Proof(Proof::Code(step)),
    }
}

/// The second factor of `user` a form gives: its `code`, or, where
/// `recovery_code` is asked for too, that.
pub(super) fn read(app: &App, user: &User, code: &str, recovery_code: Option<&str>) -> Read {
    if !code.trim().is_empty() {
        let secret = user
            .totp
            .as_deref()
            .and_then(|sealed| open_secret(app, &user.account_id, sealed));
        return match secret {
            Some(secret) => read_code(app, &secret, code, user.totp_step),
            None => Read::Wrong,
        };
    }
    match recovery_code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(typed) => read_recovery(app, user, typed),
        None => Read::Missing,
    }
}

fn read_recovery(app: &App, user: &User, typed: &str) -> Read {
    let Some(normal) = recovery::normalize(typed) else {
        return Read::Wrong;
    };
    let hashes = recovery::hashes_for_check(&app.keys, &user.account_id, &normal);
    if user.recovery.iter().any(|h| hashes.contains(h)) {
        Read::Proof(Proof::Recovery(hashes))
    } else {
        Read::Wrong
    }
}
