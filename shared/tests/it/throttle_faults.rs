//! The throttle when DynamoDB fails or races: an attempt that could not be
//! counted is not evaluated (503, fail closed); a lost race to open a new
//! window is counted in the winner's window, not answered with an error.

use shared::testing::*;

/// Alice, registered, and a browser that has not signed in.
async fn alice(env: &Env) -> Browser {
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    env.browser()
}

/// A login that must not have been evaluated: 503, and not signed in.
async fn refused_with_503(b: &mut Browser, why: &str) {
    let p = b.login("alice", PASSWORD, false).await;
    assert_eq!(p.status, 503, "{why}: {}", p.body);
    assert!(p.body.contains("try again"), "{why}: {}", p.body);
    let home = b.get("/").await;
    assert!(!home.body.contains("Hello, Alice"), "{why}: signed in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_that_cannot_be_written_refuses_the_attempt() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    let mut b = alice(&env).await;
    // Every SDK attempt of the username counter's UpdateItem fails. That
    // is not a passed window: the attempt was not counted, so it is not
    // evaluated either, even with the right password.
    faults.inject("UpdateItem", 1..=3, Fault::ServerError);
    refused_with_503(&mut b, "UpdateItem fails").await;
    // The database back, the same browser signs in.
    let p = b.login("alice", PASSWORD, false).await;
    assert_eq!(p.status, 303, "{}", p.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_window_that_cannot_be_written_refuses_the_attempt() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    let mut b = alice(&env).await;
    assert_eq!(b.login("alice", "wrong-password", false).await.status, 401);
    // The window has passed: the next attempt starts a new one with a
    // conditional PutItem, and every SDK attempt of it fails. A failure
    // is not contention: answered at once, not tried again.
    env.clock.advance(15 * 60 + 1);
    // (PutItem 1 is the log-in page's passkey challenge.)
    let before = faults.count("PutItem");
    faults.inject("PutItem", 2..=4, Fault::ServerError);
    refused_with_503(&mut b, "PutItem fails").await;
    let puts = faults.count("PutItem") - before;
    assert_eq!(
        puts,
        1 + 3,
        "the page's challenge, then the SDK's own attempts, no more"
    );
    let p = b.login("alice", PASSWORD, false).await;
    assert_eq!(p.status, 303, "{}", p.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_race_to_open_a_new_window_still_counts_the_attempt() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    let mut b = alice(&env).await;
    for _ in 0..5 {
        assert_eq!(b.login("alice", "wrong-password", false).await.status, 401);
    }
    env.clock.advance(15 * 60 + 1);
    // A parallel request opened the new window first: this request's
    // PutItem fails its condition. It joins that window instead.
    // (PutItem 1 is the log-in page's passkey challenge.)
    let before = faults.count("PutItem");
    faults.inject("PutItem", 2..=2, Fault::ConditionFailed);
    let p = b.login("alice", PASSWORD, false).await;
    assert_eq!((p.status, p.location()), (303, Some("/")), "{}", p.body);
    let puts = faults.count("PutItem") - before;
    assert_eq!(
        puts,
        1 + 2,
        "the page's challenge, the lost race, then the window opened"
    );
}
