//! Small secrets encrypted at rest (the authenticator secret), so that a
//! leaked table, backup or stream record does not hand out working codes.
//!
//! AES-256-GCM from RustCrypto's `aes-gcm` 0.10 (the line on rand_core 0.6
//! and cipher 0.4): an authenticated cipher is not something to write by
//! hand, and GCM's tag also refuses a value that was altered or moved. The
//! key is derived from `DATA_SECRET` (purpose `totp-seal/v1`; from
//! `SESSION_SECRET` where no data secret is set, locally and in tests), so
//! rotating the cookie secret never touches it; values sealed under a
//! previous data secret still open. The caller passes the account id as the
//! associated data, so a sealed value copied to another account does not
//! open there.
//!
//! A sealed value is text: `v1.<nonce>.<ciphertext and tag>`, both parts
//! base64url without padding; the version leaves room for another format.
//! The 96-bit nonce is random: with one key, random nonces stay safe far
//! beyond the number of secrets this service will ever seal (2^32).

use super::Keys;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};

/// The format this module writes and reads.
const VERSION: &str = "v1";
/// GCM's standard nonce: 96 bits.
const NONCE_LEN: usize = 12;
/// GCM's tag, appended to the ciphertext.
const TAG_LEN: usize = 16;
/// Longer text is refused before any decoding: what is sealed is small.
const MAX_SEALED_LEN: usize = 4096;

/// The cipher under one 256-bit key.
fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(&(*key).into())
}

/// `plaintext` encrypted under the current seal key with a fresh random
/// nonce, bound to `aad` (the account id): `v1.<nonce>.<ciphertext+tag>`.
pub(crate) fn seal(keys: &Keys, plaintext: &[u8], aad: &[u8]) -> String {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let key = keys.seal.keys().next().unwrap_or_else(|| unreachable!());
    let payload = Payload {
        msg: plaintext,
        aad,
    };
    // AES-GCM refuses only inputs past 64 GiB: this cannot fail.
    let ciphertext = cipher(key)
        .encrypt(Nonce::from_slice(&nonce), payload)
        .unwrap_or_else(|_| unreachable!());
    format!(
        "{VERSION}.{}.{}",
        URL_SAFE_NO_PAD.encode(nonce),
        URL_SAFE_NO_PAD.encode(ciphertext)
    )
}

