//! Sessions: cookie attributes, lifetimes, new tokens, concurrent and repeated registrations.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_carry_the_right_attributes_over_https() {
    let env = Env::start().await;
    let mut b = env.browser();
    let form = b.get("/register").await;
    let csrf = form.set_cookie("__Host-csrf").expect("csrf cookie");
    let p = b.register("Alice", "alice@example.com", PASSWORD).await;
    let s = p.set_cookie("__Host-session").expect("session cookie");
    for c in [csrf, s] {
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(!c.contains("Domain"));
    }
    assert!(
        !s.contains("Max-Age"),
        "not remembered: a browser-session cookie"
    );
    assert!(p
        .header("strict-transport-security")
        .unwrap()
        .contains("max-age=63072000"));
    // Several cookies reach the browser in one response.
    assert!(p.set_cookies.len() >= 2, "{:?}", p.set_cookies);
    assert!(p.set_cookie("__Host-flash").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_comes_from_the_event_not_from_x_forwarded_proto() {
    // Every API Gateway event came over HTTPS. A client that sends its own
    // `X-Forwarded-Proto: http` (or none) still gets `Secure`, `__Host-`
    // and HSTS.
    let env = Env::start().await;
    for proto in [Some("http"), Some("HTTP"), None] {
        let mut b = env.browser();
        let mut ev = b.event("GET", "/register", None, &[]);
        match proto {
            Some(p) => ev["headers"]["x-forwarded-proto"] = p.into(),
            None => {
                ev["headers"]
                    .as_object_mut()
                    .unwrap()
                    .remove("x-forwarded-proto");
            }
        }
        let p = b.send_event(&ev.to_string(), "/register").await;
        let csrf = p.set_cookie("__Host-csrf").expect("a __Host- cookie");
        assert!(csrf.contains("Secure"), "{proto:?}: {csrf}");
        assert!(p.set_cookie("csrf").is_none(), "{proto:?}");
        assert!(p.header("strict-transport-security").is_some(), "{proto:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_plain_http_switch_uses_plain_names_and_no_secure() {
    let env = Env::start_with(&[("LOCAL_PLAIN_HTTP", "1")]).await;
    let mut b = env.browser();
    assert!(!b.https);
    let p = b.register("Alice", "alice@example.com", PASSWORD).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let s = p.set_cookie("session").expect("session cookie");
    assert!(!s.contains("Secure") && s.contains("HttpOnly"));
    assert!(p.header("strict-transport-security").is_none());
    assert!(b.get("/").await.body.contains("Hello, Alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remember_me_lasts_30_days_and_without_it_2h_idle_24h_total() {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;

    let mut remembered = env.browser();
    let p = remembered.login("alice", PASSWORD, true).await;
    assert!(p
        .set_cookie("__Host-session")
        .unwrap()
        .contains("Max-Age=2592000"));

    let mut idle = env.browser();
    idle.login("alice", PASSWORD, false).await;
    assert!(
        idle.get("/").await.body.contains("Hello, Alice"),
        "signed in first"
    );
    let mut active = env.browser();
    active.login("alice", PASSWORD, false).await;

    // Active every 90 minutes: still signed in at 22.5 h, even though the
    // idle browser timed out after 2 h.
    for _ in 0..15 {
        env.clock.advance(90 * 60);
        assert!(active.get("/").await.body.contains("Hello, Alice"));
    }
    assert!(!idle.get("/").await.body.contains("Hello, Alice"));
    // 24 hours in all, however active.
    env.clock.advance(90 * 60);
    assert!(!active.get("/").await.body.contains("Hello, Alice"));
    // Remembered: still there at 29 days, gone after 30.
    env.clock.advance(28 * 86400);
    assert!(remembered.get("/").await.body.contains("Hello, Alice"));
    env.clock.advance(2 * 86400);
    assert!(!remembered.get("/").await.body.contains("Hello, Alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_login_gets_a_new_token() {
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let first = b.cookie("__Host-session").unwrap().to_string();
    b.logout().await;
    // A cookie planted before login is never adopted.
    b.cookies.push(("__Host-session".into(), first.clone()));
    b.login("alice", PASSWORD, false).await;
    let second = b.cookie("__Host-session").unwrap().to_string();
    assert_ne!(first, second);
    assert!(b.get("/").await.body.contains("Hello, Alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_of_one_name_create_one_user() {
    let env = Env::start().await;
    let mut handles = Vec::new();
    for i in 0..8 {
        let app = env.app.clone();
        handles.push(tokio::spawn(async move {
            let mut b = Browser::new(app, true);
            b.register(
                if i % 2 == 0 { "Racer" } else { "racer" },
                &format!("racer{i}@example.com"),
                PASSWORD,
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    assert!(env.app.password_hash("racer").await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_submitted_registration_succeeds_twice_with_one_user() {
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
    let first = b.post("/register", &fields).await;
    b.cookies.retain(|(n, _)| n != "__Host-session");
    let second = b.post("/register", &fields).await;
    assert_eq!((first.status, second.status), (303, 303), "{}", second.body);
    assert!(b.get("/").await.body.contains("Hello, Alice"));
    // Another form (another request id) gets the usual answer.
    let mut c = env.browser();
    assert_eq!(
        c.register("Alice", "alice@example.com", PASSWORD)
            .await
            .status,
        409
    );
}

/// `name`, signed in, with the log-out form's token; the session then
/// expires (24 hours in all).
async fn expired(env: &Env, name: &str) -> (Browser, String) {
    let mut b = env.browser();
    b.register(name, &format!("{name}@example.com"), PASSWORD)
        .await;
    let token = b.get("/account").await.csrf();
    env.clock.advance(25 * 3600);
    (b, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_of_an_expired_session_is_a_normal_logout() {
    let env = Env::start().await;
    let (mut b, token) = expired(&env, "Alice").await;
    let p = b.post("/logout", &[("csrf_token", &token)]).await;
    assert_eq!((p.status, p.location()), (303, Some("/")), "{}", p.body);
    let removal = p.set_cookie("__Host-session").expect("drops the cookie");
    assert!(removal.contains("Max-Age=0"));
    assert!(b.get("/").await.body.contains("Logged out successfully."));
    // Without even a token (the form came from a cached page).
    let (mut c, _) = expired(&env, "Bob").await;
    let p = c.post("/logout", &[]).await;
    assert_eq!((p.status, p.location()), (303, Some("/")));
    assert!(p.set_cookie("__Host-session").is_some());
    // A session ended elsewhere is no different.
    let mut d = env.browser();
    d.login("alice", PASSWORD, false).await;
    let token = d.get("/").await.csrf();
    let mut e = env.browser();
    e.login("alice", PASSWORD, false).await;
    let acct = e.get("/account").await;
    e.post(
        "/account/sessions/revoke-others",
        &[("csrf_token", &acct.csrf())],
    )
    .await;
    let p = d.post("/logout", &[("csrf_token", &token)]).await;
    assert_eq!((p.status, p.location()), (303, Some("/")));
    // With no session cookie at all there is nothing to clear.
    let mut f = env.browser();
    let p = f.post("/logout", &[]).await;
    assert_eq!((p.status, p.location()), (303, Some("/")));
    assert!(p.set_cookies.is_empty() && p.header("clear-site-data").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_sessions_without_a_live_one_asks_to_log_in() {
    for path in [
        "/account/sessions/revoke",
        "/account/sessions/revoke-others",
    ] {
        let env = Env::start().await;
        let (mut b, token) = expired(&env, "Alice").await;
        let p = b
            .post(path, &[("csrf_token", &token), ("session", "anything")])
            .await;
        assert_eq!(
            (p.status, p.location()),
            (303, Some("/login?next=%2Faccount")),
            "{path}: {}",
            p.body
        );
        let removal = p.set_cookie("__Host-session").expect("drops the cookie");
        assert!(removal.contains("Max-Age=0"), "{path}");
    }
}
