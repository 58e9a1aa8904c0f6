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
        3,
        "registration: source counter, availability, one transaction (account, address, session)"
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
        login.calls, 4,
        "login: source counter, username counter, account, session + reset"
    );
    assert!(
        login.read_units > 0.0 && login.write_units > 0.0,
        "{login:?}"
    );
    // A browser with a device cookie for the account skips the source's
    // counter: its own counter, the account, the transaction.
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
        3,
        "device login: device counter, account, session + reset"
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
