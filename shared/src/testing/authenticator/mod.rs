//! A software WebAuthn authenticator for the tests (a browser and a
//! platform authenticator in one): it reads the JSON options a relying
//! party made (WebAuthn Level 3 JSON, bare or wrapped in `publicKey`) and
//! answers with what `PublicKeyCredential.toJSON()` gives in a browser: a
//! registration (attestation `"none"`, an ES256 P-256 key, a zero AAGUID)
//! or an assertion (DER ECDSA over `authenticatorData || SHA-256(
//! clientDataJSON)`). Every credential is discoverable: it keeps the user
//! handle and gives it back.
//!
//! Public fields steer the next ceremonies (user presence and
//! verification, backup flags, the counter) and provoke refusals (another
//! challenge, a foreign key's signature, an unknown credential id). The
//! browser's own checks are left out, so that a test reaches the server
//! with what a real browser would never send; the authenticator does
//! refuse what a real one refuses (no ES256 in `pubKeyCredParams`, a
//! credential in `excludeCredentials`, no matching credential).
//! CBOR is written by the small encoder in `encoding.rs`.

mod ceremonies;
mod encoding;
#[cfg(test)]
mod tests;

use encoding::{
    b64_field, cose_es256_key, descriptor_ids, missing, random_bytes, str_field, unwrap_public_key,
    Cbor,
};
use std::fmt;

use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::elliptic_curve::Generate as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// base64url without padding on output (as browsers emit it); accepts input
/// with or without padding.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// COSE algorithm identifier of ES256 (ECDSA P-256 with SHA-256).
pub const COSE_ALG_ES256: i64 = -7;

/// Authenticator data flag bits.
const FLAG_UP: u8 = 0x01;
const FLAG_UV: u8 = 0x04;
const FLAG_BE: u8 = 0x08;
const FLAG_BS: u8 = 0x10;
const FLAG_AT: u8 = 0x40;

/// base64url-encode (no padding), the encoding of every binary field of the
/// WebAuthn JSON forms.
pub fn b64url(bytes: &[u8]) -> String {
    B64URL.encode(bytes)
}

/// base64url-decode, with or without padding.
pub fn b64url_decode(s: &str) -> Result<Vec<u8>, AuthenticatorError> {
    B64URL
        .decode(s)
        .map_err(|e| AuthenticatorError::InvalidOptions(format!("bad base64url {s:?}: {e}")))
}

/// How the signature counter (`signCount`) reported by the authenticator
/// behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterMode {
    /// Always report this value, in registration and in every assertion.
    /// `Fixed(0)` is what synced passkeys (iCloud Keychain, Google Password
    /// Manager) do. Switching from `Fixed(5)` to `Fixed(3)` makes the counter
    /// go backwards.
    Fixed(u32),
    /// Per-credential counter like a hardware key: registration reports the
    /// credential's stored counter (0 for a new one, or what
    /// [`Authenticator::set_counter`] set), each assertion first adds one and
    /// reports the result.
    Incrementing,
}

/// One credential held by the authenticator (a discoverable credential).
#[derive(Clone, Debug)]
pub struct SoftCredential {
    /// Credential id (random, 16 to 32 bytes).
    pub id: Vec<u8>,
    /// The credential's private key (ES256 / P-256).
    pub signing_key: SigningKey,
    /// The RP id it is scoped to.
    pub rp_id: String,
    /// The `user.id` it was created for, returned as `userHandle`.
    pub user_handle: Vec<u8>,
    /// Last signature counter reported for it.
    pub counter: u32,
}

impl SoftCredential {
    /// The credential id as base64url (the `id` of the credential JSON).
    pub fn id_b64(&self) -> String {
        b64url(&self.id)
    }
}

/// Why the authenticator (or the browser in front of it) refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthenticatorError {
    /// The options JSON lacks a field or has one of the wrong type / encoding.
    InvalidOptions(String),
    /// `pubKeyCredParams` offers no ES256 (`-7`), the only algorithm supported
    /// (a browser's `NotSupportedError`).
    UnsupportedAlgorithm,
    /// A credential of this authenticator is in `excludeCredentials` (a
    /// browser's `InvalidStateError`).
    CredentialExcluded,
    /// No credential for this RP id (and `allowCredentials`, and the
    /// [`Authenticator::selected_credential`] knob): a browser's
    /// `NotAllowedError`.
    NoCredential,
    /// The operating system RNG failed.
    Random(String),
}

