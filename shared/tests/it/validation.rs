//! Form validation: required fields, rules, uniqueness, escaping.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_fields_are_required_and_typed_values_are_kept() {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_usernames_emails_and_passwords_are_refused_with_the_reason() {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usernames_and_emails_are_unique_case_insensitively() {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greeting_uses_the_registered_case() {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_user_look_the_same() {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_a_user_typed_is_escaped() {
    let env = Env::start().await;
    let mut b = env.browser();
    let p = b.register("<script>x</script>", "a@b.co", PASSWORD).await;
    assert_eq!(p.status, 422);
    assert!(!p.body.contains("<script>x"));
    assert!(p.body.contains("&lt;script&gt;x"));
    // An address may hold `&` and `'`.
    let p = b.register("mallory", "x&b'y@evil.co", PASSWORD).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let acct = b.get("/account").await;
    assert!(!acct.body.contains("x&b'y"));
    assert!(acct.body.contains("x&amp;b&#39;y@evil.co"), "{}", acct.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_the_mailer_could_not_send_to_are_refused_at_registration() {
    // Shaped like an address, but lettre (what builds the mail) refuses
    // them: every email would fail into the dead-letter queue.
    let env = Env::start().await;
    for bad in ["a..b@x.com", "a(b@x.com", ".a@x.com", "a@[192.0.2.1]"] {
        let p = env.browser().register("Alice", bad, PASSWORD).await;
        assert_eq!(p.status, 422, "{bad}");
        assert!(
            p.body.contains("Please enter a valid email address"),
            "{bad}"
        );
    }
}
