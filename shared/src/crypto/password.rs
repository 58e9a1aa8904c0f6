//! Argon2id hashing and the password policy.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};

use crate::config::Config;

// The sorted list (build.rs): the words, one per line, and where each starts.
static COMMON_WORDS: &str = include_str!(concat!(env!("OUT_DIR"), "/common_passwords.txt"));
include!(concat!(env!("OUT_DIR"), "/common_passwords.rs"));

fn common_word(start: u32) -> &'static str {
    COMMON_WORDS
        .get(start as usize..)
        .and_then(|rest| rest.split('\n').next())
        .unwrap_or_default()
}

pub(crate) const MAX_CHARS: usize = 128;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub(crate) struct HashError(String);

/// The Argon2id instance and a dummy hash with the same parameters, built
/// once per cold start.
#[derive(Clone)]
pub(crate) struct Hasher {
    argon2: Argon2<'static>,
    /// Verified against when the username is unknown, so that failure costs
    /// what a wrong password costs.
    dummy_hash: String,
    /// Verifications run, known user or not (tests count them).
    #[cfg(feature = "test-util")]
    verifications: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Hasher {
    pub(crate) fn new(config: &Config) -> Result<Self, HashError> {
        let params = Params::new(
            config.argon2.memory_kib,
            config.argon2.iterations,
            config.argon2.parallelism,
            Some(32),
        )
        .map_err(|e| HashError(e.to_string()))?;
        // A well-formed PHC string with random salt and output: verifying
        // against it runs the full Argon2id computation, yet making it costs
        // no hashing at init.
        let mut salt = [0u8; 16];
        let mut out = [0u8; 32];
        OsRng.fill_bytes(&mut salt);
        OsRng.fill_bytes(&mut out);
        let dummy_hash = format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            params.m_cost(),
            params.t_cost(),
            params.p_cost(),
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(out)
        );
        Ok(Hasher {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            dummy_hash,
            #[cfg(feature = "test-util")]
            verifications: Default::default(),
        })
    }

    /// A PHC string for `password`. Runs on the blocking pool: it takes
    /// tens of milliseconds of CPU.
    pub(crate) async fn hash(&self, password: &str) -> Result<String, HashError> {
        let argon2 = self.argon2.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError(e.to_string()))
        })
        .await
        .map_err(|e| HashError(e.to_string()))?
    }

    /// Whether `password` matches `stored`; with `None` (unknown user) it
    /// verifies against the dummy hash and returns false, at the same cost.
    pub(crate) async fn verify(&self, stored: Option<&str>, password: &str) -> bool {
        let known = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy_hash).to_owned();
        let argon2 = self.argon2.clone();
        let password = password.to_owned();
        #[cfg(feature = "test-util")]
        let verifications = self.verifications.clone();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&stored)
                .map(|h| {
                    #[cfg(feature = "test-util")]
                    verifications.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    argon2.verify_password(password.as_bytes(), &h).is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        known && ok
    }

    /// Whether a stored hash was made with weaker settings than today's and
    /// should be replaced at the next successful login.
    pub(crate) fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(h) = PasswordHash::new(stored) else {
            return true;
        };
        let Ok(p) = Params::try_from(&h) else {
            return true;
        };
        let cur = self.argon2.params();
        h.algorithm.as_str() != "argon2id"
            || p.m_cost() < cur.m_cost()
            || p.t_cost() < cur.t_cost()
            || p.p_cost() < cur.p_cost()
    }
}

/// Looks inside the app, for tests.
#[cfg(feature = "test-util")]
impl crate::app::App {
    /// Argon2id verifications run (a known user's hash or the dummy) since
    /// the last look.
    pub fn password_verifications(&self) -> u64 {
        self.hasher
            .verifications
            .swap(0, std::sync::atomic::Ordering::Relaxed)
    }
}

/// Why a new password is refused, in words for the person choosing it.
pub(crate) fn policy_error(password: &str, username: &str, min_chars: usize) -> Option<String> {
    let chars = password.chars().count();
    if chars < min_chars {
        return Some(format!("Password must be at least {min_chars} characters."));
    }
    if chars > MAX_CHARS {
        return Some(format!("Password must be at most {MAX_CHARS} characters."));
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_ascii_lowercase()) {
        return Some("Password must not contain the username.".to_string());
    }
    if is_common(&lower) {
        return Some(
            "This password is too common: it is on a list of passwords attackers try first."
                .to_string(),
        );
    }
    None
}

