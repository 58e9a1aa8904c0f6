//! CSRF tokens and cross-site posts.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_a_valid_csrf_token_are_refused_and_change_nothing() {
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
    assert!(env.app.password_hash("alice").await.is_none());

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_are_refused() {
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
}
