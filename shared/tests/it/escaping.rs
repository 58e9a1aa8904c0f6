//! Escaping: hostile text reflected through every place a page shows what
//! someone sent comes back escaped, never raw.

use shared::testing::*;

const HOSTILE: [&str; 3] = [
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "Tom&Jerry<b>",
];

/// The page's text with HTML's character references undone: what the
/// browser shows.
fn shown(body: &str) -> String {
    let mut s = body.to_string();
    for (from, to) in [
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#x27;", "'"),
        ("&#39;", "'"),
        ("&#x2F;", "/"),
        ("&#47;", "/"),
        ("&amp;", "&"),
    ] {
        s = s.replace(from, to);
    }
    s
}

/// The page without the passkey forms' own script blocks (their options
/// and the one inline script, which `bad_input.rs` holds to the CSP).
fn without_our_scripts(body: &str) -> String {
    let mut rest = body;
    let mut out = String::new();
    while let Some(at) = rest.find("<script") {
        out.push_str(&rest[..at]);
        let ours = rest[at..].starts_with("<script type=\"application/json\" id=\"passkey-")
            || rest[at..].starts_with("<script>// Passkeys:");
        let end = rest[at..]
            .find("</script>")
            .map_or(rest.len(), |e| at + e + 9);
        if !ours {
            out.push_str(&rest[at..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `hostile` is on the page as text (escaped), and nowhere as markup.
fn assert_escaped(p: &Page, hostile: &str, what: &str) {
    assert!(!p.body.contains(hostile), "{what}: raw {hostile:?}");
    let body = without_our_scripts(&p.body);
    for markup in ["<script", "<img", "<b>"] {
        assert!(!body.contains(markup), "{what}: {markup} in the page");
    }
    assert!(
        shown(&p.body).contains(hostile),
        "{what}: {hostile:?} not shown at all"
    );
}

/// Markup that never reached the page: only that nothing came back raw.
fn assert_not_raw(p: &Page, hostile: &str, what: &str) {
    assert!(!p.body.contains(hostile), "{what}: raw {hostile:?}");
    let body = without_our_scripts(&p.body);
    for markup in ["<script", "<img", "<b>"] {
        assert!(!body.contains(markup), "{what}: {markup} in the page");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_form_shows_the_typed_username_and_next_escaped() {
    let env = Env::start().await;
    for h in HOSTILE {
        let mut b = env.browser();
        let p = b.login(h, "wrong-password", false).await;
        assert_eq!(p.status, 401, "{h}");
        assert_escaped(&p, h, "401 login");
        let p = b.login(h, "", false).await;
        assert_eq!(p.status, 400, "{h}");
        assert_escaped(&p, h, "400 login");
        // A local `next` may hold any printable character.
        let next = format!("/{h}");
        let p = b
            .get(&format!("/login?next={}", shared::forms::encode(&next)))
            .await;
        assert_eq!(p.status, 200);
        assert_not_raw(&p, h, "login next");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registration_form_shows_its_fields_escaped() {
    let env = Env::start().await;
    for h in HOSTILE {
        let mut b = env.browser();
        // 422: the username breaks the rules, the email is kept.
        let email = format!("{h}@example.com");
        let p = b.register(h, &email, PASSWORD).await;
        assert_eq!(p.status, 422, "{h}");
        assert_escaped(&p, h, "422 register username");
        assert!(shown(&p.body).contains(&email));
        // 400: a field is missing, the others are kept.
        let p = b.register(h, "", PASSWORD).await;
        assert_eq!(p.status, 400, "{h}");
        assert_escaped(&p, h, "400 register");
        let p = b.register("", h, PASSWORD).await;
        assert_eq!(p.status, 400, "{h}");
        assert_escaped(&p, h, "400 register email");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_names_in_bad_request_pages_are_escaped() {
    let env = Env::start().await;
    for h in HOSTILE {
        let name = shared::forms::encode(h);
        for path in ["/login", "/register", "/password/forgot"] {
            let mut b = env.browser();
            let repeated = format!("{name}=1&{name}=2");
            let p = b
                .post_raw(
                    path,
                    repeated.as_bytes(),
                    "application/x-www-form-urlencoded",
                )
                .await;
            assert_eq!(p.status, 400, "{path} {h}");
            assert_escaped(&p, h, "400 repeated field");
            let long = format!("{name}={}", "x".repeat(2000));
            let p = b
                .post_raw(path, long.as_bytes(), "application/x-www-form-urlencoded")
                .await;
            assert_eq!(p.status, 400, "{path} {h}");
            assert_escaped(&p, h, "400 field too long");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forgot_password_form_shows_the_email_escaped() {
    let env = Env::start().await;
    for h in HOSTILE {
        let mut b = env.browser();
        let form = b.get("/password/forgot").await;
        let p = b
            .post(
                "/password/forgot",
                &[("email", h), ("csrf_token", &form.csrf())],
            )
            .await;
        assert_eq!(p.status, 422, "{h}");
        assert_escaped(&p, h, "422 forgot");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_list_never_shows_a_user_agent_raw() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    for h in HOSTILE {
        let mut b = env.browser();
        b.user_agent = format!("Mozilla/5.0 {h} Firefox/128.0");
        assert_eq!(b.login("alice", PASSWORD, false).await.status, 303);
        let acct = b.get("/account").await;
        assert_eq!(acct.status, 200);
        assert_not_raw(&acct, h, "/account user agent");
        assert_not_raw(&a.get("/account").await, h, "another browser's list");
    }
}
