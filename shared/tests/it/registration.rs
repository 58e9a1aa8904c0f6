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
    // An hour from the first attempt: still closed a second before its
    // end, open at its end.
    env.clock.advance(3599);
    let mut d = from(&env, "198.51.100.20");
    assert_eq!(
        d.register("user4", "u4@example.com", PASSWORD).await.status,
        429
    );
    env.clock.advance(1);
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

/// The register form's fields for Alice, as `b` got the form.
async fn alices_form(b: &mut Browser) -> Vec<(String, String)> {
    let form = b.get("/register").await;
    [
        ("username", "Alice".to_string()),
        ("email", "alice@example.com".to_string()),
        ("password", PASSWORD.to_string()),
        ("csrf_token", form.csrf()),
        ("request_id", form.input("request_id").unwrap()),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .to_vec()
}

/// POSTs `fields` to /register, with `password` in place of the form's.
async fn resubmit(b: &mut Browser, fields: &[(String, String)], password: &str) -> u16 {
    b.cookies.retain(|(n, _)| n != "__Host-session");
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                if k == "password" {
                    password
                } else {
                    v.as_str()
                },
            )
        })
        .collect();
    b.post("/register", &fields).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_form_can_be_resubmitted_for_10_minutes_only() {
    let env = Env::start().await;
    let mut b = env.browser();
    let fields = alices_form(&mut b).await;
    assert_eq!(resubmit(&mut b, &fields, PASSWORD).await, 303);
    env.clock.advance(9 * 60);
    assert_eq!(resubmit(&mut b, &fields, PASSWORD).await, 303, "a retry");
    env.clock.advance(60 + 1);
    assert_eq!(resubmit(&mut b, &fields, PASSWORD).await, 409, "too late");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resubmitting_counts_as_login_attempts_on_the_name() {
    let env = Env::start().await;
    let mut b = env.browser();
    let fields = alices_form(&mut b).await;
    assert_eq!(resubmit(&mut b, &fields, PASSWORD).await, 303);
    // Someone holding the form (its fields and the browser's CSRF cookie,
    // not Alice's session or device cookie) guesses passwords through it...
    let mut m = env.browser();
    m.cookies = b.cookies.clone();
    m.cookies.retain(|(n, _)| n == "__Host-csrf");
    for i in 0..5 {
        let status = resubmit(&mut m, &fields, &format!("guess-number-{i}")).await;
        assert_eq!(status, 409);
    }
    // ...and has used up the name's attempts: the right one is refused
    // there, and at the login form.
    assert_eq!(resubmit(&mut m, &fields, PASSWORD).await, 409);
    let mut c = env.browser();
    c.source_ip = "192.0.2.80".into();
    assert_eq!(c.login("alice", PASSWORD, false).await.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sign_in_ends_the_forms_resubmission() {
    let env = Env::start().await;
    let mut b = env.browser();
    let fields = alices_form(&mut b).await;
    assert_eq!(resubmit(&mut b, &fields, PASSWORD).await, 303);
    let mut c = env.browser();
    assert_eq!(c.login("alice", PASSWORD, false).await.status, 303);
    assert_eq!(resubmit(&mut b, &fields, PASSWORD).await, 409);
    // The account itself is untouched.
    let mut d = env.browser();
    assert_eq!(d.login("ALICE", PASSWORD, false).await.status, 303);
    assert!(d.get("/account").await.body.contains("alice@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_refused_on_another_item_is_not_called_a_taken_address() {
    // The transaction refused at its third item (the account's row, not
    // the name or the address): a conflict, nothing created; the address
    // is not said to be taken.
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    let mut b = env.browser();
    let form = b.get("/register").await;
    let rid = form.input("request_id").unwrap_or_default();
    let reasons: &'static [&'static str] = &["None", "None", "ConditionalCheckFailed"];
    faults.inject("TransactWriteItems", 1..=1, Fault::Cancelled(reasons));
    let fields = [
        ("username", "Alice"),
        ("email", "alice@example.com"),
        ("password", PASSWORD),
        ("csrf_token", &form.csrf()),
        ("request_id", &rid),
    ];
    let p = b.post("/register", &fields).await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(!p.body.contains("Email already registered."), "{}", p.body);
    assert!(!p.body.contains("Username already taken."), "{}", p.body);
    assert_eq!(env.app.account_id("alice").await, None, "nothing created");
}
