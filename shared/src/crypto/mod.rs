//! The service's secrets and what is made from them, in one place: the keys
//! derived from `SESSION_SECRET` (and a retired one during a rotation), the
//! one check that accepts a MAC under either, random tokens, token hashes,
//! and (in `password`) Argon2id and the password rules. For two-factor
//! sign-in: `totp` (authenticator codes, the secret, its URI), `seal`
//! (that secret encrypted at rest) and `recovery` (recovery codes and
//! their keyed hashes).

mod base32;
pub(crate) mod passkey;
pub(crate) mod password;
pub(crate) mod recovery;
pub(crate) mod seal;
pub(crate) mod totp;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// HMAC-SHA256 of `data` under `key`.
fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// A key for one purpose, with the retired key of the same purpose that
/// still verifies during a rotation.
#[derive(Clone)]
pub(crate) struct KeyPair {
    current: [u8; 32],
    previous: Option<[u8; 32]>,
}

impl KeyPair {
    fn derive(secret: &[u8], previous: Option<&[u8]>, purpose: &[u8]) -> Self {
        KeyPair {
            current: hmac(secret, purpose),
            previous: previous.map(|p| hmac(p, purpose)),
        }
    }

    /// The MAC of `msg` under the current key, base64url.
    pub(crate) fn mac(&self, msg: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(hmac(&self.current, msg))
    }

    /// The current key, then the previous one (during a rotation): the
    /// order every check tries them in. Private to `crypto`: raw keys are
    /// for its own modules (`seal` encrypts with them), never handed out.
    fn keys(&self) -> impl Iterator<Item = &[u8; 32]> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }

    /// The MAC of `msg` under the current key, then under the previous
    /// one (during a rotation): the one loop every check goes through.
    fn candidates<'a>(&'a self, msg: &'a [u8]) -> impl Iterator<Item = String> + 'a {
        self.keys()
            .map(move |key| URL_SAFE_NO_PAD.encode(hmac(key, msg)))
    }

    /// Whether `mac` is the MAC of `msg` under the current key or the
    /// previous one, compared in constant time. Cookies and CSRF tokens both
    /// verify here.
    pub(crate) fn verify(&self, msg: &[u8], mac: &str) -> bool {
        self.candidates(msg)
            .any(|expected| bool::from(expected.as_bytes().ct_eq(mac.as_bytes())))
    }
}

/// A one-time link (password reset, address confirmation). The link
/// carries `token`; the database holds only `nonce` and SHA-256(token), and
/// only the holder of the mail key can turn the nonce into the token: a
/// leaked table or stream record gives no working link.
#[derive(Debug, Clone)]
pub(crate) struct LinkToken {
    pub(crate) nonce: String,
    pub(crate) hash: String,
}

impl LinkToken {
    /// A fresh link: a 256-bit random nonce, its token and the token's hash.
    pub(crate) fn new(keys: &Keys) -> LinkToken {
        let nonce = random_b64(32);
        let token = keys.mail.mac(nonce.as_bytes());
        let hash = token_hash(&token);
        LinkToken { nonce, hash }
    }

    /// The token of a stored `nonce` whose hash is `hash`, under the current
    /// mail key or the previous one; `None` when neither matches.
    pub(crate) fn recover(keys: &Keys, nonce: &str, hash: &str) -> Option<String> {
        keys.mail
            .candidates(nonce.as_bytes())
            .find(|token| bool::from(token_hash(token).as_bytes().ct_eq(hash.as_bytes())))
    }
}

