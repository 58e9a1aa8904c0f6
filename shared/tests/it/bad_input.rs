//! Bad input: sizes, encodings, unknown paths and methods, headers on every page.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_get_4xx_never_5xx() {
    let env = Env::start().await;
    let mut b = env.browser();
    let token = b.get("/login").await.csrf();
    // 16 KiB exactly is read (and refused for what it says: a field too
    // long); one byte more is not read at all.
    let mut limit = format!("csrf_token={token}&username=").into_bytes();
    limit.resize(16 * 1024, b'a');
    let p = b
        .post_raw("/login", &limit, "application/x-www-form-urlencoded")
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("too long"), "{}", p.body);
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

/// The headers every HTML response carries (CONTRACT.md, "Headers").
fn assert_security_headers(p: &Page, what: &str) {
    assert_eq!(
        p.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{what}"
    );
    let csp = p.header("content-security-policy").expect(what);
    for d in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "default-src 'none'",
    ] {
        assert!(csp.contains(d), "{what}: {csp} lacks {d}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}");
    assert_eq!(
        p.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(p.header("x-frame-options"), Some("DENY"), "{what}");
    assert!(p.header("referrer-policy").is_some(), "{what}");
    assert!(p.header("strict-transport-security").is_some(), "{what}");
    inline_scripts_are_ours(p, csp, what);
}

/// The only scripts a page has: JSON data blocks, and the one inline
/// script the CSP allows by its hash.
fn inline_scripts_are_ours(p: &Page, csp: &str, what: &str) {
    use base64::Engine as _;
    use sha2::Digest as _;
    for (at, _) in p.body.match_indices("<script") {
        let tag_end = at + p.body[at..].find('>').expect("a closed tag") + 1;
        let tag = &p.body[at..tag_end];
        let end = tag_end + p.body[tag_end..].find("</script>").expect("an end tag");
        if tag.starts_with("<script type=\"application/json\" id=\"passkey-") {
            let json: Result<serde_json::Value, _> = serde_json::from_str(&p.body[tag_end..end]);
            assert!(json.is_ok(), "{what}: a data block is JSON");
            continue;
        }
        assert_eq!(tag, "<script>", "{what}");
        let digest = sha2::Sha256::digest(&p.body.as_bytes()[tag_end..end]);
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(
            csp.contains(&format!("script-src 'sha256-{hash}'")),
            "{what}: {csp}"
        );
    }
}

/// `b` with a sign-in waiting for its code: an account of its own with
/// two-factor sign-in on, its password given.
async fn waiting_for_code(b: &mut Browser) {
    b.register("Bob", "bob@example.com", PASSWORD).await;
    b.enable_two_factor(PASSWORD).await;
    b.logout().await;
    let p = b.login("Bob", PASSWORD, false).await;
    assert_eq!(p.location(), Some("/login/two-factor"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_every_html_response() {
    let env = Env::start().await;
    let mut member = env.browser();
    member
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    assert!(member.get("/").await.body.contains("Hello, Alice"));
    let mut pages = Vec::new();
    // Every route of the table: its GET page, anonymous (or, for the code
    // form, with a sign-in waiting for its code) and signed in; its POST's
    // error page.
    for route in shared::ROUTES {
        let path = route.path;
        if route.method == "GET" {
            let mut anon = env.browser();
            if route.access == shared::Access::SecondStep {
                waiting_for_code(&mut anon).await;
            }
            pages.push((format!("GET {path}"), anon.get(path).await, false));
            let p = member.get(path).await;
            pages.push((format!("GET {path} signed in"), p, true));
        } else {
            let p = env.browser().post_raw(path, b"x", "text/plain").await;
            assert_eq!(p.status, 415, "POST {path}");
            pages.push((format!("POST {path}"), p, false));
        }
    }
    pages.push(("404".into(), env.browser().get("/nope").await, false));
    pages.push((
        "405".into(),
        env.browser().send("PUT", "/", None, &[]).await,
        false,
    ));
    let mut html = 0;
    for (what, p, signed_in) in &pages {
        if p.status == 303 {
            continue;
        }
        html += 1;
        assert_security_headers(p, what);
        if *signed_in {
            assert_eq!(p.header("cache-control"), Some("no-store"), "{what}");
        }
    }
    // Each GET route rendered a page in at least one of the two states.
    for route in shared::ROUTES.iter().filter(|r| r.method == "GET") {
        let (anon, member) = (
            format!("GET {}", route.path),
            format!("GET {} signed in", route.path),
        );
        let rendered = pages
            .iter()
            .any(|(w, p, _)| p.status != 303 && (*w == anon || *w == member));
        assert!(rendered, "GET {} never rendered a page", route.path);
    }
    assert!(html > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csp_allows_exactly_the_stylesheet_it_serves() {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let env = Env::start().await;
    let p = env.browser().get("/login").await;
    let start = p.body.find("<style>").expect("an inline stylesheet") + "<style>".len();
    let css = &p.body[start..start + p.body[start..].find("</style>").unwrap()];
    assert!(css.contains('{'), "a stylesheet: {css:.40}");
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css.as_bytes()));
    let csp = p.header("content-security-policy").unwrap();
    let style_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("style-src "))
        .expect("a style-src directive");
    assert_eq!(style_src, format!("style-src 'sha256-{hash}'"), "{csp}");
}
