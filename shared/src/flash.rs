//! Flash messages: set on a redirect, shown once by the next page. They
//! travel in a signed cookie, as Flask's and Rails' do.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cookie::Cookie;
use serde::{Deserialize, Serialize};

use crate::cookies::{self, Keys};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Success,
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub level: Level,
    pub text: String,
}

impl Flash {
    pub fn success(text: impl Into<String>) -> Self {
        Self {
            level: Level::Success,
            text: text.into(),
        }
    }
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            level: Level::Info,
            text: text.into(),
        }
    }
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            level: Level::Error,
            text: text.into(),
        }
    }
}

/// The signed cookie carrying `messages` to the next page.
pub fn cookie(keys: &Keys, messages: &[Flash], secure: bool) -> Cookie<'static> {
    let json = serde_json::to_vec(messages).unwrap_or_default();
    keys.sign(cookies::build(
        cookies::FLASH,
        URL_SAFE_NO_PAD.encode(json),
        secure,
        None,
    ))
}

/// The messages in the request's flash cookie; nothing when absent, tampered
/// with or malformed.
pub fn read(keys: &Keys, cookie: Option<&Cookie<'_>>) -> Vec<Flash> {
    cookie
        .and_then(|c| keys.verify(c))
        .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let k = Keys::new(b"0123456789abcdef0123456789abcdef", None);
        let msgs = vec![
            Flash::success("Welcome back, Alice!"),
            Flash::info("<b>hi</b>; x=1"),
        ];
        let c = cookie(&k, &msgs, false);
        assert_eq!(read(&k, Some(&c)), msgs);
        let forged = Cookie::new(
            "flash",
            URL_SAFE_NO_PAD.encode(b"[{\"level\":\"info\",\"text\":\"x\"}]"),
        );
        assert!(read(&k, Some(&forged)).is_empty());
        assert!(read(&k, None).is_empty());
    }
}
