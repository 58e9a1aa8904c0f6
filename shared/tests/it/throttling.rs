//! Login throttling per username and per source IP.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_lock_a_username_for_15_minutes_even_for_the_right_password() {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    for _ in 0..5 {
        assert_eq!(b.login("alice", "wrong-password", false).await.status, 401);
    }
    let p = b.login("ALICE", PASSWORD, false).await;
    assert_eq!(p.status, 429);
    assert!(p.body.contains("Too many failed login attempts"));
    // Another browser, another IP: the username is still locked.
    let mut c = env.browser();
    c.source_ip = "192.0.2.44".into();
    assert_eq!(c.login("alice", PASSWORD, false).await.status, 429);
    // When the window has passed, the right password works.
    env.clock.advance(15 * 60 + 1);
    assert_eq!(c.login("alice", PASSWORD, false).await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockout_does_not_reveal_whether_the_account_exists() {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    let mut seen = Vec::new();
    for name in ["alice", "ghost"] {
        for _ in 0..5 {
            b.login(name, "wrong-password", false).await;
        }
        let p = b.login(name, "wrong-password", false).await;
        seen.push((p.status, p.body.contains("Too many failed login attempts")));
    }
    assert_eq!(seen, vec![(429, true), (429, true)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_success_resets_the_username_counter() {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    for _ in 0..4 {
        b.login("alice", "wrong-password", false).await;
    }
    assert_eq!(b.login("alice", PASSWORD, false).await.status, 303);
    b.logout().await;
    for _ in 0..5 {
        assert_eq!(b.login("alice", "wrong-password", false).await.status, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_cannot_slip_past_the_limit() {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut handles = Vec::new();
    for _ in 0..16 {
        let app = env.app.clone();
        handles.push(tokio::spawn(async move {
            let mut b = Browser::new(app, true);
            b.login("alice", "wrong-password", false).await.status
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    assert!(evaluated <= 5, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        16 - evaluated
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_ip_spraying_many_usernames_is_stopped() {
    let env = Env::start_with(&[("LOGIN_IP_LIMIT", "3")]).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    for i in 0..3 {
        assert_eq!(
            b.login(&format!("user{i}"), "wrong-password", false)
                .await
                .status,
            401
        );
    }
    assert_eq!(b.login("alice", PASSWORD, false).await.status, 429);
    // Another IP is unaffected.
    let mut c = env.browser();
    c.source_ip = "192.0.2.50".into();
    assert_eq!(c.login("alice", PASSWORD, false).await.status, 303);
}
