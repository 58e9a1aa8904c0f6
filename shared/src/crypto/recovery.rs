//! Recovery codes: the way in when the authenticator is lost. Ten codes,
//! each 100 random bits written as 20 lower-case base32 characters in
//! groups of five (`xxxxx-xxxxx-xxxxx-xxxxx`): base32 leaves out 0/O, 1/I/L
//! and 8/B, and the groups are easy to copy by hand.
//!
//! They are stored only as a keyed hash: HMAC-SHA256 under the recovery key
//! (derived from `DATA_SECRET`, purpose `recovery-code/v1`) of the
//! account id and the code. A plain hash of 100 bits could not be guessed
//! either, but the key means a leaked table cannot even be checked offline,
//! and the account id means a stored hash is no use for another account.
//! During a rotation a code may have been hashed under the previous key, so
//! a check looks for either hash (`hashes_for_check`).

use super::{base32, hex, hmac, Keys};
use rand_core::{OsRng, RngCore};

/// Codes in a set.
pub(crate) const COUNT: usize = 10;
/// Characters in a code, 5 bits each: 100 bits.
const CHARS: usize = 20;
// The contract asks for at least 100 random bits per code.
const _: () = assert!(CHARS * 5 >= 100);
/// Characters between hyphens as shown.
const GROUP: usize = 5;
/// Longer input is refused before any work (a code as shown is 23).
const MAX_INPUT: usize = 64;

