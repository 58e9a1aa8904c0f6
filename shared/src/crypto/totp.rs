//! Authenticator-app codes: RFC 6238 TOTP with SHA-1, 6 digits and a 30 s
//! step (what every authenticator app assumes when the URI says nothing
//! else), the secret, and the `otpauth://` URI the QR code carries.
//!
//! Hand-written on hmac 0.12 + sha1 0.10 rather than the `totp-rs` crate.
//! `totp-rs` 6 would do the same job (the same URI form and encoding, a
//! `check` that returns the step), but it is built on the other RustCrypto
//! line (hmac 0.13, sha1 0.11, sha2 0.11): this crate's own crypto would sit
//! on two `digest` versions, and it adds totp-rs (~4,400 lines), sha1 0.11,
//! base32 and constant_time_eq, ~64 KB in a function; its secret generator
//! brings rand 0.10 besides rand_core 0.6. What it would replace is small:
//! HOTP is one HMAC and a dynamic truncation (RFC 4226 5.3), base32 twenty
//! lines, both pinned below by the RFCs' test vectors. Here sha1 0.10 (on
//! the digest 0.10 that hmac 0.12 and sha2 0.10 use) is the only crate
//! added; percent-encoding was already linked through the SDK.

use super::base32;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rand_core::{OsRng, RngCore};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds per step (RFC 6238's default X, what the apps assume).
pub(crate) const STEP_SECONDS: i64 = 30;
/// Digits per code (the apps' default).
pub(crate) const DIGITS: usize = 6;
/// Bytes in a secret: 160 bits, RFC 4226's recommended length and the
/// HMAC-SHA1 output size.
pub(crate) const SECRET_LEN: usize = 20;

/// What stays unencoded in the URI's label and issuer: RFC 3986's
/// unreserved characters. A `:` in the site name would otherwise split the
/// label, and `&`, `=` or `#` would break the query.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A TOTP secret. No `Debug` that shows it: it is a password-equivalent.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret([u8; SECRET_LEN]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// A fresh secret from the OS's random source.
    pub(crate) fn generate() -> Secret {
        let mut bytes = [0u8; SECRET_LEN];
        OsRng.fill_bytes(&mut bytes);
        Secret(bytes)
    }

    /// A secret from its stored bytes (after `seal::open`); `None` unless
    /// exactly 20 bytes, so a damaged value is refused rather than used.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Secret> {
        bytes.try_into().ok().map(Secret)
    }

    /// The raw bytes, to seal for storage.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as people type it and as the URI carries it: RFC 4648
    /// base32, upper case, no padding (32 characters).
    pub(crate) fn to_base32(&self) -> String {
        base32::encode(&self.0)
    }

    /// The secret from its base32 text (as shown on the page); `None` for
    /// anything but 32 canonical characters.
    /// Only the tests read a key back (as an authenticator app does).
    #[cfg(any(test, feature = "test-util"))]
    pub(crate) fn from_base32(text: &str) -> Option<Secret> {
        Secret::from_bytes(&base32::decode(text)?)
    }
}

/// The step `now_unix` falls in. Floor division, so a clock before 1970
/// still gives a well-defined (negative) step.
pub(crate) fn step(now_unix: i64) -> i64 {
    now_unix.div_euclid(STEP_SECONDS)
}

/// The 6-digit code of `step`, zero-padded.
pub(crate) fn code_at(secret: &Secret, step: i64) -> String {
    hotp(&secret.0, step, DIGITS)
}

/// RFC 4226 HOTP with the counter as 8 big-endian bytes: HMAC-SHA1, the
/// dynamic truncation, `digits` decimal digits (6 to 8; 8 only for RFC
/// 6238's test vectors).
fn hotp(key: &[u8], counter: i64, digits: usize) -> String {
    debug_assert!((6..=8).contains(&digits));
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let word = [
        hash[offset],
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ];
    let binary = u32::from_be_bytes(word) & 0x7fff_ffff;
    // `digits` <= 8, so the power fits in a u32.
    let code = binary % 10u32.pow(digits as u32);
    format!("{code:0digits$}")
}

