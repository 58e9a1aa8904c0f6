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
}