/// Whether `value` has the shape of a link token (43 base64url characters,
/// 256 bits), before any storage is asked.
pub(crate) fn is_link_token(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Every key the service uses, derived once at init from the configured
/// secret(s), each for one purpose.
#[derive(Clone)]
pub struct Keys {
    pub(crate) signing: KeyPair,
    pub(crate) csrf: KeyPair,
    /// Turns a one-time link's stored nonce into its token (`LinkToken`).
    pub(crate) mail: KeyPair,
    /// Keys the HMAC of usernames in throttle counters and audit logs.
    pseudonym: [u8; 32],
    /// Encrypts the authenticator secret at rest (`seal`).
    seal: KeyPair,
    /// Keys the stored hashes of recovery codes (`recovery`).
    recovery: KeyPair,
}

/// The data secret's purposes: what it protects lives as long as an
/// account, so it does not rotate with the cookie secret.
fn data_keys(data: &[u8], previous: Option<&[u8]>) -> (KeyPair, KeyPair) {
    (
        KeyPair::derive(data, previous, b"totp-seal/v1"),
        KeyPair::derive(data, previous, b"recovery-code/v1"),
    )
}

impl Keys {
    pub fn new(secret: &[u8], previous: Option<&[u8]>) -> Self {
        Keys {
            signing: KeyPair::derive(secret, previous, b"cookie-signing/v1"),
            csrf: KeyPair::derive(secret, previous, b"csrf/v1"),
            mail: KeyPair::derive(secret, previous, b"mail-token/v1"),
            pseudonym: hmac(secret, b"pseudonym/v1"),
            seal: KeyPair::derive(secret, previous, b"totp-seal/v1"),
            recovery: KeyPair::derive(secret, previous, b"recovery-code/v1"),
        }
    }

    /// These keys, with the two-factor data (the sealed authenticator
    /// secrets, the recovery codes' hashes) keyed by `data` instead of the
    /// cookie secret (`DATA_SECRET`): rotating the cookie secret, which
    /// drops its previous value after 30 days, must not make an account's
    /// second factor unreadable. `previous` still opens what was sealed
    /// under a retired data secret.
    pub fn with_data(mut self, data: &[u8], previous: Option<&[u8]>) -> Self {
        (self.seal, self.recovery) = data_keys(data, previous);
        self
    }

    /// An HMAC of a person's name for logs and counters, so neither holds it
    /// in clear.
    pub(crate) fn pseudonym(&self, value: &str) -> String {
        hex(&hmac(&self.pseudonym, value.as_bytes())[..16])
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// `n` random bytes from the OS, base64url without padding.
pub(crate) fn random_b64(n: usize) -> String {
    let mut buf = vec![0u8; n];
    OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A random number from the OS (for jitter, not for secrets).
pub(crate) fn random_u64() -> u64 {
    OsRng.next_u64()
}

/// What the server stores instead of a token: SHA-256, hex.
pub(crate) fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Whether `value` is what `random_b64(16)` makes: 22 base64url characters.
pub(crate) fn is_random_b64_16(value: &str) -> bool {
    value.len() == 22
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The keys unit tests sign and verify with.
#[cfg(test)]
pub(crate) fn test_keys() -> Keys {
    Keys::new(b"0123456789abcdef0123456789abcdef", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_previous_key_still_verifies_and_another_does_not() {
        let old = Keys::new(b"old-secret-old-secret-old-secret!", None);
        let mac = old.signing.mac(b"msg");
        assert!(old.signing.verify(b"msg", &mac));
        assert!(!old.signing.verify(b"other", &mac));
        let new = Keys::new(b"0123456789abcdef0123456789abcdef", None);
        assert!(!new.signing.verify(b"msg", &mac));
        let rotated = Keys::new(
            b"0123456789abcdef0123456789abcdef",
            Some(b"old-secret-old-secret-old-secret!"),
        );
        assert!(rotated.signing.verify(b"msg", &mac));
        // Each purpose has its own key.
        assert!(!old.csrf.verify(b"msg", &mac));
    }

    #[test]
    fn link_tokens_need_the_key_and_survive_a_rotation() {
        let old = Keys::new(b"old-secret-old-secret-old-secret!", None);
        let link = LinkToken::new(&old);
        let token = LinkToken::recover(&old, &link.nonce, &link.hash).unwrap();
        assert!(is_link_token(&token));
        assert_ne!(link.nonce, token);
        assert_eq!(token_hash(&token), link.hash);
        let other = Keys::new(b"0123456789abcdef0123456789abcdef", None);
        assert_eq!(LinkToken::recover(&other, &link.nonce, &link.hash), None);
        let rotated = Keys::new(
            b"0123456789abcdef0123456789abcdef",
            Some(b"old-secret-old-secret-old-secret!"),
        );
        assert!(LinkToken::recover(&rotated, &link.nonce, &link.hash).is_some());
        assert!(!is_link_token("short"));
    }

    #[test]
    fn tokens_and_hashes() {
        let a = random_b64(16);
        assert!(is_random_b64_16(&a));
        assert_ne!(a, random_b64(16));
        assert!(!is_random_b64_16("short"));
        assert_eq!(token_hash("x").len(), 64);
        assert_ne!(
            Keys::new(b"0123456789abcdef0123456789abcdef", None).pseudonym("alice"),
            "alice"
        );
    }

    #[test]
    fn token_shapes_take_base64url_characters_only() {
        let link_ok = ["-".repeat(43), "_".repeat(43), "aZ09".repeat(10) + "a-_"];
        let link_bad = [
            "+".repeat(43),
            "/".repeat(43),
            "=".repeat(43),
            "a".repeat(42),
            "a".repeat(44),
        ];
        for ok in &link_ok {
            assert!(is_link_token(ok), "{ok}");
        }
        for bad in &link_bad {
            assert!(!is_link_token(bad), "{bad}");
        }
        let id_ok = ["-".repeat(22), "_".repeat(22), "aZ09".repeat(5) + "-_"];
        let id_bad = [
            "+".repeat(22),
            "/".repeat(22),
            "=".repeat(22),
            "a".repeat(21),
            "a".repeat(23),
        ];
        for ok in &id_ok {
            assert!(is_random_b64_16(ok), "{ok}");
        }
        for bad in &id_bad {
            assert!(!is_random_b64_16(bad), "{bad}");
        }
    }

    #[test]
    fn pseudonyms_are_stable_keyed_and_128_bits_of_hex() {
        let k = test_keys();
        let p = k.pseudonym("alice");
        assert_eq!(p.len(), 32);
        assert!(p
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(p, k.pseudonym("alice"));
        assert_ne!(p, k.pseudonym("bob"));
        let other = Keys::new(b"another-secret-another-secret-!!", None);
        assert_ne!(p, other.pseudonym("alice"));
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }
}
