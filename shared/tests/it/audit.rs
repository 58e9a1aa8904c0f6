//! Audit events: structured JSON lines for each security event, with the
//! request id, source IP and an HMAC of the username; never a password,
//! token or cookie.

use std::io::Write;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use shared::testing::*;

/// The pseudonym SECURITY.md describes, computed here from the secret:
/// the first 16 bytes of HMAC-SHA256 under HMAC-SHA256(secret,
/// "pseudonym/v1"), in hex.
fn pseudonym(secret: &str, name: &str) -> String {
    let mac = |key: &[u8], data: &[u8]| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes()
    };
    let key = mac(secret.as_bytes(), b"pseudonym/v1");
    mac(&key, name.as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A session cookie's bare token (`user_key:token.mac`) and its stored
/// hash (hex SHA-256).
fn token_and_hash(cookie: &str) -> (String, String) {
    let (_, rest) = cookie.split_once(':').expect("user_key:token");
    let (token, _mac) = rest.rsplit_once('.').expect("token.mac");
    let hash = Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (token.to_string(), hash)
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_events_are_logged_without_secrets() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let session_cookie = a.cookie("__Host-session").unwrap().to_string();
    a.logout().await;
    let mut b = env.browser();
    b.login("alice", "wrong-password-1", false).await;
    for _ in 0..5 {
        b.login("alice", "wrong-password-1", false).await;
    }
    env.clock.advance(16 * 60);
    b.login("alice", PASSWORD, false).await;
    let second_cookie = b.cookie("__Host-session").unwrap().to_string();
    let token = b.get("/account").await.csrf();
    b.post("/account/sessions/revoke-others", &[("csrf_token", &token)])
        .await;

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == "audit")
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| e["fields"]["event"].as_str())
        .collect();
    for want in [
        "register",
        "logout",
        "login_failure",
        "login_locked",
        "login_success",
        "revoke_others",
    ] {
        assert!(kinds.contains(&want), "no {want} event in {kinds:?}");
    }
    let alice = pseudonym(SECRET, "alice");
    assert_ne!(alice, pseudonym(SECRET, "bob"));
    assert_ne!(
        alice,
        pseudonym("another-secret-another-secret-0123", "alice")
    );
    for e in &events {
        assert_eq!(e["fields"]["user"], alice.as_str(), "{e}");
        assert_eq!(e["fields"]["source_ip"], "203.0.113.7");
        assert!(e["fields"]["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty()));
        assert!(e["timestamp"].is_string());
    }
    // Nothing secret anywhere in the log, audit or not: not the cookies,
    // nor the bare session tokens inside them, nor their stored hashes.
    let (token_1, hash_1) = token_and_hash(&session_cookie);
    let (token_2, hash_2) = token_and_hash(&second_cookie);
    for secret in [
        PASSWORD,
        "wrong-password-1",
        session_cookie.as_str(),
        second_cookie.as_str(),
        token_1.as_str(),
        hash_1.as_str(),
        token_2.as_str(),
        hash_2.as_str(),
        "alice@example.com",
    ] {
        assert!(!text.contains(secret), "the log contains {secret:?}");
    }
    assert!(!text.to_lowercase().contains("\"alice\""));
}