/// The plaintext of a `seal`ed value, under the current seal key or else
/// the previous one; `None` for any value that does not open (another key
/// or account, altered, truncated, not this format), never a panic.
pub(crate) fn open(keys: &Keys, sealed: &str, aad: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() > MAX_SEALED_LEN {
        return None;
    }
    let mut parts = sealed.split('.');
    let (Some(VERSION), Some(nonce), Some(ciphertext), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let nonce: [u8; NONCE_LEN] = URL_SAFE_NO_PAD.decode(nonce).ok()?.try_into().ok()?;
    let ciphertext = URL_SAFE_NO_PAD.decode(ciphertext).ok()?;
    if ciphertext.len() < TAG_LEN {
        return None;
    }
    keys.seal.keys().find_map(|key| {
        let payload = Payload {
            msg: &ciphertext,
            aad,
        };
        cipher(key).decrypt(Nonce::from_slice(&nonce), payload).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &[u8] = b"0123456789abcdef0123456789abcdef";
    const OLD: &[u8] = b"old-secret-old-secret-old-secret!";
    const SECRET: &[u8] = b"\x00\x01twenty bytes long\xff";

    fn keys(current: &[u8], previous: Option<&[u8]>) -> Keys {
        Keys::new(current, previous)
    }

    #[test]
    fn round_trips_with_a_fresh_nonce_each_time() {
        let k = keys(NEW, None);
        let a = seal(&k, SECRET, b"account-1");
        let b = seal(&k, SECRET, b"account-1");
        assert_ne!(a, b);
        assert_eq!(open(&k, &a, b"account-1").as_deref(), Some(SECRET));
        assert_eq!(open(&k, &b, b"account-1").as_deref(), Some(SECRET));
        assert_eq!(
            open(&k, &seal(&k, b"", b""), b"").as_deref(),
            Some(&b""[..])
        );
        // v1, 16 characters of nonce, 48 of 20 bytes + 16 of tag.
        let parts: Vec<&str> = a.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!((parts[0], parts[1].len(), parts[2].len()), ("v1", 16, 48));
        assert!(!a.contains("twenty"));
    }

    #[test]
    fn another_account_id_does_not_open() {
        let k = keys(NEW, None);
        let sealed = seal(&k, SECRET, b"account-1");
        for aad in [&b"account-2"[..], b"", b"account-1 ", b"account-"] {
            assert_eq!(open(&k, &sealed, aad), None, "{aad:?}");
        }
    }

    #[test]
    fn any_altered_byte_does_not_open() {
        let k = keys(NEW, None);
        let sealed = seal(&k, SECRET, b"a");
        let (nonce, ciphertext) = {
            let mut parts = sealed.split('.').skip(1);
            let n = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
            (n, URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap())
        };
        let text = |n: &[u8], c: &[u8]| {
            format!(
                "v1.{}.{}",
                URL_SAFE_NO_PAD.encode(n),
                URL_SAFE_NO_PAD.encode(c)
            )
        };
        assert_eq!(
            open(&k, &text(&nonce, &ciphertext), b"a").as_deref(),
            Some(SECRET)
        );
        for i in 0..nonce.len() {
            let mut n = nonce.clone();
            n[i] ^= 1;
            assert_eq!(open(&k, &text(&n, &ciphertext), b"a"), None, "nonce {i}");
        }
        // The ciphertext, then the tag.
        for i in 0..ciphertext.len() {
            let mut c = ciphertext.clone();
            c[i] ^= 0x80;
            assert_eq!(open(&k, &text(&nonce, &c), b"a"), None, "byte {i}");
        }
        let short = &ciphertext[..ciphertext.len() - 1];
        assert_eq!(open(&k, &text(&nonce, short), b"a"), None);
    }

    #[test]
    fn the_previous_key_still_opens_after_a_rotation_and_others_do_not() {
        let old = keys(OLD, None);
        let sealed = seal(&old, SECRET, b"a");
        let rotated = keys(NEW, Some(OLD));
        assert_eq!(open(&rotated, &sealed, b"a").as_deref(), Some(SECRET));
        // New values are sealed under the new key only.
        let fresh = seal(&rotated, SECRET, b"a");
        assert_eq!(
            open(&keys(NEW, None), &fresh, b"a").as_deref(),
            Some(SECRET)
        );
        assert_eq!(open(&old, &fresh, b"a"), None);
        // Once the old secret is gone, its values no longer open.
        assert_eq!(open(&keys(NEW, None), &sealed, b"a"), None);
        let unknown = keys(b"another-secret-another-secret-!!", Some(NEW));
        assert_eq!(open(&unknown, &sealed, b"a"), None);
        // The seal key is its own purpose: not the cookie key.
        assert!(!rotated
            .seal
            .keys()
            .any(|k| rotated.signing.keys().any(|s| s == k)));
    }

    #[test]
    fn garbage_is_refused_without_a_panic() {
        let k = keys(NEW, None);
        let good = seal(&k, SECRET, b"a");
        let (_, rest) = good.split_once('.').unwrap();
        let (nonce, ciphertext) = rest.split_once('.').unwrap();
        let long = format!("v1.{nonce}.{}", "A".repeat(MAX_SEALED_LEN));
        let cases = [
            String::new(),
            "v1".into(),
            "v1..".into(),
            "v1...".into(),
            format!("v2.{rest}"),
            format!("V1.{rest}"),
            rest.to_string(),
            format!("{good}."),
            format!(".{good}"),
            format!("v1.{nonce}"),
            format!("v1.{nonce}.{ciphertext}.x"),
            format!("v1.{nonce}="),
            format!("v1.{nonce}.{ciphertext}="),
            format!("v1.!!!!.{ciphertext}"),
            format!("v1.{}.{ciphertext}", &nonce[..12]),
            format!("v1.{nonce}AAAA.{ciphertext}"),
            format!("v1.{nonce}.{}", &ciphertext[..20]),
            format!("v1.{nonce}.AAAA"),
            "v1.é.é".into(),
            long,
        ];
        for case in &cases {
            assert_eq!(open(&k, case, b"a"), None, "{case:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_opens_to_nothing_or_panics_never(text in "(v1\\.)?[A-Za-z0-9_.=-]{0,80}") {
            proptest::prop_assert_eq!(open(&keys(NEW, None), &text, b"a"), None);
        }
    }
}
