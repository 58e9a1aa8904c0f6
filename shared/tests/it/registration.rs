//! Registration under load and abuse: the per-source limit, availability
//! before Argon2id, replayed forms, the account created whole.

use shared::testing::*;

/// A browser from `ip` that has the register form.
fn from(env: &Env, ip: &str) -> Browser {
    let mut b = env.browser();
    b.source_ip = ip.into();
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_source_gets_register_ip_limit_attempts_an_hour() {
    let env = Env::start_with(&[("REGISTER_IP_LIMIT", "3")]).await;
    for i in 0..3 {
        let mut b = from(&env, "198.51.100.20");
        let p = b
            .register(&format!("user{i}"), &format!("u{i}@example.com"), PASSWORD)
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
    }
    // The fourth is refused before anything is looked up or hashed.
    let mut b = from(&env, "198.51.100.20");
    let form = b.get("/register").await;
    env.app.usage();
    let p = b
        .post(
            "/register",
            &[
                ("username", "user3"),
                ("email", "u3@example.com"),
                ("password", PASSWORD),
                ("csrf_token", &form.csrf()),
                ("request_id", &form.input("request_id").unwrap()),
            ],
        )
        .await;
    assert_eq!(p.status, 429);
    assert!(p
        .body
        .contains("Too many registration attempts from your network. Please try again later."));
    assert_eq!(p.input("username").as_deref(), Some("user3"));
    assert_eq!(env.app.usage().calls, 1, "the counter, nothing else");
    assert!(env.app.password_hash("user3").await.is_none());
    // Another source is not affected; the window is an hour.
    let mut c = from(&env, "192.0.2.30");
    assert_eq!(
        c.register("user3", "u3@example.com", PASSWORD).await.status,
        303
    );
    env.clock.advance(3600);
    let mut d = from(&env, "198.51.100.20");
    assert_eq!(
        d.register("user4", "u4@example.com", PASSWORD).await.status,
        303
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_name_or_address_is_answered_before_hashing() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    for (name, email, message) in [
        ("ALICE", "other@example.com", "Username already taken."),
        ("Bob", "Alice@Example.com", "Email already registered."),
    ] {
        let mut b = env.browser();
        let form = b.get("/register").await;
        env.app.usage();
        let p = b
            .post(
                "/register",
                &[
                    ("username", name),
                    ("email", email),
                    ("password", PASSWORD),
                    ("csrf_token", &form.csrf()),
                    ("request_id", &form.input("request_id").unwrap()),
                ],
            )
            .await;
        assert_eq!(p.status, 409, "{name}");
        assert!(p.body.contains(message), "{name}");
        // The source's counter and the one read: no transaction was tried,
        // so no password was hashed for it.
        assert_eq!(env.app.usage().calls, 2, "{name}");
    }
}
