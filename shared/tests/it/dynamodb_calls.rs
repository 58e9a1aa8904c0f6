//! DynamoDB calls per route.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_route_makes_the_fewest_dynamodb_calls() {
    let env = Env::start().await;
    let usage = || env.app.usage();
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
        4,
        "registration: source counter, availability, the welcome's count against the address, one transaction (account, address, the account's row, session, welcome link)"
    );
    b.get("/").await;
    assert_eq!(
        usage().calls,
        1,
        "a signed-in page: one read (the session and its account's row)"
    );
    b.get("/account").await;
    assert_eq!(
        usage().calls,
        1,
        "the account page: one query of the account's partition"
    );
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_login_path_makes_the_fewest_dynamodb_calls() {
    let env = Env::start().await;
    let usage = || env.app.usage();
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    // A browser without a device cookie: the name's counter.
    let mut b = env.browser();
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
        4,
        "failed login: source counter, username counter, account, source counter"
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
        login.calls, 5,
        "login: source counter, username counter, account, its sessions, session + reset"
    );
    assert!(
        login.read_units > 0.0 && login.write_units > 0.0,
        "{login:?}"
    );
    // A browser with a device cookie for the account skips the source's
    // counter: the account (to check the cookie), whether this browser
    // was forgotten, its own counter, the account's sessions, the
    // transaction.
    let name = b.session_name();
    b.cookies.retain(|(n, _)| n != name);
    let token = b.get("/login").await.csrf();
    usage();
    b.post(
        "/login",
        &[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(
        usage().calls,
        5,
        "device login: account, forgotten?, device counter, its sessions, session + reset"
    );
    // A locked name: refused before the account is read.
    let mut other = env.browser();
    for _ in 0..5 {
        other.login("alice", "wrong-password", false).await;
    }
    let token = other.get("/login").await.csrf();
    usage();
    let p = other
        .post(
            "/login",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(p.status, 429);
    let locked = usage();
    assert_eq!(
        (locked.calls, locked.read_units),
        (3, 1.0),
        "locked: source counter (the one read), name counter, source counter"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lifecycle_routes_make_few_dynamodb_calls() {
    let env = Env::start_mail(&[]).await;
    let usage = || env.app.usage();
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let form = b.get("/password/forgot").await;
    usage();
    b.post(
        "/password/forgot",
        &[("email", "alice@example.com"), ("csrf_token", &form.csrf())],
    )
    .await;
    assert_eq!(
        usage().calls,
        6,
        "forgot: session, IP cap, address cap, marker, account, one transaction"
    );
    b.get("/account").await;
    assert_eq!(
        usage().calls,
        1,
        "the account page: its partition (sessions, flag)"
    );
    let token = b.get("/account/password").await.csrf();
    usage();
    b.post(
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "another-good-password-4"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(
        usage().calls,
        7,
        "change: session, the change count, login counter, account, change counter, one transaction, the clean-up's look"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_the_links_makes_few_dynamodb_calls() {
    let env = Env::start_mail(&[]).await;
    let usage = || env.app.usage();
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    // The links, from the mailer's output.
    let mut seen = 0;
    let mails = crate::mailbox::new_mail(&env, &mut seen).await;
    let verify = mails[0].link("/email/verify");
    let mut anon = env.browser();
    usage();
    let p = anon.get(&verify).await;
    assert_eq!(p.status, 303);
    let u = usage();
    assert_eq!(u.calls, 2, "verify: the link, one transaction");
    let form = anon.get("/password/forgot").await;
    anon.post(
        "/password/forgot",
        &[("email", "alice@example.com"), ("csrf_token", &form.csrf())],
    )
    .await;
    let reset = crate::mailbox::new_mail(&env, &mut seen)
        .await
        .iter()
        .find(|m| m.subject.contains("Reset"))
        .expect("a reset mail")
        .link("/password/reset");
    usage();
    assert_eq!(anon.get(&reset).await.status, 303);
    let u = usage();
    assert_eq!(u.calls, 2, "the link: its item, the account");
    let form = anon.get("/password/reset").await;
    usage();
    let p = anon
        .post(
            "/password/reset",
            &[
                ("new_password", "yet-another-password-5"),
                ("csrf_token", &form.csrf()),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let u = usage();
    assert_eq!(
        u.calls, 5,
        "reset: the link, the account, one transaction, the clean-up (its look, one batch)"
    );
}
