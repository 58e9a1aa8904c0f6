//! Bad input: sizes, encodings, unknown paths and methods, headers on every page.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_get_4xx_never_5xx() {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_text_body_works_as_well_as_base64() {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods() {
    let env = Env::start().await;
    let mut b = env.browser();
    let p = b.get("/nope").await;
    assert_eq!(p.status, 404);
    assert!(p.header("content-security-policy").is_some());
    let p = b.send("DELETE", "/login", None, &[]).await;
    assert_eq!(p.status, 405);
    assert_eq!(p.header("allow"), Some("GET, POST"));
    assert_eq!(b.send("POST", "/", Some(b""), &[]).await.status, 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_every_html_response() {
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
}
