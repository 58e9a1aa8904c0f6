//! DynamoDB that accepts connections and never answers: the configured
//! timeouts (`store/client.rs`: 1 s to connect, 2 s per attempt, 5 s per
//! operation, 3 attempts; the warm-up's own 1 s) are what end the wait.
//! A closed port fails at once and would reach none of them. The bounds
//! have generous slack: they tell "the timeouts ran" from "it failed at
//! once" and from "it hung".

use std::time::{Duration, Instant};

use shared::testing::*;

/// An endpoint whose listener accepts every connection, keeps it open and
/// never reads or writes a byte.
async fn silent_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    endpoint
}

/// The per-attempt timeout: no 503 can come sooner.
const ATTEMPT: Duration = Duration::from_secs(2);
/// The per-operation timeout, and the slack a loaded 2-core machine needs.
const OPERATION: Duration = Duration::from_secs(5);
const SLACK: Duration = Duration::from_secs(3);

/// `call`, failing the test rather than hanging when no timeout ends it.
async fn bounded<T>(call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(OPERATION + SLACK, call)
        .await
        .expect("no timeout ended the call")
}

fn assert_within_the_timeouts(elapsed: Duration, what: &str) {
    assert!(
        elapsed >= ATTEMPT,
        "{what}: {elapsed:?}, before one attempt could time out"
    );
    assert!(
        elapsed <= OPERATION + SLACK,
        "{what}: {elapsed:?}, past the operation timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_dynamodb_gives_503_within_the_operation_timeout() {
    let env = Env::app_at(&silent_endpoint().await, &[]);
    let mut b = env.browser();
    let form = b.get("/register").await;
    assert_eq!(form.status, 200, "an anonymous form needs no database");
    let fields = [
        ("username", "Alice"),
        ("email", "alice@example.com"),
        ("password", PASSWORD),
        ("csrf_token", &form.csrf()),
        ("request_id", &form.input("request_id").unwrap()),
    ];
    let started = Instant::now();
    let p = bounded(b.post("/register", &fields)).await;
    let elapsed = started.elapsed();
    assert_eq!(p.status, 503, "{}", p.body);
    assert!(p.body.contains("try again"));
    assert_within_the_timeouts(elapsed, "POST /register");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_page_on_a_silent_dynamodb_is_a_503_within_the_timeout() {
    // Alice's session, made where DynamoDB answers...
    let db = Env::start().await;
    let mut alice = db.browser();
    alice.register("Alice", "alice@example.com", PASSWORD).await;
    // ...then presented to an app whose DynamoDB never answers.
    let env = Env::app_at(&silent_endpoint().await, &[]);
    let mut b = env.browser();
    b.cookies = alice.cookies.clone();
    let started = Instant::now();
    let p = bounded(b.get("/")).await;
    let elapsed = started.elapsed();
    assert_eq!(p.status, 503, "{}", p.body);
    assert!(p.header("content-security-policy").is_some());
    assert_within_the_timeouts(elapsed, "GET /");
}

#[tokio::test]
async fn a_silent_dynamodb_only_costs_the_warm_up_timeout() {
    let env = Env::app_at(&silent_endpoint().await, &[]);
    let started = Instant::now();
    assert!(!bounded(env.app.warm_up()).await);
    let elapsed = started.elapsed();
    // The warm-up's own 1 s, not the request timeouts.
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(1) + SLACK, "{elapsed:?}");
}
