//! DynamoDB faults: a 503 page (the timeouts: `timeouts.rs`).

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
async fn unprocessed_keys_are_asked_for_again_after_a_random_wait() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    // DynamoDB throttles the availability read three times, then answers.
    faults.inject("BatchGetItem", 1..=3, Fault::Unprocessed);
    let before = faults.count("BatchGetItem");
    let mut b = env.browser();
    env.app.usage();
    let p = b.register("Alice", "alice@example.com", PASSWORD).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(faults.count("BatchGetItem") - before, 4, "three retries");
    // Full jitter (AWS's advice): random waits of up to 50, 100 and 200 ms
    // (the schedule is unit-tested in store::batch). All three drawn as
    // zero: about once in 10^14.
    let waited = env.app.usage().waited;
    assert!(waited > std::time::Duration::ZERO, "no back-off");
    assert!(
        waited <= std::time::Duration::from_millis(350),
        "{waited:?}"
    );
    let sent = faults.sent_at("BatchGetItem");
    let gaps: std::time::Duration = sent[before..].windows(2).map(|w| w[1] - w[0]).sum();
    assert!(
        gaps >= waited,
        "the waits came between the calls: {gaps:?} {waited:?}"
    );
    // Four unprocessed answers in a row: the page says to try again.
    faults.inject("BatchGetItem", 1..=4, Fault::Unprocessed);
    let mut c = env.browser();
    let p = c.register("Bob", "bob@example.com", PASSWORD).await;
    assert_eq!(p.status, 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_stopped_and_restarted_on_its_file_the_app_carries_on() {
    // What scripts/soak does to the local site, in small: the database
    // stops, every page that needs it is a 503, and when it is back on the
    // same file and port the same app (no restart) serves the accounts and
    // sessions made before, with nothing half-written.
    let dir = std::env::temp_dir().join(format!("restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dynamodb.sqlite");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut db = serve_dynamodb(listener, Some(&file)).unwrap();
    let env = Env::app_at(&db.endpoint, &[]);
    create_tables(&env.app).await.unwrap();
    let mut alice = env.browser();
    assert_eq!(
        alice
            .register("Alice", "alice@example.com", PASSWORD)
            .await
            .status,
        303
    );
    db.stop().await.unwrap();

    let home = alice.get("/").await;
    assert_eq!(home.status, 503);
    assert!(home.body.contains("try again"));
    let mut bob = env.browser();
    assert_eq!(
        bob.register("Bob", "bob@example.com", PASSWORD)
            .await
            .status,
        503
    );
    assert_eq!(bob.login("alice", PASSWORD, false).await.status, 503);
    assert_eq!(
        env.browser().get("/login").await.status,
        200,
        "no database needed"
    );

    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let mut db = serve_dynamodb(listener, Some(&file)).unwrap();
    assert!(
        alice.get("/").await.body.contains("Hello, Alice"),
        "her session survived"
    );
    assert_eq!(
        bob.register("Bob", "bob@example.com", PASSWORD)
            .await
            .status,
        303
    );
    let mut carol = env.browser();
    assert_eq!(carol.login("alice", PASSWORD, false).await.status, 303);
    let check = check_tables(&env.app).await.expect("nothing half-written");
    assert_eq!((check.accounts, check.sessions), (2, 3));
    db.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