/// A new set of `COUNT` distinct codes, as shown to the person once.
pub(crate) fn generate() -> Vec<String> {
    let mut codes = Vec::with_capacity(COUNT);
    while codes.len() < COUNT {
        let code = one_code();
        // Two equal codes are a 2^-100 event, but a set must never hold one.
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// One code, `xxxxx-xxxxx-xxxxx-xxxxx`.
fn one_code() -> String {
    let mut bytes = [0u8; CHARS];
    OsRng.fill_bytes(&mut bytes);
    let mut code = String::with_capacity(CHARS + CHARS / GROUP - 1);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 && i % GROUP == 0 {
            code.push('-');
        }
        // 256 is a multiple of 32, so the low 5 bits are uniform.
        let c = base32::ALPHABET[usize::from(byte & 31)];
        code.push(char::from(c.to_ascii_lowercase()));
    }
    code
}

/// A code as typed, in the one form that is hashed: case, spaces and
/// hyphens ignored (wherever they are), lower case, 20 characters. `None`
/// for any other character or another length.
pub(crate) fn normalize(input: &str) -> Option<String> {
    if input.len() > MAX_INPUT {
        return None;
    }
    let code: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let in_alphabet = |b: u8| base32::ALPHABET.contains(&b.to_ascii_uppercase());
    (code.len() == CHARS && code.bytes().all(in_alphabet)).then_some(code)
}

/// What the keyed hash covers: the account id's length, the account id,
/// the code. The length keeps any two (account, code) pairs apart.
fn message(account_id: &str, normalized: &str) -> Vec<u8> {
    let mut msg = Vec::with_capacity(8 + account_id.len() + normalized.len());
    msg.extend_from_slice(&(account_id.len() as u64).to_be_bytes());
    msg.extend_from_slice(account_id.as_bytes());
    msg.extend_from_slice(normalized.as_bytes());
    msg
}

/// The stored form of a code, under the current key: hex HMAC-SHA256.
/// `normalized` is what `normalize` returned (for a generated code too:
/// `normalize` of the shown form).
pub(crate) fn hash(keys: &Keys, account_id: &str, normalized: &str) -> String {
    debug_assert_eq!(normalize(normalized).as_deref(), Some(normalized));
    let key = keys
        .recovery
        .keys()
        .next()
        .unwrap_or_else(|| unreachable!());
    hex(&hmac(key, &message(account_id, normalized)))
}

/// The hashes a typed code may be stored under: the current key's, then
/// the previous key's during a rotation. The caller uses up whichever one
/// the account holds (one conditional write, so a code works once).
pub(crate) fn hashes_for_check(keys: &Keys, account_id: &str, normalized: &str) -> Vec<String> {
    let msg = message(account_id, normalized);
    keys.recovery
        .keys()
        .map(|key| hex(&hmac(key, &msg)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &[u8] = b"0123456789abcdef0123456789abcdef";
    const OLD: &[u8] = b"old-secret-old-secret-old-secret!";

    fn is_shown_form(code: &str) -> bool {
        let groups: Vec<&str> = code.split('-').collect();
        groups.len() == 4
            && groups.iter().all(|g| {
                g.len() == 5
                    && g.bytes()
                        .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
            })
    }

    #[test]
    fn a_set_is_ten_distinct_codes_in_groups() {
        let codes = generate();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        for code in &codes {
            assert!(is_shown_form(code), "{code}");
            assert_eq!(code.len(), 23);
            assert_eq!(normalize(code), Some(code.replace('-', "")));
        }
        assert_ne!(generate(), codes);
    }

    #[test]
    fn every_character_carries_five_uniform_bits() {
        // 100 sets: 20,000 characters, 625 of each symbol expected (sd ~25).
        let mut counts = [0usize; 32];
        for code in (0..100).flat_map(|_| generate()) {
            for b in code.bytes().filter(|&b| b != b'-') {
                let i = base32::ALPHABET
                    .iter()
                    .position(|&a| a == b.to_ascii_uppercase());
                counts[i.unwrap()] += 1;
            }
        }
        assert_eq!(counts.iter().sum::<usize>(), 20_000);
        assert!(
            counts.iter().all(|&n| (450..=800).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn typing_ignores_case_spaces_and_hyphens_only() {
        let want = Some("abcde234567fghijklmn".to_string());
        for typed in [
            "abcde-23456-7fghi-jklmn",
            "ABCDE-23456-7FGHI-JKLMN",
            "abcde234567fghijklmn",
            "abcde 23456 7fghi jklmn",
            " AbCdE - 23456 -7fGhI--jklmn ",
            "a-b-c-d-e-2-3-4-5-6-7-f-g-h-i-j-k-l-m-n",
        ] {
            assert_eq!(normalize(typed), want, "{typed:?}");
        }
        let padded = |n| format!("abcde234567fghijklmn{}", " ".repeat(n));
        assert_eq!(normalize(&padded(44)), want); // 64 characters
        assert_eq!(normalize(&padded(45)), None);
        for typed in [
            "",
            "-----",
            "abcde-23456-7fghi-jklm",         // 19
            "abcde-23456-7fghi-jklmno",       // 21
            "abcde-23456-7fghi-jklm0",        // 0 is not base32
            "abcde-23456-7fghi-jklm1",        // nor 1
            "abcde-23456-7fghi-jklm8",        // nor 8
            "abcde-23456-7fghi-jklm9",        // nor 9
            "abcde_23456_7fghi_jklmn",        // other separators
            "abcde.23456.7fghi.jklmn",        //
            "abcde\t23456\t7fghi\tjklmn",     // other white space
            "abcde-23456-7fghi-jklmé",        // not ASCII
            "abcde-23456-7fghi-jklm\u{212A}", // the Kelvin sign, not K
        ] {
            assert_eq!(normalize(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn hashes_are_keyed_per_account_and_per_code() {
        let keys = Keys::new(NEW, None);
        let code = normalize(&generate()[0]).unwrap();
        let h = hash(&keys, "alice", &code);
        assert_eq!(h.len(), 64);
        assert!(h
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(h, hash(&keys, "alice", &code));
        assert_ne!(h, hash(&keys, "bob", &code));
        assert_ne!(h, hash(&keys, "alice", &normalize(&generate()[0]).unwrap()));
        assert_ne!(h, hash(&Keys::new(OLD, None), "alice", &code));
        // Not a plain hash, and not the cookie key's MAC of the same text.
        assert_ne!(h, crate::crypto::token_hash(&code));
        let msg = message("alice", &code);
        assert_ne!(h, hex(&hmac(keys.signing.keys().next().unwrap(), &msg)));
        assert_eq!(hashes_for_check(&keys, "alice", &code), vec![h]);
    }

    #[test]
    fn a_code_hashed_before_a_rotation_still_matches() {
        let code = normalize(&generate()[0]).unwrap();
        let stored = hash(&Keys::new(OLD, None), "alice", &code);
        let rotated = Keys::new(NEW, Some(OLD));
        let candidates = hashes_for_check(&rotated, "alice", &code);
        assert_eq!(candidates.len(), 2);
        assert_eq!(candidates[0], hash(&rotated, "alice", &code));
        assert_eq!(candidates[1], stored);
        // Once the old secret is gone, the old hash no longer matches.
        let after = hashes_for_check(&Keys::new(NEW, None), "alice", &code);
        assert!(!after.contains(&stored));
        // Nor does another account's check find it.
        assert!(!hashes_for_check(&rotated, "bob", &code).contains(&stored));
    }

    proptest::proptest! {
        /// Anything typed is refused or comes out in the one stored form,
        /// which stays as it is.
        #[test]
        fn typing_anything_gives_the_stored_form_or_nothing(typed in "[ -~]{0,70}|[a-zA-Z2-7 -]{20,30}") {
            if let Some(normal) = normalize(&typed) {
                proptest::prop_assert_eq!(normal.len(), 20);
                proptest::prop_assert!(normal.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7')));
                proptest::prop_assert_eq!(normalize(&normal), Some(normal.clone()));
            }
        }
    }
}
