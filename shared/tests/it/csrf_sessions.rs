//! CSRF tokens and session cookies of signed-in browsers: a token belongs
//! to one live session; a key rotation keeps what the previous key signed
//! working until the previous key goes; over HTTPS only `__Host-` cookies
//! count; a cookie that names no live session is dropped.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_sessions_needs_this_sessions_token() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut b = env.browser();
    b.login("alice", PASSWORD, false).await;
    let other_session = b.get("/account").await.csrf();
    let anonymous = env.browser().get("/login").await.csrf();
    let ids = a.get("/account").await.session_ids();
    assert_eq!(ids.len(), 2);
    for path in [
        "/account/sessions/revoke",
        "/account/sessions/revoke-others",
    ] {
        for token in [None, Some("forged"), Some(&other_session), Some(&anonymous)] {
            let mut fields = vec![("session", ids[1].as_str())];
            fields.extend(token.map(|t| ("csrf_token", t)));
            let p = a.post(path, &fields).await;
            assert_eq!(p.status, 403, "{path} with {token:?}: {}", p.body);
        }
    }
    // Nothing was ended: both sessions are listed and B is still in.
    assert_eq!(a.get("/account").await.session_ids(), ids);
    assert!(b.get("/").await.body.contains("Hello, Alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_dies_with_its_session() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let old = a.get("/account").await.csrf();
    assert_eq!(a.logout().await.status, 303);
    assert_eq!(a.login("alice", PASSWORD, false).await.status, 303);
    assert!(a.get("/").await.body.contains("Hello, Alice"));
    for path in ["/logout", "/account/sessions/revoke-others"] {
        let p = a.post(path, &[("csrf_token", &old)]).await;
        assert_eq!(p.status, 403, "{path}");
    }
    assert!(a.get("/").await.body.contains("Hello, Alice"));
    // The new session's own token works.
    let fresh = a.get("/").await.csrf();
    assert_ne!(fresh, old);
    assert_eq!(
        a.post("/logout", &[("csrf_token", &fresh)]).await.status,
        303
    );
}

const ROTATED: &str = "rotated-secret-0123456789abcdef-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_keeps_the_previous_keys_cookies_and_tokens_until_it_goes() {
    let env = Env::start().await;
    // Signed under the old key: Alice's session and its token, and an
    // anonymous browser's login form token.
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let token = a.get("/").await.csrf();
    let mut anon = env.browser();
    let anon_token = anon.get("/login").await.csrf();
    let fields = [
        ("username", "nobody"),
        ("password", "wrong-password"),
        ("csrf_token", anon_token.as_str()),
    ];

    let rotated = Env::app_at(
        &env.endpoint,
        &[
            ("SESSION_SECRET", ROTATED),
            ("SESSION_SECRET_PREVIOUS", SECRET),
        ],
    );
    let mut r = rotated.browser();
    r.cookies = a.cookies.clone();
    assert!(r.get("/").await.body.contains("Hello, Alice"));
    let mut r_anon = rotated.browser();
    r_anon.cookies = anon.cookies.clone();
    assert_eq!(r_anon.post("/login", &fields).await.status, 401);

    let gone = Env::app_at(&env.endpoint, &[("SESSION_SECRET", ROTATED)]);
    let mut g_anon = gone.browser();
    g_anon.cookies = anon.cookies.clone();
    assert_eq!(g_anon.post("/login", &fields).await.status, 403);
    let mut g = gone.browser();
    g.cookies = a.cookies.clone();
    let home = g.get("/").await;
    assert!(!home.body.contains("Hello, Alice"));
    assert!(home
        .set_cookie("__Host-session")
        .unwrap()
        .contains("Max-Age=0"));

    // With the previous key still there, the old session's token works.
    let p = r.post("/logout", &[("csrf_token", &token)]).await;
    assert_eq!((p.status, p.location()), (303, Some("/")), "{}", p.body);
    assert!(!a.get("/").await.body.contains("Hello, Alice"), "ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_plain_named_cookies_are_not_read() {
    // Cookies validly signed under their plain names, by the same site
    // served over plain http (same secret, same DynamoDB).
    let env = Env::start().await;
    let plain = Env::app_at(&env.endpoint, &[("LOCAL_PLAIN_HTTP", "1")]);
    let mut p = plain.browser();
    assert!(!p.https);
    p.register("Alice", "alice@example.com", PASSWORD).await;
    assert!(p.cookie("session").is_some());
    assert!(p.get("/").await.body.contains("Hello, Alice"));
    let mut form = plain.browser();
    let token = form.get("/login").await.csrf();
    assert!(form.cookie("csrf").is_some());
    // Over HTTPS, neither is read.
    let mut a = env.browser();
    a.cookies = p.cookies.clone();
    assert!(!a.get("/").await.body.contains("Hello, Alice"));
    assert_eq!(a.get("/account").await.status, 303);
    let mut b = env.browser();
    b.cookies = form.cookies.clone();
    let fields = [
        ("username", "alice"),
        ("password", PASSWORD),
        ("csrf_token", token.as_str()),
    ];
    assert_eq!(b.post("/login", &fields).await.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_or_stale_session_cookie_is_dropped() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let live = a.get("/").await;
    assert!(live.body.contains("Hello, Alice"));
    assert!(
        live.set_cookie("__Host-session").is_none(),
        "a live one stays"
    );
    let value = a.cookie("__Host-session").unwrap().to_string();
    let stale = a.cookies.clone();
    a.logout().await;
    for (what, cookie) in [
        ("tampered", tamper(&value)),
        ("tampered", format!("{value}x")),
        ("garbage", "garbage".to_string()),
        ("logged out", value.clone()),
    ] {
        let mut b = env.browser();
        b.cookies = stale.clone();
        b.cookies.retain(|(n, _)| n != "__Host-session");
        b.cookies.push(("__Host-session".into(), cookie));
        let p = b.get("/").await;
        assert_eq!(p.status, 200, "{what}");
        let drop = p.set_cookie("__Host-session").expect(what);
        assert!(drop.starts_with("__Host-session=;"), "{what}: {drop}");
        for attr in ["Max-Age=0", "Path=/", "Secure", "HttpOnly"] {
            assert!(drop.contains(attr), "{what}: {drop} lacks {attr}");
        }
    }
}
