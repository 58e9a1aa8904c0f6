//! Pages: who sees what, redirects, log-out, `next`.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_home_links_to_login_and_register() {
    let env = Env::start().await;
    let mut b = env.browser();
    let p = b.get("/").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("href=\"/login\"") && p.body.contains("href=\"/register\""));
    assert!(!p.body.contains("Hello,"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_signs_in_greets_and_flashes_once() {
    let env = Env::start().await;
    let mut b = env.browser();
    let p = b.register("Alice", "alice@example.com", PASSWORD).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), Some("/"));
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home
        .body
        .contains("Registration successful, welcome Alice!"));
    assert!(home.body.contains("Hello, Alice"));
    assert!(home.body.contains("href=\"/account\""));
    assert!(home.body.contains("action=\"/logout\""));
    assert_eq!(home.header("cache-control"), Some("no-store"));
    // Flash messages show once.
    let again = b.get("/").await;
    assert!(!again.body.contains("Registration successful"));
    assert!(again.body.contains("Hello, Alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_shows_username_email_and_member_since() {
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let p = b.get("/account").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Alice") && p.body.contains("alice@example.com"));
    assert!(p.body.contains("2026-09-21"), "member since as YYYY-MM-DD");
    assert_eq!(p.header("cache-control"), Some("no-store"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_when_anonymous_asks_to_log_in_then_returns() {
    let env = Env::start().await;
    let mut b = env.browser();
    let p = b.get("/account").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), Some("/login?next=%2Faccount"));
    let login = b.get("/login?next=%2Faccount").await;
    assert_eq!(login.status, 200);
    assert_eq!(login.body.matches("Please log in first.").count(), 1);
    assert!(login.body.contains("action=\"/login?next=%2Faccount\""));

    let mut other = env.browser();
    other.register("Alice", "alice@example.com", PASSWORD).await;
    let token = login.csrf();
    let p = b
        .post(
            "/login?next=%2Faccount",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), Some("/account"));
    assert_eq!(b.get("/account").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_visitors_are_sent_home_from_login_and_register() {
    let env = Env::start().await;
    let mut b = env.browser();
    let form = b.get("/register").await;
    let token = form.csrf();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    for path in ["/login", "/register"] {
        let p = b.get(path).await;
        assert_eq!((p.status, p.location()), (303, Some("/")), "GET {path}");
        let p = b
            .post(
                path,
                &[("csrf_token", &token), ("username", "x"), ("password", "y")],
            )
            .await;
        assert_eq!((p.status, p.location()), (303, Some("/")), "POST {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_page_confirms_and_anonymous_is_sent_to_login() {
    let env = Env::start().await;
    let mut b = env.browser();
    let p = b.get("/logout").await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/login?next=%2Flogout"))
    );
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let p = b.get("/logout").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("method=\"post\" action=\"/logout\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_session_server_side() {
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    assert!(
        b.get("/").await.body.contains("Hello, Alice"),
        "signed in first"
    );
    let old = b.cookies.clone();
    let p = b.logout().await;
    assert_eq!((p.status, p.location()), (303, Some("/")));
    // A plain log-out keeps the browser's other cookies (the device cookie
    // skips the per-IP limit next time; it signs no one in).
    assert!(p.header("clear-site-data").is_none());
    assert!(
        p.set_cookie("__Host-device").is_none(),
        "the device cookie stays"
    );
    let removal = p.set_cookie("__Host-session").expect("clears the cookie");
    assert!(removal.contains("Max-Age=0"));
    let home = b.get("/").await;
    assert!(home.body.contains("Logged out successfully."));
    assert!(!home.body.contains("Hello,"));
    // Replaying the old cookie: anonymous.
    b.cookies = old;
    let replay = b.get("/").await;
    assert_eq!(replay.status, 200);
    assert!(!replay.body.contains("Hello, Alice"));
    assert_eq!(b.get("/account").await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_and_forgetting_the_browser_clears_its_cookies() {
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let p = forget_this_browser(&mut b).await;
    assert_eq!((p.status, p.location()), (303, Some("/")));
    assert_eq!(p.header("clear-site-data"), Some("\"cookies\""));
    for name in ["__Host-session", "__Host-device", "__Host-trusted"] {
        let removal = p
            .set_cookie(name)
            .unwrap_or_else(|| panic!("{name} removed"));
        assert!(removal.contains("Max-Age=0"), "{removal}");
    }
    let home = b.get("/").await;
    assert!(home.body.contains("Logged out successfully."));
    assert!(!home.body.contains("Hello,"));
}

/// POST /logout with `forget=1`, as the log-out page's second button.
async fn forget_this_browser(b: &mut Browser) -> Page {
    let page = b.get("/logout").await;
    assert!(
        page.body.contains("name=\"forget\" value=\"1\""),
        "the page offers it"
    );
    let token = page.csrf();
    b.post("/logout", &[("csrf_token", &token), ("forget", "1")])
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_gets_clear_site_data_with_the_page_that_says_logged_out() {
    // Chromium drops cookies set alongside Clear-Site-Data, so a navigating
    // browser gets the header one response later, with the message.
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    b.extra_headers
        .push(("sec-fetch-mode".into(), "navigate".into()));
    let p = forget_this_browser(&mut b).await;
    assert_eq!((p.status, p.location()), (303, Some("/")));
    assert!(p.header("clear-site-data").is_none());
    assert!(p
        .set_cookie("__Host-session")
        .unwrap()
        .contains("Max-Age=0"));
    let home = b.get("/").await;
    assert!(home.body.contains("Logged out successfully."));
    assert_eq!(home.header("clear-site-data"), Some("\"cookies\""));
    let again = b.get("/").await;
    assert!(!again.body.contains("Logged out successfully."));
    assert!(again.header("clear-site-data").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_or_unknown_cookie_is_anonymous_not_an_error() {
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    assert!(
        b.get("/").await.body.contains("Hello, Alice"),
        "signed in first"
    );
    let name = b.session_name();
    let v = b.cookie(name).unwrap().to_string();
    for bad in [
        format!("{v}x"),
        tamper(&v),
        "garbage".into(),
        String::new(),
        "%%%".into(),
    ] {
        b.cookies.retain(|(n, _)| n != name);
        b.cookies.push((name.into(), bad.clone()));
        let p = b.get("/").await;
        assert_eq!(p.status, 200, "{bad}");
        assert!(!p.body.contains("Hello, Alice"), "{bad}");
        assert_eq!(b.get("/account").await.status, 303);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsafe_next_values_go_home() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    for next in [
        "//evil.com",
        "/\\evil.com",
        "https://evil.com",
        "javascript:alert(1)",
        "\t/account",
        " /account",
        "/account ",
    ] {
        let mut b = env.browser();
        let form = b.get("/login").await;
        let target = format!("/login?next={}", shared::forms::encode(next));
        let p = b
            .post(
                &target,
                &[
                    ("username", "Alice"),
                    ("password", PASSWORD),
                    ("csrf_token", &form.csrf()),
                ],
            )
            .await;
        assert_eq!((p.status, p.location()), (303, Some("/")), "{next:?}");
    }
    // A local path is followed, from the query or a form field.
    let mut b = env.browser();
    let form = b.get("/login").await;
    let p = b
        .post(
            "/login",
            &[
                ("username", "Alice"),
                ("password", PASSWORD),
                ("csrf_token", &form.csrf()),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(p.location(), Some("/account"));
}
