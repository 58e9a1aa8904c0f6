//! Argon2id runs: one verification per login attempt, for a known name or
//! an unknown one (the dummy hash); none, and no account read, once the
//! name is locked.

use shared::testing::*;

/// The tables the calls since the last look touched.
fn tables(faults: &Faults) -> Vec<String> {
    let mut t: Vec<String> = faults.take_grants().into_iter().map(|g| g.table).collect();
    t.sort();
    t.dedup();
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attempt_runs_one_verification_known_user_or_not() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    env.app.password_verifications();
    for (name, password, status) in [
        ("alice", "wrong-password", 401),
        ("ghost", "wrong-password", 401),
        ("no-such-user-at-all", PASSWORD, 401),
        ("alice", PASSWORD, 303),
    ] {
        let mut b = env.browser();
        faults.take_grants();
        let p = b.login(name, password, false).await;
        assert_eq!(p.status, status, "{name}: {}", p.body);
        assert_eq!(env.app.password_verifications(), 1, "{name}");
        // Known or not, the account is looked up.
        assert!(tables(&faults).contains(&"users".to_string()), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_name_runs_no_verification_and_reads_no_account() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    for name in ["alice", "ghost"] {
        let mut b = env.browser();
        for _ in 0..5 {
            assert_eq!(b.login(name, "wrong-password", false).await.status, 401);
        }
        env.app.password_verifications();
        faults.take_grants();
        for password in ["wrong-password", PASSWORD] {
            // The form first (its passkey challenge is the page's own write).
            let token = b.get("/login").await.csrf();
            faults.take_grants();
            let fields = [
                ("username", name),
                ("password", password),
                ("csrf_token", &token),
            ];
            let p = b.post("/login", &fields).await;
            assert_eq!(p.status, 429, "{name}");
            assert_eq!(env.app.password_verifications(), 0, "{name}");
            let touched = tables(&faults);
            assert_eq!(touched, vec!["throttle".to_string()], "{name}");
        }
    }
}