/// Which step `code` belongs to, among the current step and its neighbours
/// (one step of clock drift either way, RFC 6238 5.2); `None` if none, or
/// if `code` is not exactly 6 ASCII digits.
///
/// Returns the step itself so that the caller can store it as the
/// account's last used step with a conditional write, refusing the same
/// code (and any older step) a second time. All three codes are computed
/// and each is compared in constant time; should two steps share a code,
/// the latest is returned, which refuses the most on replay.
pub(crate) fn matching_step(secret: &Secret, code: &str, now_unix: i64) -> Option<i64> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step(now_unix);
    let mut matched = None;
    for candidate in [current - 1, current, current + 1] {
        let expected = code_at(secret, candidate);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            matched = Some(candidate);
        }
    }
    matched
}

/// The Key URI authenticator apps read from the QR code:
/// `otpauth://totp/{site}:{username}?secret=…&issuer={site}`, the site and
/// username percent-encoded (all but RFC 3986 unreserved characters, so a
/// space is `%20`, never `+`). SHA-1, 6 digits and 30 s are the defaults,
/// so they are left out: some apps mishandle the explicit parameters.
pub(crate) fn otpauth_uri(site: &str, username: &str, secret: &Secret) -> String {
    let site = utf8_percent_encode(site, UNRESERVED);
    let username = utf8_percent_encode(username, UNRESERVED);
    format!(
        "otpauth://totp/{site}:{username}?secret={}&issuer={site}",
        secret.to_base32()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SEED: &[u8; 20] = b"12345678901234567890";
    const RFC_SEED_BASE32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        let secret = Secret::from_bytes(RFC_SEED).unwrap();
        for (time, expected) in vectors {
            assert_eq!(hotp(RFC_SEED, step(time), 8), expected, "T = {time}");
            // 6 digits are the same number mod 10^6.
            assert_eq!(code_at(&secret, step(time)), expected[2..], "T = {time}");
        }
    }

    #[test]
    fn rfc_4226_appendix_d_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in (0..).zip(expected) {
            assert_eq!(hotp(RFC_SEED, counter, 6), code, "counter {counter}");
        }
    }

    #[test]
    fn steps_are_30_seconds_floored() {
        let cases = [
            (0, 0),
            (29, 0),
            (30, 1),
            (59, 1),
            (-1, -1),
            (-30, -1),
            (-31, -2),
        ];
        for (now, expected) in cases {
            assert_eq!(step(now), expected, "{now}");
        }
        assert_eq!(step(1_111_111_109), 37_037_036);
    }

    #[test]
    fn the_current_step_and_one_either_side_are_accepted_and_named() {
        let secret = Secret::generate();
        let now = 1_700_000_015;
        let current = step(now);
        let near = [current - 1, current, current + 1];
        for s in near {
            assert_eq!(matching_step(&secret, &code_at(&secret, s), now), Some(s));
        }
        // From the first and the last second of the current step alike.
        let code = code_at(&secret, current - 1);
        for t in [current * STEP_SECONDS, current * STEP_SECONDS + 29] {
            assert_eq!(matching_step(&secret, &code, t), Some(current - 1));
        }
        let near_codes = near.map(|s| code_at(&secret, s));
        for far in [current - 2, current + 2, current - 100] {
            let code = code_at(&secret, far);
            // Unless a far code happens to equal a near one (1 in 10^6).
            if !near_codes.contains(&code) {
                assert_eq!(matching_step(&secret, &code, now), None, "{far}");
            }
        }
        // Another secret's code of the moment is not this one's.
        let rfc = Secret::from_bytes(RFC_SEED).unwrap();
        assert_eq!(matching_step(&rfc, "287082", 59), Some(1));
        let other = Secret::from_bytes(&[7u8; 20]).unwrap();
        assert_ne!(code_at(&other, 1), "287082");
        assert_eq!(matching_step(&other, "287082", 59), None);
    }

    #[test]
    fn codes_of_the_wrong_shape_are_refused() {
        let secret = Secret::from_bytes(RFC_SEED).unwrap();
        // 59 s is step 1, whose code is 287082.
        let bad = "|28708|2870820|94287082| 287082|287082 |287 082|28708a|+87082|-87082|287082\n";
        for code in bad.split('|').chain(["２８７０８２"]) {
            assert_eq!(matching_step(&secret, code, 59), None, "{code:?}");
        }
    }

    #[test]
    fn codes_are_six_zero_padded_digits() {
        let secret = Secret::from_bytes(RFC_SEED).unwrap();
        let codes: Vec<String> = (0..400).map(|s| code_at(&secret, s)).collect();
        let digits = |c: &String| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit());
        assert!(codes.iter().all(digits));
        // Over a few hundred steps some code starts with 0.
        assert!(codes.iter().any(|c| c.starts_with('0')));
    }

    #[test]
    fn secrets_are_random_160_bits_in_base32_and_never_debug_printed() {
        let rfc = Secret::from_bytes(RFC_SEED).unwrap();
        assert_eq!(rfc.to_base32(), RFC_SEED_BASE32);
        let (a, b) = (Secret::generate(), Secret::generate());
        assert_ne!(a, b);
        assert_eq!(Secret::from_bytes(a.as_bytes()), Some(a.clone()));
        let text = a.to_base32();
        assert_eq!(text.len(), 32);
        assert_eq!(Secret::from_base32(&text), Some(a.clone()));
        assert_eq!(Secret::from_base32(&text.to_ascii_lowercase()), None);
        // A secret is exactly 20 bytes.
        assert_eq!(Secret::from_base32("MZXW6YTBOI"), None);
        assert_eq!(Secret::from_bytes(&[0; 19]), None);
        assert_eq!(Secret::from_bytes(&[0; 21]), None);
        assert_eq!(format!("{a:?}"), "Secret(..)");
    }

    #[test]
    fn otpauth_uri_has_the_contract_form_and_percent_encodes() {
        let secret = Secret::from_bytes(RFC_SEED).unwrap();
        assert_eq!(
            otpauth_uri("Blog", "alice", &secret),
            format!("otpauth://totp/Blog:alice?secret={RFC_SEED_BASE32}&issuer=Blog")
        );
        let uri = otpauth_uri("The Blog: a&b=c#d?é", "a.b_c-d~e+f", &secret);
        let site = "The%20Blog%3A%20a%26b%3Dc%23d%3F%C3%A9";
        let expected =
            format!("otpauth://totp/{site}:a.b_c-d~e%2Bf?secret={RFC_SEED_BASE32}&issuer={site}");
        assert_eq!(uri, expected);
        // The scheme's `:` and the label's; one query of two parameters.
        assert_eq!(uri.matches(':').count(), 2);
        assert_eq!((uri.matches('?').count(), uri.matches('&').count()), (1, 1));
    }

    proptest::proptest! {
        /// Whatever is typed, only the three codes around now are taken.
        #[test]
        fn only_the_codes_around_now_match(typed in "[0-9]{6}|[ -~]{0,10}", now in 0i64..4_000_000_000) {
            let secret = Secret::from_bytes(RFC_SEED).unwrap();
            let near: Vec<String> = (-1..=1).map(|d| code_at(&secret, step(now) + d)).collect();
            let found = matching_step(&secret, &typed, now);
            proptest::prop_assert_eq!(found.is_some(), near.contains(&typed));
            if let Some(s) = found {
                proptest::prop_assert_eq!(code_at(&secret, s), typed);
            }
        }
    }
}