/// Whether `password` (any case) is on the shipped list of common passwords.
pub(crate) fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    COMMON_OFFSETS
        .binary_search_by(|&start| common_word(start).cmp(lower.as_str()))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_lookup(|k| (k == "SESSION_SECRET").then(|| "x".repeat(32))).unwrap()
    }

    #[test]
    fn the_list_is_big_and_holds_the_usual_suspects() {
        assert!(COMMON_OFFSETS.len() >= 10_000);
        for p in [
            "password",
            "12345678",
            "iloveyou",
            "qwerty123",
            "Password",
            "ILOVEYOU",
        ] {
            assert!(is_common(p), "{p}");
        }
        assert!(!is_common("correct horse battery staple 42"));
        assert!(COMMON_OFFSETS
            .windows(2)
            .all(|w| !common_word(w[0]).is_empty() && common_word(w[0]) < common_word(w[1])));
    }

    #[test]
    fn policy() {
        assert!(policy_error("short", "alice", 8)
            .unwrap()
            .contains("at least 8"));
        assert!(policy_error(&"x".repeat(129), "alice", 8)
            .unwrap()
            .contains("at most 128"));
        assert!(policy_error("my-Alice-pass-99", "alice", 8)
            .unwrap()
            .contains("username"));
        assert!(policy_error("qwerty123", "bob", 8)
            .unwrap()
            .contains("common"));
        assert!(policy_error("Tr0ub4dor&3x", "bob", 8).is_none());
        // Characters, not bytes: 8 two-byte characters pass, 7 do not.
        assert!(policy_error("ääääääää", "bob", 8).is_none());
        assert!(policy_error("äääääää", "bob", 8).is_some());
        // The minimum is configurable (NIST's 15).
        assert!(policy_error("Tr0ub4dor&3x", "bob", 15).is_some());
    }

    #[tokio::test]
    async fn hashes_with_argon2id_at_owasp_minimum_and_verifies_exactly() {
        let h = Hasher::new(&config()).unwrap();
        let stored = h.hash(" pass word ").await.unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(!stored.contains("pass word"));
        assert!(h.verify(Some(&stored), " pass word ").await);
        // No trimming, no truncation, case matters.
        assert!(!h.verify(Some(&stored), "pass word").await);
        assert!(!h.verify(Some(&stored), " Pass word ").await);
        assert!(!h.verify(None, " pass word ").await);
        assert!(!h.needs_rehash(&stored));
    }

    #[tokio::test]
    async fn unknown_user_runs_a_real_verification() {
        let h = Hasher::new(&config()).unwrap();
        assert!(PasswordHash::new(&h.dummy_hash).is_ok());
        assert!(!h.verify(None, "anything").await);
    }

    #[test]
    fn weaker_hashes_need_rehash() {
        let h = Hasher::new(&config()).unwrap();
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(h.needs_rehash(&weak));
        assert!(h.needs_rehash("not a hash"));
    }

    fn phc(algorithm: Algorithm, m: u32, t: u32, p: u32) -> String {
        Argon2::new(
            algorithm,
            Version::V0x13,
            Params::new(m, t, p, None).unwrap(),
        )
        .hash_password(b"pw", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string()
    }

    #[test]
    fn each_weaker_setting_alone_needs_rehash_and_none_else_does() {
        // Today's settings above every floor, so each can be lower alone.
        let config = Config::from_lookup(|k| match k {
            "SESSION_SECRET" => Some("x".repeat(32)),
            "ARGON2_MEMORY_KIB" => Some("20480".into()),
            "ARGON2_ITERATIONS" => Some("3".into()),
            "ARGON2_PARALLELISM" => Some("2".into()),
            _ => None,
        })
        .unwrap();
        let h = Hasher::new(&config).unwrap();
        let id = Algorithm::Argon2id;
        assert!(!h.needs_rehash(&phc(id, 20480, 3, 2)));
        assert!(!h.needs_rehash(&phc(id, 24576, 4, 3)));
        assert!(h.needs_rehash(&phc(id, 19456, 3, 2)), "memory");
        assert!(h.needs_rehash(&phc(id, 20480, 2, 2)), "iterations");
        assert!(h.needs_rehash(&phc(id, 20480, 3, 1)), "parallelism");
        assert!(
            h.needs_rehash(&phc(Algorithm::Argon2i, 20480, 3, 2)),
            "algorithm"
        );
    }

    #[test]
    fn policy_bounds_are_inclusive() {
        // 128 characters is the longest allowed, 129 the shortest refused.
        let longest = "a1B2".repeat(32);
        assert_eq!(policy_error(&longest, "bob", 8), None);
        assert!(policy_error(&(longest + "c"), "bob", 8).is_some());
        assert_eq!(policy_error("Tr0ub4do", "bob", 8), None);
        // Without a username, only the other rules apply.
        assert_eq!(policy_error("Tr0ub4dor&3x", "", 8), None);
    }
}
