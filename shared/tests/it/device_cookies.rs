//! Device cookies end with the password (issue 19, item 4): one fits only
//! the account it was issued to, under the generation it was issued
//! under, for a year counted on the server. So cookies stockpiled while
//! the password was known buy no guesses once it is changed or reset, and
//! SECURITY.md's "5 guesses, no more" holds per cookie of the current
//! password.

use shared::testing::*;

use crate::lifecycle::{forgot, reset_with, NEW_PASSWORD};
use crate::mailbox::new_mail;
use crate::recovery::change;

/// `n` device cookies of Alice's, from `n` sign-ins in fresh browsers.
async fn stockpile(env: &Env, n: usize) -> Vec<Browser> {
    let mut kept = Vec::new();
    for _ in 0..n {
        let mut b = env.browser();
        assert_eq!(b.login("alice", PASSWORD, false).await.status, 303);
        b.cookies.retain(|(name, _)| name == "__Host-device");
        kept.push(b);
    }
    kept
}

/// Others' guesses lock Alice's name.
async fn lock_the_name(env: &Env) {
    let mut guesser = env.browser();
    guesser.source_ip = "198.51.100.66".into();
    for _ in 0..5 {
        guesser.login("alice", "wrong-password", false).await;
    }
    let p = guesser.login("alice", "wrong-password", false).await;
    assert_eq!(p.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stockpiled_device_cookies_are_worthless_after_a_reset() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut kept = stockpile(&env, 3).await;
    lock_the_name(&env).await;
    // Before the reset each cookie is its own counter: a guess gets through
    // to a password check (a 401, not the lock's 429).
    let p = kept[0].login("alice", "wrong-guess-1", false).await;
    assert_eq!(p.status, 401, "a device of the current password");
    // The owner resets.
    new_mail(&env, &mut seen).await;
    assert_eq!(forgot(&env, "alice@example.com").await.status, 303);
    let link = new_mail(&env, &mut seen).await[0].link("/password/reset");
    let p = reset_with(&mut env.browser(), &link, NEW_PASSWORD).await;
    assert_eq!(p.status, 303);
    lock_the_name(&env).await;
    // Every stockpiled cookie now counts on the locked name: refused.
    for b in kept.iter_mut() {
        assert_eq!(b.login("alice", "wrong-guess-2", false).await.status, 429);
        assert_eq!(b.login("alice", NEW_PASSWORD, false).await.status, 429);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_the_device_cookies_issued_before_it() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut kept = stockpile(&env, 1).await;
    assert_eq!(change(&mut a, PASSWORD, NEW_PASSWORD).await.status, 303);
    // A sign-in after the change gets a cookie of the new generation.
    let mut fresh = stockpile_new(&env).await;
    lock_the_name(&env).await;
    assert_eq!(
        kept[0].login("alice", NEW_PASSWORD, false).await.status,
        429
    );
    assert_eq!(fresh.login("alice", NEW_PASSWORD, false).await.status, 303);
}

/// A device cookie issued under the current password.
async fn stockpile_new(env: &Env) -> Browser {
    let mut b = env.browser();
    assert_eq!(b.login("alice", NEW_PASSWORD, false).await.status, 303);
    b.cookies.retain(|(name, _)| name == "__Host-device");
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_cookie_lives_a_year_by_the_servers_clock() {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut kept = stockpile(&env, 2).await;
    env.clock.advance(364 * 24 * 60 * 60);
    lock_the_name(&env).await;
    assert_eq!(kept[0].login("alice", PASSWORD, false).await.status, 303);
    // A year after it was issued the other one is refused, whatever the
    // browser still sends.
    env.clock.advance(2 * 24 * 60 * 60);
    lock_the_name(&env).await;
    assert_eq!(kept[1].login("alice", PASSWORD, false).await.status, 429);
}
