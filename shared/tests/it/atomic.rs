//! All or nothing where the page says so: registration's account, address
//! and session; "sign out everywhere else", a password change and a
//! deletion, each one write whatever the number of sessions; a
//! transaction conflict tried once more.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_during_registration_leaves_all_of_it_or_none() {
    // Whichever write fails (each SDK attempt of it), the person is either
    // registered and signed in, or told to try again with nothing written.
    for operation in ["TransactWriteItems", "PutItem"] {
        let faults = Faults::new();
        let env = Env::start_faulty(&[], &faults).await;
        faults.inject(operation, 1..=3, Fault::ServerError);
        let mut b = env.browser();
        let p = b.register("Alice", "alice@example.com", PASSWORD).await;
        match p.status {
            503 => {
                assert!(p.body.contains("try again"), "{operation}");
                assert!(
                    env.app.password_hash("alice").await.is_none(),
                    "{operation}: a 503, but the account was created"
                );
                // Neither the name nor the address is held.
                let mut c = env.browser();
                let p = c.register("Alice", "alice@example.com", PASSWORD).await;
                assert_eq!(p.status, 303, "{operation}");
            }
            303 => assert!(
                b.get("/").await.body.contains("Hello, Alice"),
                "{operation}"
            ),
            other => panic!("{operation}: {other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_writes_the_account_address_and_session_in_one_call() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    assert_eq!(faults.count("TransactWriteItems"), 1);
    assert_eq!(faults.count("PutItem"), 0, "no separate session write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loser_of_a_conflicting_race_gets_409_not_503() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    let mut winner = env.browser();
    winner
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    // The loser read before the winner wrote (nothing found), and its
    // transaction met the winner's: DynamoDB cancels it with
    // TransactionConflict. Tried once more, it meets the winner's account.
    faults.inject("BatchGetItem", 1..=1, Fault::NothingFound);
    faults.inject("TransactWriteItems", 1..=1, Fault::TransactionConflict);
    let before = faults.count("TransactWriteItems");
    let mut loser = env.browser();
    let p = loser.register("alice", "other@example.com", PASSWORD).await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("Username already taken."));
    assert_eq!(
        faults.count("TransactWriteItems") - before,
        2,
        "tried once more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_is_tried_once_more_only() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    faults.inject("TransactWriteItems", 1..=1, Fault::TransactionConflict);
    let mut b = env.browser();
    let p = b.register("Alice", "alice@example.com", PASSWORD).await;
    assert_eq!(p.status, 303, "the other transaction ended: {}", p.body);
    faults.inject("TransactWriteItems", 1..=2, Fault::TransactionConflict);
    let mut c = env.browser();
    let p = c.register("Bob", "bob@example.com", PASSWORD).await;
    assert_eq!(p.status, 503, "twice: a 503 that says to try again");
    assert!(env.app.password_hash("bob").await.is_none());
}

/// Alice signed in here, with `others` sessions elsewhere.
async fn alice_with_sessions(env: &Env, others: usize) -> Browser {
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    env.app.plant_sessions("alice", others).await;
    let listed = a
        .get("/account")
        .await
        .body
        .matches("name=\"session\"")
        .count();
    assert_eq!(listed, others + 1);
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_everywhere_else_ends_any_number_in_one_write() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    let mut a = alice_with_sessions(&env, 150).await;
    let token = a.get("/account").await.csrf();
    let before = faults.count("TransactWriteItems");
    signs_out_everywhere_else(&env, &mut a, &token).await;
    assert_eq!(
        faults.count("TransactWriteItems") - before,
        1,
        "one transaction, whatever the number"
    );
}

/// "Sign out everywhere else" with `token`: it redirects to `/account`,
/// which then lists this browser's session alone. The DynamoDB calls of
/// the sign-out itself.
async fn signs_out_everywhere_else(env: &Env, a: &mut Browser, token: &str) -> u64 {
    let p = a
        .post("/account/sessions/revoke-others", &[("csrf_token", token)])
        .await;
    assert_eq!((p.status, p.location()), (303, Some("/account")));
    let calls = env.app.usage().calls;
    let acct = a.get("/account").await;
    assert!(acct.body.contains("Signed out of all other sessions."));
    assert_eq!(acct.body.matches("name=\"session\"").count(), 1);
    calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_everywhere_else_is_all_or_nothing_and_its_clean_up_only_housekeeping() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    let mut a = alice_with_sessions(&env, 98).await;
    let mut other = env.browser();
    other.login("alice", PASSWORD, false).await;
    assert!(other.get("/").await.body.contains("Hello, Alice"));
    // The one write fails, every SDK attempt: nothing was ended, a 503.
    let token = a.get("/account").await.csrf();
    faults.inject("TransactWriteItems", 1..=3, Fault::ServerError);
    let p = a
        .post("/account/sessions/revoke-others", &[("csrf_token", &token)])
        .await;
    assert_eq!(p.status, 503, "{}", p.body);
    assert!(other.get("/").await.body.contains("Hello, Alice"));
    assert_eq!(
        a.get("/account")
            .await
            .body
            .matches("name=\"session\"")
            .count(),
        100
    );
    // It succeeds, but removing the ended items fails: they are ended all
    // the same (the clean-up only keeps the partition small).
    let token = a.get("/account").await.csrf();
    faults.inject("BatchWriteItem", 1..=100, Fault::ServerError);
    signs_out_everywhere_else(&env, &mut a, &token).await;
    assert!(!other.get("/").await.body.contains("Hello, Alice"));
    assert!(a.get("/").await.body.contains("Hello, Alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_150_other_sessions_and_keeps_this_one() {
    // One transaction, whatever the number of sessions.
    let env = Env::start().await;
    let mut a = alice_with_sessions(&env, 150).await;
    let form = a.get("/account/password").await;
    let fields = [
        ("current_password", PASSWORD),
        ("new_password", crate::lifecycle::NEW_PASSWORD),
        ("csrf_token", &form.csrf()),
    ];
    let p = a.post("/account/password", &fields).await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/account")),
        "{}",
        p.body
    );
    let acct = a.get("/account").await;
    assert!(acct.body.contains("Your password has been changed."));
    assert_eq!(acct.body.matches("name=\"session\"").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_ends_150_other_sessions_and_the_name_starts_afresh() {
    let env = Env::start().await;
    let mut a = alice_with_sessions(&env, 150).await;
    let form = a.get("/account/delete").await;
    let fields = [("password", PASSWORD), ("csrf_token", &form.csrf())];
    let p = a.post("/account/delete", &fields).await;
    assert_eq!((p.status, p.location()), (303, Some("/")), "{}", p.body);
    // A new Alice: her session list is her own, nothing left of the old.
    let mut b = env.browser();
    let p = b.register("alice", "alice@example.com", PASSWORD).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let acct = b.get("/account").await;
    assert_eq!(acct.body.matches("name=\"session\"").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_sessions_is_listed_and_ended() {
    // DynamoDB answers a Query in pages of up to 1 MB; here, of 40 items,
    // so that Alice's 151 sessions take four pages.
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    faults.inject("Query", 1..=100_000, Fault::PageOf(40));
    let mut a = alice_with_sessions(&env, 150).await;
    let before = faults.count("Query");
    let token = a.get("/account").await.csrf();
    assert_eq!(faults.count("Query") - before, 4, "listed in four pages");
    signs_out_everywhere_else(&env, &mut a, &token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transaction_tells_a_taken_address_from_a_taken_name() {
    // Each read missed the winner's write (a race): the transaction's own
    // conditions refuse, and say which key was taken.
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    let mut winner = env.browser();
    winner
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    for (name, email, message) in [
        ("bob", "ALICE@example.com", "Email already registered."),
        ("alice", "carol@example.com", "Username already taken."),
    ] {
        faults.inject("BatchGetItem", 1..=1, Fault::NothingFound);
        let p = env.browser().register(name, email, PASSWORD).await;
        assert_eq!(p.status, 409, "{name}: {}", p.body);
        assert!(p.body.contains(message), "{name}: {}", p.body);
    }
    // Nothing of the losers was written: Bob's name is free.
    let p = env
        .browser()
        .register("bob", "bob@example.com", PASSWORD)
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
}

/// Alice, signed in, confirms her account's deletion while its one
/// transaction gets `fault` (every SDK attempt of it). Her browser, the
/// answer and the app.
async fn delete_alice_with(fault: Fault) -> (Browser, Page, Env) {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let token = a.get("/account/delete").await.csrf();
    faults.inject("TransactWriteItems", 1..=3, fault);
    let fields = [("password", PASSWORD), ("csrf_token", token.as_str())];
    let p = a.post("/account/delete", &fields).await;
    (a, p, env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_that_cannot_write_is_a_503_and_changes_nothing() {
    let (mut a, p, env) = delete_alice_with(Fault::ServerError).await;
    assert_eq!(p.status, 503, "{}", p.body);
    assert!(p.body.contains("We could not reach our database"));
    assert_eq!(env.app.account_flags("alice").await, Some((false, 1)));
    assert!(
        a.get("/").await.body.contains("Hello, Alice"),
        "still signed in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_that_finds_the_password_changed_says_so() {
    // Between the password check and the transaction, the password
    // changed (a reset in another tab): its condition fails.
    let (mut a, p, env) = delete_alice_with(Fault::Cancelled(&["ConditionalCheckFailed"])).await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p
        .body
        .contains("Your account changed while this request was on its way"));
    assert!(env.app.account_flags("alice").await.is_some());
    assert!(a.get("/").await.body.contains("Hello, Alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_cancellation_by_conflicts_alone_is_tried_again() {
    // Cancelled for anything else (throttled, or a conflict beside an
    // invalid item), the same transaction would fail the same way: the
    // answer is a 503 at once, with one call.
    const CASES: [&[&str]; 2] = [
        &["ThrottlingError"],
        &["TransactionConflict", "ValidationError"],
    ];
    for reasons in CASES {
        let faults = Faults::new();
        let env = Env::start_faulty(&[], &faults).await;
        faults.inject("TransactWriteItems", 1..=1, Fault::Cancelled(reasons));
        let mut b = env.browser();
        let p = b.register("Alice", "alice@example.com", PASSWORD).await;
        assert_eq!(p.status, 503, "{reasons:?}: {}", p.body);
        assert_eq!(faults.count("TransactWriteItems"), 1, "{reasons:?}");
    }
}
