//! Deletion is final (issue 19, item 3): nothing issued to a deleted
//! account (session, device cookie, link, a resubmitted registration
//! form) works for anyone afterwards, a new account that takes the freed
//! name included; and the account's pending mail goes with it.

use base64::Engine;
use shared::testing::*;

use crate::lifecycle::forgot;
use crate::mailbox::new_mail;

const NEW_PASSWORD: &str = "a-second-owner-11";

async fn delete(b: &mut Browser) -> Page {
    let token = b.get("/account/delete").await.csrf();
    let fields = [("password", PASSWORD), ("csrf_token", token.as_str())];
    b.post("/account/delete", &fields).await
}

fn greets(p: &Page, name: &str) -> bool {
    p.body.contains(&format!("Hello, {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_issued_to_a_deleted_account_works_for_the_next_with_its_name() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let welcome = new_mail(&env, &mut seen).await;
    let confirm = welcome[0].link("/email/verify");
    assert_eq!(forgot(&env, "alice@example.com").await.status, 303);
    let reset = new_mail(&env, &mut seen).await[0].link("/password/reset");
    let mut opened = env.browser();
    assert_eq!(opened.get(&reset).await.status, 303, "the reset cookie");
    // Every cookie of each kind, kept.
    let kept = a.cookies.clone();
    assert!(kept.iter().any(|(n, _)| n == "__Host-session"));
    assert!(kept.iter().any(|(n, _)| n == "__Host-device"));
    assert_eq!(delete(&mut a).await.status, 303);
    // A new Alice, same name, same address.
    let mut b = env.browser();
    b.register("alice", "alice@example.com", NEW_PASSWORD).await;
    assert!(greets(&b.get("/").await, "alice"));
    // The old session cookie: anonymous, never the new account.
    let mut old = env.browser();
    old.cookies = kept.clone();
    assert!(!greets(&old.get("/").await, "alice"));
    assert_eq!(
        old.get("/account").await.location(),
        Some("/login?next=%2Faccount")
    );
    // The old links and the reset cookie: invalid.
    assert_eq!(env.browser().get(&confirm).await.status, 410);
    assert_eq!(env.browser().get(&reset).await.status, 410);
    assert_eq!(opened.get("/password/reset").await.status, 410);
    // The old device cookie buys no guesses at the new account: with the
    // name locked by others' guesses, it is refused like any browser.
    let mut guesser = env.browser();
    guesser.source_ip = "198.51.100.77".into();
    for _ in 0..5 {
        guesser.login("alice", "wrong-password", false).await;
    }
    let mut device = env.browser();
    device.cookies = kept
        .iter()
        .filter(|(n, _)| n == "__Host-device")
        .cloned()
        .collect();
    assert_eq!(device.login("alice", NEW_PASSWORD, false).await.status, 429);
    // The new account lists only its own session.
    let page = b.get("/account").await;
    assert_eq!(page.session_ids().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resubmitted_registration_racing_a_deletion_gets_no_session() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    let mut a = env.browser();
    let form = a.get("/register").await;
    let rid = form.input("request_id").unwrap();
    let fields: Vec<(&'static str, String)> = vec![
        ("username", "Alice".into()),
        ("email", "alice@example.com".into()),
        ("password", PASSWORD.into()),
        ("csrf_token", form.csrf()),
        ("request_id", rid),
    ];
    let first: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(a.post("/register", &first).await.status, 303);
    // The same form again from a browser that lost the answer (so only its
    // CSRF cookie): its session's transaction is held...
    let mut retry = env.browser();
    retry.cookies = a
        .cookies
        .iter()
        .filter(|(n, _)| n == "__Host-csrf")
        .cloned()
        .collect();
    let held = faults.hold("TransactWriteItems", 1);
    let resubmitting = tokio::spawn(async move {
        let again: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p = retry.post("/register", &again).await;
        (retry, p)
    });
    held.reached().await;
    // ...while the account is deleted.
    assert_eq!(delete(&mut a).await.status, 303);
    held.release();
    let (mut retry, p) = resubmitting.await.unwrap();
    assert_ne!(
        p.status, 303,
        "no session for a deleted account: {}",
        p.body
    );
    assert!(!greets(&retry.get("/").await, "Alice"));
    let check = check_tables(&env.app).await.expect("tables whole");
    assert_eq!((check.accounts, check.sessions), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_takes_the_accounts_pending_mail_with_it() {
    let env = Env::start_mail(&[]).await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    // The welcome, a reset link and 120 notices not yet sent (more than
    // the deletion's transaction holds).
    assert_eq!(forgot(&env, "alice@example.com").await.status, 303);
    env.app.plant_mail("alice", 120).await;
    assert_eq!(env.app.mail_items_of("alice").await, 122);
    assert_eq!(delete(&mut a).await.status, 303);
    assert_eq!(
        env.app.mail_items_of("alice").await,
        0,
        "the address is gone"
    );
    let mut seen = 0;
    assert!(
        new_mail(&env, &mut seen).await.is_empty(),
        "and nothing is sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cookie_that_outlives_the_page_shows_the_name_or_the_address() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    a.logout().await;
    a.login("alice", PASSWORD, true).await;
    let forms = ["alice", "Alice", "alice@example.com", "example.com"];
    for name in ["__Host-session", "__Host-device"] {
        let value = a
            .cookie(name)
            .unwrap_or_else(|| panic!("{name}"))
            .to_string();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for shown in forms {
            let encoded = [
                shown.to_string(),
                b64.encode(shown),
                shared::forms::encode(shown),
            ];
            for e in encoded {
                assert!(
                    !value.contains(&e),
                    "{name} holds {shown:?} as {e:?}: {value}"
                );
            }
        }
        // Not even decoded as a whole.
        for part in value.split(['.', ':']) {
            if let Ok(bytes) = b64.decode(part) {
                let text = String::from_utf8_lossy(&bytes).to_lowercase();
                assert!(!text.contains("alice"), "{name}: {part}");
            }
        }
    }
}
