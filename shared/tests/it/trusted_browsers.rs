//! Trusted browsers and what ends them: a trusted browser skips the code
//! (never the password) for its own account for 30 days; a password
//! change, forgetting it on `/account`, "log out and forget this browser"
//! and deletion end it, server-side, so a kept copy of the cookie is
//! worthless. A plain log-out keeps it.

use shared::testing::*;
use shared::Clock;

use crate::lifecycle::NEW_PASSWORD;
use crate::recovery::change;
use crate::two_factor::{member_with_two_factor, waiting};

/// A fresh browser trusted for `name` (its sign-in completed with `tf`'s
/// current code and `trust`), signed in.
async fn trusted_for(env: &Env, name: &str, tf: &TwoFactor) -> Browser {
    env.clock.advance(30);
    let mut b = waiting(env, name).await;
    let code = tf.code(env.clock.now());
    let p = b.second_step(&[("code", &code), ("trust", "on")]).await;
    assert_eq!(p.location(), Some("/"), "{}", p.body);
    let cookie = p
        .set_cookie("__Host-trusted")
        .expect("the trusted-browser cookie");
    assert!(
        cookie.contains(&format!("Max-Age={}", 30 * 24 * 3600)),
        "{cookie}"
    );
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    b
}

/// Signs `b` out of its session only (a plain log-out).
async fn sign_out(b: &mut Browser) {
    assert_eq!(b.logout().await.location(), Some("/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_browser_skips_the_code_not_the_password() {
    let env = Env::start().await;
    let (_, tf) = member_with_two_factor(&env, "Alice").await;
    let mut t = trusted_for(&env, "alice", &tf).await;
    sign_out(&mut t).await;
    assert!(
        t.cookie("__Host-trusted").is_some(),
        "a plain log-out keeps it"
    );
    let p = t.login("alice", "wrong-password-1", false).await;
    assert_eq!(p.status, 401, "the password is still needed");
    let p = t.login("alice", PASSWORD, false).await;
    assert_eq!(p.location(), Some("/"), "no second step");
    let account = t.get("/account").await;
    assert!(account.body.contains("password (trusted browser)"));
    // 30 days on, the code is asked for again.
    sign_out(&mut t).await;
    env.clock.advance(30 * 24 * 3600 + 1);
    assert_eq!(
        t.login("alice", PASSWORD, false).await.location(),
        Some("/login/two-factor")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_browser_counts_only_for_its_own_account() {
    let env = Env::start().await;
    let (_, alice) = member_with_two_factor(&env, "Alice").await;
    member_with_two_factor(&env, "Bobby").await;
    let mut t = trusted_for(&env, "alice", &alice).await;
    sign_out(&mut t).await;
    let p = t.login("bobby", PASSWORD, false).await;
    assert_eq!(
        p.location(),
        Some("/login/two-factor"),
        "Bobby's code is asked for"
    );
    // A cookie changed by hand counts for no one.
    let mut forged = env.browser();
    let value = t.cookie("__Host-trusted").unwrap().to_string();
    forged
        .cookies
        .push(("__Host-trusted".into(), tamper(&value)));
    let p = forged.login("alice", PASSWORD, false).await;
    assert_eq!(p.location(), Some("/login/two-factor"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_forgets_every_trusted_browser() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    let mut t = trusted_for(&env, "alice", &tf).await;
    sign_out(&mut t).await;
    assert_eq!(
        change(&mut a, PASSWORD, NEW_PASSWORD).await.location(),
        Some("/account")
    );
    let p = t.login("alice", NEW_PASSWORD, false).await;
    assert_eq!(p.location(), Some("/login/two-factor"), "{}", p.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_a_trusted_browser_on_the_account_page() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    let mut t = trusted_for(&env, "alice", &tf).await;
    let kept = t.cookies.clone();
    sign_out(&mut t).await;
    let (_, bob_tf) = member_with_two_factor(&env, "Bobby").await;
    let mut bob = trusted_for(&env, "bobby", &bob_tf).await;
    let page = a.get("/account").await;
    assert!(page.body.contains("Trusted browsers"), "listed");
    let id = trusted_id(&page).expect("Alice's trusted browser listed");
    // Bobby forgetting Alice's id, and an unknown one: the same answer,
    // nothing changes.
    for browser in [id.as_str(), "not-an-id"] {
        let token = bob.get("/account").await.csrf();
        let p = bob
            .post(
                "/account/trusted-browsers/forget",
                &[("csrf_token", &token), ("browser", browser)],
            )
            .await;
        assert_eq!((p.status, p.location()), (303, Some("/account")));
        assert!(bob
            .get("/account")
            .await
            .body
            .contains("Trusted browser forgotten."));
    }
    let mut probe = env.browser();
    probe.cookies = kept.clone();
    probe.cookies.retain(|(n, _)| n != "__Host-session");
    assert_eq!(
        probe.login("alice", PASSWORD, false).await.location(),
        Some("/"),
        "still trusted"
    );
    let token = a.get("/account").await.csrf();
    let p = a
        .post(
            "/account/trusted-browsers/forget",
            &[("csrf_token", &token), ("browser", &id)],
        )
        .await;
    assert_eq!(p.location(), Some("/account"));
    assert!(a
        .get("/account")
        .await
        .body
        .contains("Trusted browser forgotten."));
    assert!(
        trusted_id(&a.get("/account").await).is_none(),
        "no longer listed"
    );
    let mut probe = env.browser();
    probe.cookies = kept;
    probe.cookies.retain(|(n, _)| n != "__Host-session");
    let p = probe.login("alice", PASSWORD, false).await;
    assert_eq!(
        p.location(),
        Some("/login/two-factor"),
        "the kept cookie is worthless"
    );
}

/// The public id of the first trusted browser an `/account` page lists.
fn trusted_id(page: &Page) -> Option<String> {
    let attr = "name=\"browser\" value=\"";
    let start = page.body.find(attr)? + attr.len();
    Some(page.body[start..start + page.body[start..].find('"')?].to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_and_forgetting_ends_the_trusted_and_device_cookies_server_side() {
    let env = Env::start().await;
    let (_, tf) = member_with_two_factor(&env, "Alice").await;
    let mut t = trusted_for(&env, "alice", &tf).await;
    let kept = t.cookies.clone();
    assert!(kept.iter().any(|(n, _)| n == "__Host-device"), "{kept:?}");
    let token = t.get("/logout").await.csrf();
    let p = t
        .post("/logout", &[("csrf_token", &token), ("forget", "1")])
        .await;
    assert_eq!(p.header("clear-site-data"), Some("\"cookies\""));
    // A copy of the cookies kept from before: the code is asked for ...
    let mut copy = env.browser();
    copy.cookies = kept
        .into_iter()
        .filter(|(n, _)| n != "__Host-session")
        .collect();
    assert_eq!(
        copy.login("alice", PASSWORD, false).await.location(),
        Some("/login/two-factor")
    );
    // ... and the device cookie no longer gets past a locked name.
    let mut guesser = env.browser();
    guesser.source_ip = "198.51.100.66".into();
    for _ in 0..6 {
        guesser.login("alice", "wrong-password", false).await;
    }
    copy.cookies.retain(|(n, _)| n == "__Host-device");
    assert_eq!(
        copy.login("alice", "wrong-password-2", false).await.status,
        429
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_account_leaves_nothing_of_its_second_factor() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    let id = env.app.account_id("alice").await.unwrap();
    let mut t = trusted_for(&env, "alice", &tf).await;
    let token = t.get("/logout").await.csrf();
    t.post("/logout", &[("csrf_token", &token), ("forget", "1")])
        .await;
    trusted_for(&env, "alice", &tf).await;
    waiting(&env, "alice").await;
    let keys = env.app.partition_keys(&id).await;
    for kind in ["account", "session#", "trusted#", "pending#", "forgot#"] {
        assert!(
            keys.iter().any(|k| k.starts_with(kind)),
            "{kind} in {keys:?}"
        );
    }
    let token = a.get("/account/delete").await.csrf();
    let p = a
        .post(
            "/account/delete",
            &[("csrf_token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(p.location(), Some("/"), "{}", p.body);
    assert_eq!(env.app.partition_keys(&id).await, Vec::<String>::new());
    assert_eq!(env.app.second_factor("alice").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_account_removes_a_set_up_key_waiting() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let id = env.app.account_id("alice").await.unwrap();
    assert!(totp_secret(&a.get("/account/two-factor").await).is_some());
    assert!(env
        .app
        .partition_keys(&id)
        .await
        .contains(&"totp-setup".to_string()));
    let token = a.get("/account/delete").await.csrf();
    a.post(
        "/account/delete",
        &[("csrf_token", &token), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(env.app.partition_keys(&id).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_retried_never_skips_the_second_factor() {
    let env = Env::start().await;
    let mut b = env.browser();
    let form = b.get("/register").await;
    let rid = form.input("request_id").unwrap();
    let fields = [
        ("username", "Alice"),
        ("email", "alice@example.com"),
        ("password", PASSWORD),
        ("csrf_token", &form.csrf()),
        ("request_id", &rid),
    ];
    assert_eq!(b.post("/register", &fields).await.status, 303);
    b.enable_two_factor(PASSWORD).await;
    // The same form again from a browser that lost the answer.
    let mut retry = env.browser();
    retry.cookies = b
        .cookies
        .iter()
        .filter(|(n, _)| n == "__Host-csrf")
        .cloned()
        .collect();
    let p = retry.post("/register", &fields).await;
    assert!(
        p.set_cookie("__Host-session").is_none(),
        "{:?}",
        p.set_cookies
    );
    assert!(!retry.get("/").await.body.contains("Hello,"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_works_after_the_session_ended_elsewhere() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    let mut t = trusted_for(&env, "alice", &tf).await;
    let kept = t.cookies.clone();
    let token = t.get("/logout").await.csrf();
    // Signed out from the other browser first.
    let page = a.get("/account").await;
    let token_a = page.csrf();
    a.post(
        "/account/sessions/revoke-others",
        &[("csrf_token", &token_a)],
    )
    .await;
    let p = t
        .post("/logout", &[("csrf_token", &token), ("forget", "1")])
        .await;
    assert_eq!(p.location(), Some("/"));
    assert_eq!(p.header("clear-site-data"), Some("\"cookies\""));
    let mut copy = env.browser();
    copy.cookies = kept
        .into_iter()
        .filter(|(n, _)| n != "__Host-session")
        .collect();
    assert_eq!(
        copy.login("alice", PASSWORD, false).await.location(),
        Some("/login/two-factor")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_device_signing_in_again_gets_a_new_device_id() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let kept = a.cookies.clone();
    let token = a.get("/logout").await.csrf();
    a.post("/logout", &[("csrf_token", &token), ("forget", "1")])
        .await;
    // A copy of the forgotten cookies signs in: its device cookie is new,
    // so it does get past a lock others made (the forgotten one would not).
    let mut copy = env.browser();
    copy.cookies = kept
        .into_iter()
        .filter(|(n, _)| n == "__Host-device")
        .collect();
    let old = copy.cookie("__Host-device").unwrap().to_string();
    assert_eq!(
        copy.login("alice", PASSWORD, false).await.location(),
        Some("/")
    );
    assert_ne!(copy.cookie("__Host-device"), Some(old.as_str()));
    copy.cookies.retain(|(n, _)| n == "__Host-device");
    let mut guesser = env.browser();
    guesser.source_ip = "198.51.100.66".into();
    for _ in 0..6 {
        guesser.login("alice", "wrong-password", false).await;
    }
    assert_eq!(
        copy.login("alice", "wrong-password-2", false).await.status,
        401
    );
}
