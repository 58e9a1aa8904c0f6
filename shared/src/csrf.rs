//! CSRF tokens: an HMAC of what ties the form to this browser. Before login
//! that is a random value in the browser's `csrf` cookie; once signed in it is
//! the session itself, so a token dies with its session.

use crate::crypto::Keys;

pub(crate) const FIELD: &str = "csrf_token";

/// What a token is bound to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Binding<'a> {
    /// The anonymous browser's `csrf` cookie value.
    Browser(&'a str),
    /// The signed-in session's token hash.
    Session(&'a str),
}

fn message(binding: Binding<'_>) -> Vec<u8> {
    match binding {
        Binding::Browser(v) => [b"browser:".as_slice(), v.as_bytes()].concat(),
        Binding::Session(h) => [b"session:".as_slice(), h.as_bytes()].concat(),
    }
}

pub(crate) fn token(keys: &Keys, binding: Binding<'_>) -> String {
    keys.csrf.mac(&message(binding))
}

/// Whether `submitted` is the token for `binding`, under the current key or
/// the previous one; compared in constant time.
pub(crate) fn verify(keys: &Keys, binding: Binding<'_>, submitted: &str) -> bool {
    keys.csrf.verify(&message(binding), submitted)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::crypto::test_keys as keys;

    #[test]
    fn token_verifies_only_for_its_binding() {
        let k = keys();
        let t = token(&k, Binding::Browser("cookie-a"));
        assert!(verify(&k, Binding::Browser("cookie-a"), &t));
        assert!(!verify(&k, Binding::Browser("cookie-b"), &t));
        assert!(!verify(&k, Binding::Session("cookie-a"), &t));
        assert!(!verify(&k, Binding::Browser("cookie-a"), ""));
        assert!(!verify(&k, Binding::Browser("cookie-a"), &t[..t.len() - 1]));
    }

    #[test]
    fn session_tokens_differ_per_session_and_key() {
        let k = keys();
        let a = token(&k, Binding::Session("h1"));
        assert_ne!(a, token(&k, Binding::Session("h2")));
        let other = Keys::new(b"another-secret-another-secret-!!", None);
        assert!(!verify(&other, Binding::Session("h1"), &a));
        let rotated = Keys::new(
            b"another-secret-another-secret-!!",
            Some(b"0123456789abcdef0123456789abcdef"),
        );
        assert!(verify(&rotated, Binding::Session("h1"), &a));
    }
}
