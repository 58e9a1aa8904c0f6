//! RFC 4648 base32 without padding: how authenticator apps take a TOTP
//! secret (typed, or in the `otpauth://` URI), and the alphabet recovery
//! codes are written in (no 0/O, 1/I/L or 8/B to confuse). Twenty lines,
//! pinned by the RFC's test vectors, rather than a crate for them.

/// The RFC 4648 base32 alphabet, upper case.
pub(super) const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `bytes` in base32, upper case, without `=` padding.
pub(super) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u16, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[usize::from((buffer >> bits) & 31)] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[usize::from((buffer << (5 - bits)) & 31)] as char);
    }
    out
}

/// The inverse of `encode`, accepting only what it writes: upper case, no
/// padding, no impossible length, unused low bits zero. One text, one value.
/// Only the tests read a key back (as an authenticator app does).
#[cfg(any(test, feature = "test-util"))]
pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
    if matches!(text.len() % 8, 1 | 3 | 6) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u16, 0u32);
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|&b| b == c)?;
        // `value` < 32: the cast cannot truncate.
        buffer = (buffer << 5) | value as u16;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    // What is left (< 8 bits) must be the last character's zero fill.
    (buffer & ((1 << bits) - 1) == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_section_10_vectors_both_ways() {
        let vectors: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "MY"),
            (b"fo", "MZXQ"),
            (b"foo", "MZXW6"),
            (b"foob", "MZXW6YQ"),
            (b"fooba", "MZXW6YTB"),
            (b"foobar", "MZXW6YTBOI"),
        ];
        for (bytes, text) in vectors {
            assert_eq!(encode(bytes), text);
            assert_eq!(decode(text).as_deref(), Some(bytes), "{text}");
        }
    }

    #[test]
    fn every_length_and_byte_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        for n in 0..40 {
            let slice = &bytes[255 - n..];
            assert_eq!(decode(&encode(slice)).as_deref(), Some(slice), "{n}");
        }
        assert_eq!(decode(&encode(&bytes)), Some(bytes));
    }

    #[test]
    fn refuses_what_it_would_not_write() {
        for bad in [
            "M", "MZX", "MZXW6Y", // impossible lengths
            "MZ",     // non-zero unused bits ("f" is "MY")
            "my",     // lower case
            "MY======", "MZXW1", "MZXW8", "MZ W6", "MZXé",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
