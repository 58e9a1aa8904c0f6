//! The contract, route by route: real handlers, real v2 events, a real
//! DynamoDB-compatible server (Dynoxide) over HTTP.

mod common;

use common::*;

macro_rules! t {
    ($name:ident, $body:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            $body.await
        }
    };
}

// ----------------------------------------------------------------- pages

t!(anonymous_home_links_to_login_and_register, async {
    let env = Env::start().await;
    let mut b = env.browser();
    let p = b.get("/").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("href=\"/login\"") && p.body.contains("href=\"/register\""));
    assert!(!p.body.contains("Hello,"));
});

t!(register_signs_in_greets_and_flashes_once, async {
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
});

t!(account_shows_username_email_and_member_since, async {
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let p = b.get("/account").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Alice") && p.body.contains("alice@example.com"));
    assert!(p.body.contains("2026-09-21"), "member since as YYYY-MM-DD");
    assert_eq!(p.header("cache-control"), Some("no-store"));
});

t!(account_when_anonymous_asks_to_log_in_then_returns, async {
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
});

t!(
    signed_in_visitors_are_sent_home_from_login_and_register,
    async {
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
);

t!(logout_page_confirms_and_anonymous_is_sent_to_login, async {
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
});

t!(logout_ends_the_session_server_side, async {
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let old = b.cookies.clone();
    let p = b.logout().await;
    assert_eq!((p.status, p.location()), (303, Some("/")));
    assert_eq!(p.header("clear-site-data"), Some("\"cookies\""));
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
});

t!(
    a_browser_gets_clear_site_data_with_the_page_that_says_logged_out,
    async {
        // Chromium drops cookies set alongside Clear-Site-Data, so a navigating
        // browser gets the header one response later, with the message.
        let env = Env::start().await;
        let mut b = env.browser();
        b.register("Alice", "alice@example.com", PASSWORD).await;
        b.extra_headers
            .push(("sec-fetch-mode".into(), "navigate".into()));
        let p = b.logout().await;
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
);

t!(
    tampered_or_unknown_cookie_is_anonymous_not_an_error,
    async {
        let env = Env::start().await;
        let mut b = env.browser();
        b.register("Alice", "alice@example.com", PASSWORD).await;
        let name = b.session_name();
        let v = b.cookie(name).unwrap().to_string();
        for bad in [
            format!("{v}x"),
            v.replacen('a', "b", 1),
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
);

t!(unsafe_next_values_go_home, async {
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
});

// ------------------------------------------------------------ validation

t!(all_fields_are_required_and_typed_values_are_kept, async {
    let env = Env::start().await;
    let mut b = env.browser();
    let p = b.register("Alice", "", PASSWORD).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("All fields are required."));
    assert_eq!(p.input("username").as_deref(), Some("Alice"));
    assert!(!p.body.contains(PASSWORD), "password never echoed");
    let p = b.register("", "a@b.co", PASSWORD).await;
    assert_eq!(p.status, 400);
    assert_eq!(p.input("email").as_deref(), Some("a@b.co"));
    let p = b.login("alice", "", false).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("All fields are required."));
    assert_eq!(p.input("username").as_deref(), Some("alice"));
    // Nothing was created.
    assert_eq!(b.login("Alice", PASSWORD, false).await.status, 401);
});

t!(
    invalid_usernames_emails_and_passwords_are_refused_with_the_reason,
    async {
        let env = Env::start().await;
        let mut b = env.browser();
        for (u, e, p, needle) in [
            ("al", "a@b.co", PASSWORD, "3 to 50"),
            ("al ice", "a@b.co", PASSWORD, "3 to 50"),
            ("alice", "not-an-email", PASSWORD, "valid email"),
            ("alice", "a@b", PASSWORD, "valid email"),
            ("alice", "a@b.co", "short", "at least 8"),
            ("alice", "a@b.co", "qwerty123", "too common"),
            ("alice", "a@b.co", "password", "too common"),
            ("alice", "a@b.co", "xxALICExx-77", "username"),
        ] {
            let page = b.register(u, e, p).await;
            assert_eq!(page.status, 422, "{u} {e} {p}");
            assert!(page.body.contains(needle), "{u} {e} {p}: {needle}");
            assert!(!page.body.contains(&format!("value=\"{p}\"")));
        }
        let long = format!("{}@example.com", "a".repeat(110));
        assert_eq!(b.register("alice", &long, PASSWORD).await.status, 422);
        assert_eq!(
            b.register("a".repeat(51).as_str(), "a@b.co", PASSWORD)
                .await
                .status,
            422
        );
    }
);

t!(usernames_and_emails_are_unique_case_insensitively, async {
    let env = Env::start().await;
    let mut a = env.browser();
    assert_eq!(
        a.register("Alice", "Alice@Example.com", PASSWORD)
            .await
            .status,
        303
    );
    let mut b = env.browser();
    let p = b.register("aLiCe", "other@example.com", PASSWORD).await;
    assert_eq!(p.status, 409);
    assert!(p.body.contains("Username already taken."));
    assert_eq!(p.input("username").as_deref(), Some("aLiCe"));
    let p = b.register("bob", "alice@EXAMPLE.com", PASSWORD).await;
    assert_eq!(p.status, 409);
    assert!(p.body.contains("Email already registered."));
    // The failed attempt left nothing behind: bob is still free.
    assert_eq!(
        b.register("bob", "bob@example.com", PASSWORD).await.status,
        303
    );
});

t!(greeting_uses_the_registered_case, async {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    let p = b.login("ALICE", PASSWORD, false).await;
    assert_eq!(p.status, 303);
    let home = b.get("/").await;
    assert!(home.body.contains("Welcome back, Alice!"));
    assert!(home.body.contains("Hello, Alice"));
});

t!(wrong_password_and_unknown_user_look_the_same, async {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    let wrong = b.login("Alice", "not-the-password", false).await;
    let unknown = b.login("Nobody", "not-the-password", false).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    for p in [&wrong, &unknown] {
        assert!(p.body.contains("Incorrect username or password."));
        assert!(!p.body.contains("not-the-password"));
    }
    assert_eq!(wrong.input("username").as_deref(), Some("Alice"));
    // Passwords are checked exactly as typed.
    assert_eq!(
        b.login("Alice", &format!(" {PASSWORD}"), false)
            .await
            .status,
        401
    );
    assert_eq!(
        b.login("Alice", &PASSWORD.to_uppercase(), false)
            .await
            .status,
        401
    );
});

t!(everything_a_user_typed_is_escaped, async {
    let env = Env::start().await;
    let mut b = env.browser();
    let p = b.register("<script>x</script>", "a@b.co", PASSWORD).await;
    assert_eq!(p.status, 422);
    assert!(!p.body.contains("<script>x"));
    assert!(p.body.contains("&lt;script&gt;x"));
    let p = b.register("mallory", "\"><b>x</b>@evil.co", PASSWORD).await;
    assert_eq!(p.status, 303);
    let acct = b.get("/account").await;
    assert!(!acct.body.contains("<b>x</b>"));
    assert!(acct.body.contains("&quot;&gt;&lt;b&gt;x&lt;/b&gt;@evil.co"));
});

// -------------------------------------------------------------- sessions

t!(cookies_carry_the_right_attributes_over_https, async {
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
});

t!(plain_http_uses_plain_names_and_no_secure, async {
    let env = Env::start().await;
    let mut b = env.browser();
    b.https = false;
    let p = b.register("Alice", "alice@example.com", PASSWORD).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let s = p.set_cookie("session").expect("session cookie");
    assert!(!s.contains("Secure") && s.contains("HttpOnly"));
    assert!(p.header("strict-transport-security").is_none());
    assert!(b.get("/").await.body.contains("Hello, Alice"));
});

t!(
    remember_me_lasts_30_days_and_without_it_2h_idle_24h_total,
    async {
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
);

t!(every_login_gets_a_new_token, async {
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
});

t!(
    concurrent_registrations_of_one_name_create_one_user,
    async {
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
        assert!(env.app.store.get_user("racer").await.unwrap().is_some());
    }
);

t!(
    a_double_submitted_registration_succeeds_twice_with_one_user,
    async {
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
);

// ------------------------------------------------------------------ CSRF

t!(
    posts_without_a_valid_csrf_token_are_refused_and_change_nothing,
    async {
        let env = Env::start().await;
        let mut b = env.browser();
        b.get("/register").await;
        let p = b
            .post(
                "/register",
                &[
                    ("username", "Alice"),
                    ("email", "a@b.co"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(p.status, 403);
        let p = b
            .post(
                "/register",
                &[
                    ("username", "Alice"),
                    ("email", "a@b.co"),
                    ("password", PASSWORD),
                    ("csrf_token", "forged"),
                ],
            )
            .await;
        assert_eq!(p.status, 403);
        assert!(env.app.store.get_user("alice").await.unwrap().is_none());

        // A token from another browser does not work either.
        let mut other = env.browser();
        let token = other.get("/login").await.csrf();
        let mut fresh = env.browser();
        fresh.get("/login").await;
        let p = fresh
            .post(
                "/login",
                &[("username", "x"), ("password", "y"), ("csrf_token", &token)],
            )
            .await;
        assert_eq!(p.status, 403);

        // Signed in: the token is tied to the session.
        let mut a = env.browser();
        a.register("Alice", "alice@example.com", PASSWORD).await;
        let p = a.post("/logout", &[("csrf_token", &token)]).await;
        assert_eq!(p.status, 403);
        assert!(a.get("/").await.body.contains("Hello, Alice"));
    }
);

t!(cross_site_posts_are_refused, async {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let token = a.get("/").await.csrf();
    for (h, v) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let p = a
            .send(
                "POST",
                "/logout",
                Some(format!("csrf_token={token}").as_bytes()),
                &[
                    ("content-type", "application/x-www-form-urlencoded"),
                    (h, v),
                ],
            )
            .await;
        assert_eq!(p.status, 403, "{h}: {v}");
        assert!(a.get("/").await.body.contains("Hello, Alice"));
    }
    // The site's own origin passes.
    let own = format!("https://{}", host());
    let p = a
        .send(
            "POST",
            "/logout",
            Some(format!("csrf_token={token}").as_bytes()),
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("origin", &own),
                ("sec-fetch-site", "same-origin"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
});

// ------------------------------------------------------------- bad input

t!(bad_bodies_get_4xx_never_5xx, async {
    let env = Env::start().await;
    let mut b = env.browser();
    let token = b.get("/login").await.csrf();
    let big = vec![b'a'; 16 * 1024 + 1];
    assert_eq!(
        b.post_raw("/login", &big, "application/x-www-form-urlencoded")
            .await
            .status,
        413
    );
    // 413 comes before any other check, content type included.
    assert_eq!(
        b.post_raw("/login", &big, "application/json").await.status,
        413
    );
    assert_eq!(
        b.post_raw("/login", b"{\"a\":1}", "application/json")
            .await
            .status,
        415
    );
    assert_eq!(
        b.post_raw("/login", b"a=1", "multipart/form-data; boundary=x")
            .await
            .status,
        415
    );
    for (body, needle) in [
        (
            format!("csrf_token={token}&username=%zz&password=x"),
            "malformed",
        ),
        (
            format!("csrf_token={token}&username=%FF&password=x"),
            "UTF-8",
        ),
        (
            format!("csrf_token={token}&username=a&username=b&password=x"),
            "more than once",
        ),
    ] {
        let p = b
            .post_raw(
                "/login",
                body.as_bytes(),
                "application/x-www-form-urlencoded",
            )
            .await;
        assert_eq!(p.status, 400, "{body}");
        assert!(p.body.contains(needle), "{body}");
        assert_eq!(p.header("content-type"), Some("text/html; charset=utf-8"));
    }
    // Exactly 16 KiB is accepted (then judged on its content).
    let mut body = format!("csrf_token={token}&username=a&password=");
    body.push_str(&"x".repeat(16 * 1024 - body.len()));
    assert_eq!(
        b.post_raw(
            "/login",
            body.as_bytes(),
            "application/x-www-form-urlencoded"
        )
        .await
        .status,
        400
    );
});

t!(a_plain_text_body_works_as_well_as_base64, async {
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    b.logout().await;
    let token = b.get("/login").await.csrf();
    let body = format!(
        "username=Alice&password={}&csrf_token={token}",
        shared::forms::encode(PASSWORD)
    );
    let mut ev = b.event(
        "POST",
        "/login",
        None,
        &[("content-type", "application/x-www-form-urlencoded")],
    );
    ev["body"] = body.into();
    ev["isBase64Encoded"] = false.into();
    let p = b.send_event(&ev.to_string(), "/login").await;
    assert_eq!(p.status, 303, "{}", p.body);
});

t!(unknown_paths_and_methods, async {
    let env = Env::start().await;
    let mut b = env.browser();
    let p = b.get("/nope").await;
    assert_eq!(p.status, 404);
    assert!(p.header("content-security-policy").is_some());
    let p = b.send("DELETE", "/login", None, &[]).await;
    assert_eq!(p.status, 405);
    assert_eq!(p.header("allow"), Some("GET, POST"));
    assert_eq!(b.send("POST", "/", Some(b""), &[]).await.status, 405);
});

t!(security_headers_on_every_html_response, async {
    let env = Env::start().await;
    let mut b = env.browser();
    let pages = vec![
        b.get("/").await,
        b.get("/login").await,
        b.get("/nope").await,
        b.post_raw("/login", b"x", "text/plain").await,
    ];
    for p in pages {
        assert_eq!(p.header("content-type"), Some("text/html; charset=utf-8"));
        let csp = p.header("content-security-policy").unwrap();
        for d in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "default-src 'none'",
        ] {
            assert!(csp.contains(d), "{csp} lacks {d}");
        }
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(p.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(p.header("x-frame-options"), Some("DENY"));
        assert!(p.header("referrer-policy").is_some());
        assert!(p.header("strict-transport-security").is_some());
        assert!(!p.body.contains("<script"));
    }
});

// ------------------------------------------------------------- throttling

t!(
    five_failures_lock_a_username_for_15_minutes_even_for_the_right_password,
    async {
        let env = Env::start().await;
        env.browser()
            .register("Alice", "alice@example.com", PASSWORD)
            .await;
        let mut b = env.browser();
        for _ in 0..5 {
            assert_eq!(b.login("alice", "wrong-password", false).await.status, 401);
        }
        let p = b.login("ALICE", PASSWORD, false).await;
        assert_eq!(p.status, 429);
        assert!(p.body.contains("Too many failed login attempts"));
        // Another browser, another IP: the username is still locked.
        let mut c = env.browser();
        c.source_ip = "192.0.2.44".into();
        assert_eq!(c.login("alice", PASSWORD, false).await.status, 429);
        // When the window has passed, the right password works.
        env.clock.advance(15 * 60 + 1);
        assert_eq!(c.login("alice", PASSWORD, false).await.status, 303);
    }
);

t!(lockout_does_not_reveal_whether_the_account_exists, async {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    let mut seen = Vec::new();
    for name in ["alice", "ghost"] {
        for _ in 0..5 {
            b.login(name, "wrong-password", false).await;
        }
        let p = b.login(name, "wrong-password", false).await;
        seen.push((p.status, p.body.contains("Too many failed login attempts")));
    }
    assert_eq!(seen, vec![(429, true), (429, true)]);
});

t!(a_success_resets_the_username_counter, async {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    for _ in 0..4 {
        b.login("alice", "wrong-password", false).await;
    }
    assert_eq!(b.login("alice", PASSWORD, false).await.status, 303);
    b.logout().await;
    for _ in 0..5 {
        assert_eq!(b.login("alice", "wrong-password", false).await.status, 401);
    }
});

t!(parallel_guesses_cannot_slip_past_the_limit, async {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut handles = Vec::new();
    for _ in 0..16 {
        let app = env.app.clone();
        handles.push(tokio::spawn(async move {
            let mut b = Browser::new(app, true);
            b.login("alice", "wrong-password", false).await.status
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    assert!(evaluated <= 5, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        16 - evaluated
    );
});

t!(one_ip_spraying_many_usernames_is_stopped, async {
    let env = Env::start_with(&[("LOGIN_IP_LIMIT", "3")]).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    for i in 0..3 {
        assert_eq!(
            b.login(&format!("user{i}"), "wrong-password", false)
                .await
                .status,
            401
        );
    }
    assert_eq!(b.login("alice", PASSWORD, false).await.status, 429);
    // Another IP is unaffected.
    let mut c = env.browser();
    c.source_ip = "192.0.2.50".into();
    assert_eq!(c.login("alice", PASSWORD, false).await.status, 303);
});

// ----------------------------------------------------------------- faults

t!(dynamodb_down_gives_a_503_page, async {
    let mut env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let token = b.get("/").await.csrf();
    env.stop_dynamodb().await;
    let p = b.get("/").await;
    assert_eq!(p.status, 503);
    assert!(p.body.contains("try again"));
    assert!(p.header("content-security-policy").is_some());
    let p = b.post("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(p.status, 503);
});

t!(unreachable_dynamodb_gives_503_within_the_timeouts, async {
    // A port nobody listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let env = Env::app_at(&endpoint, &[]);
    let mut b = env.browser();
    let started = std::time::Instant::now();
    let form = b.get("/register").await;
    assert_eq!(form.status, 200, "an anonymous form needs no database");
    let p = b.register("Alice", "alice@example.com", PASSWORD).await;
    assert_eq!(p.status, 503);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
});

// -------------------------------------------------------------- password

t!(
    the_minimum_password_length_is_configurable_and_counts_characters,
    async {
        let env = Env::start_with(&[("PASSWORD_MIN_LENGTH", "15")]).await;
        let mut b = env.browser();
        let p = b
            .register("Alice", "alice@example.com", "Tr0ub4dor&3xyz")
            .await;
        assert_eq!(p.status, 422);
        assert!(p.body.contains("at least 15"));
        assert!(p.body.contains("minlength=\"15\""));
        // 15 characters, 30 bytes.
        assert_eq!(
            b.register("Alice", "alice@example.com", "ääääääääääääää1")
                .await
                .status,
            303
        );
    }
);

t!(weaker_hashes_are_upgraded_at_login, async {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let env = Env::start().await;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8192, 1, 1, None).unwrap(),
    )
    .hash_password(
        PASSWORD.as_bytes(),
        &SaltString::generate(&mut rand_core::OsRng),
    )
    .unwrap()
    .to_string();
    let user = shared::store::User {
        key: "old".into(),
        username: "Old".into(),
        email: "old@example.com".into(),
        password_hash: weak.clone(),
        created_at: START,
        registration_id: None,
    };
    env.app
        .store
        .create_user(&user, "old@example.com")
        .await
        .unwrap();
    let mut b = env.browser();
    assert_eq!(b.login("old", PASSWORD, false).await.status, 303);
    let stored = env
        .app
        .store
        .get_user("old")
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert_ne!(stored, weak);
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
});

// ------------------------------------------------------- your devices

t!(account_lists_sessions_and_ends_one_at_once, async {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut b = env.browser();
    b.user_agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1".into();
    b.source_ip = "192.0.2.9".into();
    b.login("alice", PASSWORD, true).await;
    let acct = a.get("/account").await;
    assert_eq!(acct.body.matches("name=\"session\"").count(), 2);
    assert!(acct.body.contains("Safari on iOS") && acct.body.contains("192.0.2.9"));
    assert!(acct.body.contains("This browser"));
    // The other session's public id is the one that is not first (ours is listed first).
    let ids: Vec<String> = acct
        .body
        .match_indices("name=\"session\" value=\"")
        .map(|(i, m)| {
            let s = &acct.body[i + m.len()..];
            s[..s.find('"').unwrap()].to_string()
        })
        .collect();
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
});

t!(sign_out_everywhere_else_keeps_only_this_browser, async {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut b = env.browser();
    b.login("alice", PASSWORD, false).await;
    let mut c = env.browser();
    c.login("alice", PASSWORD, true).await;
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
});

t!(another_persons_session_id_changes_nothing, async {
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
});

// ------------------------------------------------------ DynamoDB calls

t!(each_route_makes_the_fewest_dynamodb_calls, async {
    let env = Env::start().await;
    let usage = || env.app.store.usage.take();
    let mut b = env.browser();
    let form = b.get("/register").await;
    assert_eq!(usage().calls, 0, "an anonymous form needs no database");
    let rid = form.input("request_id").unwrap();
    b.post(
        "/register",
        &[
            ("username", "Alice"),
            ("email", "alice@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &form.csrf()),
            ("request_id", &rid),
        ],
    )
    .await;
    assert_eq!(
        usage().calls,
        2,
        "registration: one transaction and one write"
    );
    b.get("/").await;
    assert_eq!(usage().calls, 1, "a signed-in page: one read");
    b.get("/account").await;
    assert_eq!(usage().calls, 1, "the account page: one query");
    env.clock.advance(5 * 60);
    b.get("/").await;
    assert_eq!(
        usage().calls,
        2,
        "plus the last-seen write, at most every 5 minutes"
    );
    b.get("/").await;
    assert_eq!(usage().calls, 1);
    let token = b.get("/").await.csrf();
    usage();
    b.post("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(usage().calls, 2, "logout: read and delete");
    let token = b.get("/login").await.csrf();
    usage();
    b.post(
        "/login",
        &[
            ("username", "alice"),
            ("password", "wrong-password"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(
        usage().calls,
        3,
        "failed login: counter, user + IP counter, IP counter"
    );
    b.post(
        "/login",
        &[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ],
    )
    .await;
    let login = usage();
    assert_eq!(
        login.calls, 3,
        "login: counter, user + IP counter, session + reset"
    );
    assert!(
        login.read_units > 0.0 && login.write_units > 0.0,
        "{login:?}"
    );
});