impl fmt::Display for AuthenticatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidOptions(m) => write!(f, "invalid WebAuthn options: {m}"),
            Self::UnsupportedAlgorithm => f.write_str("pubKeyCredParams does not offer ES256 (-7)"),
            Self::CredentialExcluded => {
                f.write_str("a credential of this authenticator is excluded")
            }
            Self::NoCredential => f.write_str("no matching credential on this authenticator"),
            Self::Random(m) => write!(f, "system RNG failed: {m}"),
        }
    }
}

impl std::error::Error for AuthenticatorError {}

/// A software platform authenticator together with the browser in front of
/// it. See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Authenticator {
    /// Origin written into `clientDataJSON`, e.g. `"http://localhost:9000"` or
    /// `"https://blog.example.com"`. Also the source of the RP id when the
    /// options carry none (its host).
    pub origin: String,
    /// UP flag (default `true`).
    pub user_present: bool,
    /// UV flag (default `true`). webauthn-rs passkey flows refuse `false`.
    pub user_verified: bool,
    /// BE flag: the credential may be synced (default `false`).
    pub backup_eligible: bool,
    /// BS flag: the credential is synced (default `false`). webauthn-rs
    /// refuses BS without BE.
    pub backup_state: bool,
    /// Signature counter behaviour (default `CounterMode::Fixed(0)`).
    pub counter: CounterMode,
    /// Put these bytes in `clientDataJSON.challenge` instead of the challenge
    /// from the options (provokes a challenge mismatch).
    pub challenge_override: Option<Vec<u8>>,
    /// Sign assertions with a fresh key instead of the registered one
    /// (provokes a bad signature).
    pub sign_with_foreign_key: bool,
    /// Present a random credential id (`id` / `rawId`) in assertions instead
    /// of the real one; the signature is still made with the real key.
    pub present_unknown_credential_id: bool,
    /// When several credentials fit an assertion, use the one with this id
    /// (raw bytes) rather than the most recently created one.
    pub selected_credential: Option<Vec<u8>>,
    credentials: Vec<SoftCredential>,
}

impl Authenticator {
    /// A new authenticator without credentials, for pages served at `origin`
    /// (scheme, host and port, no trailing slash), with UP and UV on, BE/BS
    /// off and the counter fixed at 0.
    pub fn new(origin: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            user_present: true,
            user_verified: true,
            backup_eligible: false,
            backup_state: false,
            counter: CounterMode::Fixed(0),
            challenge_override: None,
            sign_with_foreign_key: false,
            present_unknown_credential_id: false,
            selected_credential: None,
            credentials: Vec::new(),
        }
    }

    /// Builder: set the UV flag.
    pub fn with_user_verified(mut self, uv: bool) -> Self {
        self.user_verified = uv;
        self
    }

    /// Builder: set the BE (backup eligible) and BS (backed up) flags, e.g.
    /// `(true, true)` for a synced passkey.
    pub fn with_backup(mut self, eligible: bool, backed_up: bool) -> Self {
        self.backup_eligible = eligible;
        self.backup_state = backed_up;
        self
    }

    /// Builder: set the counter behaviour.
    pub fn with_counter(mut self, mode: CounterMode) -> Self {
        self.counter = mode;
        self
    }

    /// Clear `challenge_override`, `sign_with_foreign_key` and
    /// `present_unknown_credential_id`.
    pub fn reset_tampering(&mut self) {
        self.challenge_override = None;
        self.sign_with_foreign_key = false;
        self.present_unknown_credential_id = false;
    }

    /// All credentials, oldest first.
    pub fn credentials(&self) -> &[SoftCredential] {
        &self.credentials
    }

    /// base64url id of the most recently created credential, if any.
    pub fn credential_id(&self) -> Option<String> {
        self.credentials.last().map(SoftCredential::id_b64)
    }

    /// Set the stored counter of the credential whose base64url id is
    /// `credential_id` (with [`CounterMode::Incrementing`] the next assertion
    /// reports `value + 1`). Returns `false` if there is no such credential.
    pub fn set_counter(&mut self, credential_id: &str, value: u32) -> bool {
        match self
            .credentials
            .iter_mut()
            .find(|c| c.id_b64() == credential_id)
        {
            Some(c) => {
                c.counter = value;
                true
            }
            None => false,
        }
    }
}
