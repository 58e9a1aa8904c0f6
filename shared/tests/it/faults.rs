//! DynamoDB faults: a 503 page, within the timeouts.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_down_gives_a_503_page() {
    let mut env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let token = b.get("/").await.csrf();
    env.stop_dynamodb().await;
    let p = b.get("/").await;
    assert_eq!(p.status, 503);
    assert!(p.body.contains("try again"));
    assert!(p.header("content-security-policy").is_some());
    let p = b.post("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(p.status, 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_dynamodb_gives_503_within_the_timeouts() {
    // A port nobody listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let env = Env::app_at(&endpoint, &[]);
    let mut b = env.browser();
    let started = std::time::Instant::now();
    let form = b.get("/register").await;
    assert_eq!(form.status, 200, "an anonymous form needs no database");
    let p = b.register("Alice", "alice@example.com", PASSWORD).await;
    assert_eq!(p.status, 503);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
