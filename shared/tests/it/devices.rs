//! Your devices: the sessions list and ending sessions.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_lists_sessions_and_ends_one_at_once() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut b = env.browser();
    b.user_agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1".into();
    b.source_ip = "192.0.2.9".into();
    b.login("alice", PASSWORD, true).await;
    assert!(
        b.get("/").await.body.contains("Hello, Alice"),
        "signed in first"
    );
    let acct = a.get("/account").await;
    assert_eq!(acct.body.matches("name=\"session\"").count(), 2);
    assert!(acct.body.contains("Safari on iOS") && acct.body.contains("192.0.2.9"));
    assert!(acct.body.contains("This browser"));
    // The other session's public id is the one that is not first (ours is listed first).
    let ids = acct.session_ids();
    assert!(!acct
        .body
        .contains(&b.cookie("__Host-session").unwrap().to_string()));
    let p = a
        .post(
            "/account/sessions/revoke",
            &[("csrf_token", &acct.csrf()), ("session", &ids[1])],
        )
        .await;
    assert_eq!((p.status, p.location()), (303, Some("/account")));
    assert!(a.get("/account").await.body.contains("Session signed out."));
    assert!(
        !b.get("/").await.body.contains("Hello, Alice"),
        "B's next request is anonymous"
    );
    assert!(a.get("/").await.body.contains("Hello, Alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_everywhere_else_keeps_only_this_browser() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut b = env.browser();
    b.login("alice", PASSWORD, false).await;
    let mut c = env.browser();
    c.login("alice", PASSWORD, true).await;
    assert!(
        b.get("/").await.body.contains("Hello, Alice"),
        "signed in first"
    );
    assert!(
        c.get("/").await.body.contains("Hello, Alice"),
        "signed in first"
    );
    let old_c = c.cookies.clone();
    let acct = a.get("/account").await;
    let p = a
        .post(
            "/account/sessions/revoke-others",
            &[("csrf_token", &acct.csrf())],
        )
        .await;
    assert_eq!((p.status, p.location()), (303, Some("/account")));
    let acct = a.get("/account").await;
    assert!(acct.body.contains("Signed out of all other sessions."));
    assert_eq!(acct.body.matches("name=\"session\"").count(), 1);
    assert!(!b.get("/").await.body.contains("Hello, Alice"));
    assert!(!c.get("/").await.body.contains("Hello, Alice"));
    c.cookies = old_c;
    env.clock.advance(3600);
    assert!(
        !c.get("/").await.body.contains("Hello, Alice"),
        "replayed later: still anonymous"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_persons_session_id_changes_nothing() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut m = env.browser();
    m.register("Mallory", "mallory@example.com", PASSWORD).await;
    let alice_id = a.get("/account").await.input("session").unwrap();
    let token = m.get("/account").await.csrf();
    let p = m
        .post(
            "/account/sessions/revoke",
            &[("csrf_token", &token), ("session", &alice_id)],
        )
        .await;
    let q = m
        .post(
            "/account/sessions/revoke",
            &[("csrf_token", &token), ("session", "no-such-id")],
        )
        .await;
    assert_eq!((p.status, p.location()), (q.status, q.location()));
    assert!(a.get("/").await.body.contains("Hello, Alice"));
    assert!(m.get("/").await.body.contains("Hello, Mallory"));
}
