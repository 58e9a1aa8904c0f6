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
    // The username's counter is one atomic ADD per attempt: exactly the
    // first five counts are evaluated, whatever the interleaving.
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((evaluated, refused), (5, 11), "{statuses:?}");
}

/// One wave of `LOGIN_IP_LIMIT` test: `k` wrong logins at once, from one
/// source, each at its own unknown name; their statuses.
async fn wave(env: &Env, first: usize, k: usize) -> Vec<u16> {
    let mut handles = Vec::new();
    for i in first..first + k {
        let app = env.app.clone();
        handles.push(tokio::spawn(async move {
            let mut b = Browser::new(app, true);
            b.login(&format!("user{i}"), "wrong-password", false)
                .await
                .status
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_from_one_source_stop_within_one_wave_of_the_limit() {
    // The source's counter is read, then the attempt is counted (SECURITY.md,
    // "The per-IP limit is approximate"). What that guarantees, with every
    // attempt adding exactly one to the counter (a wrong password, or a
    // refusal) and attempts sent in waves of K at once:
    // - at least LIMIT are evaluated: no attempt is refused before LIMIT
    //   failures have been counted;
    // - a wave that starts with the counter below LIMIT may all pass; one
    //   that starts at LIMIT or above is refused whole. So at most
    //   ceil(LIMIT / K) * K, i.e. fewer than LIMIT + K, are evaluated.
    const LIMIT: usize = 6;
    const K: usize = 4;
    let env = Env::start_with(&[("LOGIN_IP_LIMIT", "6")]).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut statuses = Vec::new();
    for w in 0..4 {
        statuses.extend(wave(&env, w * K, K).await);
    }
    assert!(
        statuses.iter().all(|s| matches!(s, 401 | 429)),
        "{statuses:?}"
    );
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.len() - evaluated;
    assert!(
        (LIMIT..=LIMIT.div_ceil(K) * K).contains(&evaluated),
        "{evaluated} evaluated, {refused} refused: {statuses:?}"
    );
    // The source is over its limit now: even the right password waits.
    assert_eq!(
        env.browser().login("alice", PASSWORD, false).await.status,
        429
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_ip_limit_cannot_lock_anyone_out() {
    let env = Env::start_with(&[("LOGIN_IP_LIMIT", "3")]).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut attacker = env.browser();
    attacker.source_ip = "198.51.100.66".into();
    for i in 0..3 {
        let p = attacker
            .login(&format!("user{i}"), "wrong-password", false)
            .await;
        assert_eq!(p.status, 401);
    }
    // Over its limit: 50 attempts at Alice's name are refused by the IP
    // limit and count nothing against her username.
    for _ in 0..50 {
        let p = attacker.login("alice", "wrong-password", false).await;
        assert_eq!(p.status, 429);
    }
    let mut victim = env.browser();
    victim.source_ip = "192.0.2.10".into();
    let p = victim.login("alice", PASSWORD, false).await;
    assert_eq!((p.status, p.location()), (303, Some("/")), "{}", p.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_attempts_count_against_the_source_too() {
    let env = Env::start_with(&[("LOGIN_IP_LIMIT", "7")]).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    for _ in 0..5 {
        assert_eq!(b.login("alice", "wrong-password", false).await.status, 401);
    }
    // Alice's name is locked: these two are refused, and counted against
    // the source (5 + 2 = 7, its limit).
    for _ in 0..2 {
        assert_eq!(b.login("alice", "wrong-password", false).await.status, 429);
    }
    assert_eq!(b.login("bob", "wrong-password", false).await.status, 429);
}

/// Alice's own browser after a successful login: it holds her device
/// cookie; its session has since ended (here: expired).
async fn alices_browser(env: &Env) -> Browser {
    let mut alice = env.browser();
    alice.register("Alice", "alice@example.com", PASSWORD).await;
    alice.logout().await;
    let p = alice.login("alice", PASSWORD, false).await;
    assert_eq!(p.status, 303);
    assert!(
        alice.get("/").await.body.contains("Hello, Alice"),
        "signed in first"
    );
    let device = p.set_cookie("__Host-device").expect("a device cookie");
    for attr in [
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
        "Path=/",
        "Max-Age=31536000",
    ] {
        assert!(device.contains(attr), "{device} lacks {attr}");
    }
    env.clock.advance(25 * 3600);
    assert!(!alice.get("/").await.body.contains("Hello, Alice"));
    alice
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_cookie_lets_its_owner_in_while_the_name_is_locked() {
    let env = Env::start().await;
    let mut alice = alices_browser(&env).await;
    let mut attacker = env.browser();
    attacker.source_ip = "198.51.100.66".into();
    for _ in 0..5 {
        attacker.login("alice", "wrong-password", false).await;
    }
    assert_eq!(attacker.login("alice", PASSWORD, false).await.status, 429);
    // Without her device cookie, even Alice is locked out...
    let mut fresh = env.browser();
    assert_eq!(fresh.login("alice", PASSWORD, false).await.status, 429);
    // ...with it, she signs in, and it is issued again: same device, new
    // issue time.
    let device = |b: &Browser| {
        let v = b.cookie("__Host-device").unwrap().to_string();
        let parts: Vec<String> = v.split(':').map(str::to_string).collect();
        (parts[..3].join(":"), parts[3].clone())
    };
    let before = device(&alice);
    env.clock.advance(60);
    let p = alice.login("alice", PASSWORD, false).await;
    assert_eq!((p.status, p.location()), (303, Some("/")), "{}", p.body);
    let after = device(&alice);
    assert_eq!(after.0, before.0, "the same device");
    assert_ne!(after.1, before.1, "issued anew");
    // Bob's device cookie does nothing for Alice's name.
    let mut bob = env.browser();
    bob.register("Bob", "bob@example.com", PASSWORD).await;
    bob.logout().await;
    bob.login("bob", PASSWORD, false).await;
    bob.logout().await;
    assert!(bob.cookie("__Host-device").is_some());
    assert_eq!(bob.login("alice", PASSWORD, false).await.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_has_its_own_limit_and_leaves_the_username_alone() {
    let env = Env::start().await;
    let mut alice = alices_browser(&env).await;
    for _ in 0..5 {
        assert_eq!(
            alice.login("alice", "wrong-password", false).await.status,
            401
        );
    }
    assert_eq!(alice.login("alice", PASSWORD, false).await.status, 429);
    // The username's counter saw none of those: another browser gets in.
    let mut other = env.browser();
    other.source_ip = "192.0.2.77".into();
    assert_eq!(other.login("alice", PASSWORD, false).await.status, 303);
    // A tampered device cookie is no device cookie.
    let mut forged = env.browser();
    let value = tamper(alice.cookie("__Host-device").unwrap());
    forged.cookies.push(("__Host-device".into(), value));
    for _ in 0..5 {
        forged.login("alice", "wrong-password", false).await;
    }
    assert_eq!(forged.login("alice", PASSWORD, false).await.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ipv6_client_is_limited_by_its_64() {
    let env = Env::start_with(&[("LOGIN_IP_LIMIT", "3")]).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    // Three addresses of one /64: one source.
    for (i, ip) in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9"]
        .iter()
        .enumerate()
    {
        let mut b = env.browser();
        b.source_ip = ip.to_string();
        let p = b.login(&format!("user{i}"), "wrong-password", false).await;
        assert_eq!(p.status, 401, "{ip}");
    }
    let mut same_block = env.browser();
    same_block.source_ip = "2001:db8:1:2:dead:beef:0:1".into();
    assert_eq!(same_block.login("alice", PASSWORD, false).await.status, 429);
    // The next /64 is another source.
    let mut next_block = env.browser();
    next_block.source_ip = "2001:db8:1:3::1".into();
    assert_eq!(next_block.login("alice", PASSWORD, false).await.status, 303);
    // An IPv4-mapped address is its IPv4 address.
    let env = Env::start_with(&[("LOGIN_IP_LIMIT", "1")]).await;
    let mut v4 = env.browser();
    v4.source_ip = "192.0.2.5".into();
    assert_eq!(v4.login("ghost", "wrong-password", false).await.status, 401);
    let mut mapped = env.browser();
    mapped.source_ip = "::ffff:192.0.2.5".into();
    assert_eq!(
        mapped.login("ghost2", "wrong-password", false).await.status,
        429
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_usernames_lockout_leaves_other_usernames_alone() {
    // Each username has its own counter: five failures at "bob", from a
    // source well under its limit, do not lock "alice".
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    b.source_ip = "198.51.100.77".into();
    for _ in 0..5 {
        assert_eq!(b.login("bob", "wrong-password", false).await.status, 401);
    }
    assert_eq!(b.login("bob", "wrong-password", false).await.status, 429);
    let mut c = env.browser();
    c.source_ip = "192.0.2.12".into();
    let p = c.login("alice", PASSWORD, false).await;
    assert_eq!((p.status, p.location()), (303, Some("/")), "{}", p.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sources_limit_ends_exactly_15_minutes_after_its_window_began() {
    let env = Env::start_with(&[("LOGIN_IP_LIMIT", "3")]).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    b.source_ip = "198.51.100.88".into();
    for i in 0..3 {
        let p = b.login(&format!("user{i}"), "wrong-password", false).await;
        assert_eq!(p.status, 401);
    }
    // The source's window: still closed its last second, open at its end.
    env.clock.advance(15 * 60 - 1);
    assert_eq!(b.login("alice", PASSWORD, false).await.status, 429);
    env.clock.advance(1);
    assert_eq!(b.login("alice", PASSWORD, false).await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_window_counts_from_one_and_ends_in_its_turn() {
    let env = Env::start().await;
    let mut c = env.browser();
    c.source_ip = "192.0.2.13".into();
    for _ in 0..5 {
        assert_eq!(c.login("bob", "wrong-password", false).await.status, 401);
    }
    env.clock.advance(15 * 60 + 1);
    for _ in 0..5 {
        assert_eq!(c.login("bob", "wrong-password", false).await.status, 401);
    }
    assert_eq!(c.login("bob", "wrong-password", false).await.status, 429);
    env.clock.advance(15 * 60);
    assert_eq!(c.login("bob", "wrong-password", false).await.status, 401);
}
