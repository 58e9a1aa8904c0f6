//! Recovery beats an intruder (issue 19, CONTRACT.md's rule of that
//! name): someone who has, or once had, the password never outlasts a
//! reset. Password changes are limited and lose every race to a reset;
//! ending every session takes one write, however many there are.

use shared::testing::*;

use crate::lifecycle::{forgot, reset_with, NEW_PASSWORD};
use crate::mailbox::new_mail;

const TOO_MANY_CHANGES: &str = "Too many password changes. Try again later.";

/// Changes Alice's password in `b` from `current` to `new`.
pub(crate) async fn change(b: &mut Browser, current: &str, new: &str) -> Page {
    let token = b.get("/account/password").await.csrf();
    let fields = [
        ("current_password", current),
        ("new_password", new),
        ("csrf_token", token.as_str()),
    ];
    b.post("/account/password", &fields).await
}

/// Alice's reset link, asked for and read from the outbox.
async fn reset_link(env: &Env, seen: &mut usize) -> String {
    assert_eq!(forgot(env, "alice@example.com").await.status, 303);
    let mails = new_mail(env, seen).await;
    let reset = mails.iter().find(|m| m.subject.contains("Reset"));
    reset.expect("a reset mail").link("/password/reset")
}

fn signed_in(p: &Page) -> bool {
    p.body.contains("Hello, Alice")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_three_password_changes_an_hour_and_a_fourth_changes_nothing() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    new_mail(&env, &mut seen).await;
    let link = reset_link(&env, &mut seen).await;
    let passwords = ["first-new-pass-1", "second-new-pass-2", "third-new-pass-3"];
    let mut current = PASSWORD;
    for new in passwords {
        let p = change(&mut a, current, new).await;
        assert_eq!(
            (p.status, p.location()),
            (303, Some("/account")),
            "{}",
            p.body
        );
        current = new;
    }
    // The intruder's fourth: refused, and nothing changes.
    let p = change(&mut a, current, "fourth-new-pass-4").await;
    assert_eq!(p.status, 429, "{}", p.body);
    assert!(p.body.contains(TOO_MANY_CHANGES));
    assert_eq!(
        env.browser().login("alice", current, false).await.status,
        303
    );
    // Three notices, no more (the mail the changes may ask for is bounded).
    let notices = new_mail(&env, &mut seen).await;
    assert_eq!(notices.len(), 3, "{notices:?}");
    // The owner's reset still works (a fourth change would have killed the
    // link she asks for next); an hour on, changes are allowed again.
    let link_after = reset_link(&env, &mut seen).await;
    assert_eq!(
        env.browser().get(&link).await.status,
        410,
        "changes void links"
    );
    let p = reset_with(&mut env.browser(), &link_after, NEW_PASSWORD).await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/login")),
        "{}",
        p.body
    );
    env.clock.advance(60 * 60);
    let mut b = env.browser();
    b.login("alice", NEW_PASSWORD, false).await;
    assert_eq!(
        change(&mut b, NEW_PASSWORD, "fifth-new-pass-5")
            .await
            .status,
        303
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_landing_between_a_change_and_its_write_wins() {
    let faults = Faults::new();
    let env = Env::start_mail_faulty(&[], &faults).await;
    let mut seen = 0;
    let mut intruder = env.browser();
    intruder
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    new_mail(&env, &mut seen).await;
    let link = reset_link(&env, &mut seen).await;
    let mut owner = env.browser();
    assert_eq!(owner.get(&link).await.status, 303);
    let form = owner.get("/password/reset").await.csrf();
    // The intruder's change has checked the password; its write is held.
    let held = faults.hold("TransactWriteItems", 1);
    let changing = tokio::spawn(async move {
        let p = change(&mut intruder, PASSWORD, "intruders-choice-9").await;
        (intruder, p)
    });
    held.reached().await;
    let fields = [
        ("new_password", NEW_PASSWORD),
        ("csrf_token", form.as_str()),
    ];
    let p = owner.post("/password/reset", &fields).await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/login")),
        "{}",
        p.body
    );
    held.release();
    let (mut intruder, p) = changing.await.unwrap();
    assert_eq!(p.status, 409, "the change lost the race: {}", p.body);
    // The owner's password stands; neither the old one nor the intruder's.
    for (password, status) in [
        (NEW_PASSWORD, 303),
        (PASSWORD, 401),
        ("intruders-choice-9", 401),
    ] {
        let p = env.browser().login("alice", password, false).await;
        assert_eq!(p.status, status, "{password}");
    }
    assert!(!signed_in(&intruder.get("/").await), "the intruder is out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_rehash_racing_a_reset_never_brings_the_old_password_back() {
    let faults = Faults::new();
    let env = Env::start_mail_faulty(&[("ARGON2_ITERATIONS", "3")], &faults).await;
    let mut seen = 0;
    // Stored at a weaker cost than today's: a login re-hashes it.
    let weak = Env::app_at(&env.endpoint, &[])
        .app
        .hash_password(PASSWORD)
        .await;
    env.app
        .plant_user("Alice", "alice@example.com", &weak)
        .await;
    let link = reset_link(&env, &mut seen).await;
    let mut owner = env.browser();
    assert_eq!(owner.get(&link).await.status, 303);
    let form = owner.get("/password/reset").await.csrf();
    // The intruder's login verified the old password; its rehash (the
    // username counter is UpdateItem 1) is held while the owner resets.
    let held = faults.hold("UpdateItem", 2);
    let mut intruder = env.browser();
    let logging_in = tokio::spawn(async move {
        let p = intruder.login("alice", PASSWORD, false).await;
        (intruder, p)
    });
    held.reached().await;
    let fields = [
        ("new_password", NEW_PASSWORD),
        ("csrf_token", form.as_str()),
    ];
    let p = owner.post("/password/reset", &fields).await;
    assert_eq!(p.status, 303, "{}", p.body);
    held.release();
    let (mut intruder, p) = logging_in.await.unwrap();
    assert_eq!(p.status, 409, "no session after the reset: {}", p.body);
    assert!(!signed_in(&intruder.get("/").await));
    assert_eq!(
        env.browser().login("alice", PASSWORD, false).await.status,
        401
    );
    assert_eq!(
        env.browser()
            .login("alice", NEW_PASSWORD, false)
            .await
            .status,
        303
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_whose_session_was_ended_meanwhile_changes_nothing() {
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    let mut intruder = env.browser();
    intruder
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut owner = env.browser();
    owner.login("alice", PASSWORD, false).await;
    let held = faults.hold("TransactWriteItems", 1);
    let changing = tokio::spawn(async move {
        let p = change(&mut intruder, PASSWORD, "intruders-choice-9").await;
        (intruder, p)
    });
    held.reached().await;
    // The owner signs the intruder's browser out meanwhile.
    let page = owner.get("/account").await;
    let theirs = page.session_ids()[1].clone();
    let fields = [("csrf_token", page.csrf()), ("session", theirs)];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    owner.post("/account/sessions/revoke", &fields).await;
    held.release();
    let (mut intruder, p) = changing.await.unwrap();
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(
        !signed_in(&intruder.get("/").await),
        "no new session for it"
    );
    assert_eq!(
        env.browser().login("alice", PASSWORD, false).await.status,
        303
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_keeps_at_most_100_live_sessions_and_a_sign_in_ends_the_oldest() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let planted = env.app.plant_sessions("alice", 99).await;
    let listed = |p: &Page| p.body.matches("name=\"session\"").count();
    assert_eq!(listed(&a.get("/account").await), 100);
    let mut b = env.browser();
    assert_eq!(b.login("alice", PASSWORD, false).await.status, 303);
    let page = a.get("/account").await;
    assert_eq!(listed(&page), 100, "still 100");
    // The oldest (the first planted) went; its cookie is anonymous.
    let ids = page.session_ids();
    assert!(!ids.contains(&planted[0].0));
    assert!(ids.contains(&planted[1].0));
    let mut oldest = env.browser();
    oldest
        .cookies
        .push(("__Host-session".into(), planted[0].1.clone()));
    assert!(!signed_in(&oldest.get("/").await));
    let mut next = env.browser();
    next.cookies
        .push(("__Host-session".into(), planted[1].1.clone()));
    assert!(signed_in(&next.get("/").await));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_brings_a_flood_from_before_the_cap_back_within_it() {
    // 250 live sessions (planted, as if from before the cap): the sign-in's
    // transaction ends 90 of the oldest, the rest past the cap go right
    // after it; 100 are left, the newest.
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let planted = env.app.plant_sessions("alice", 249).await;
    let mut b = env.browser();
    assert_eq!(b.login("alice", PASSWORD, false).await.status, 303);
    let account = env.app.account_id("alice").await.unwrap();
    assert_eq!(env.app.stored_sessions(&account).await, 100);
    let listed = b.get("/account").await.session_ids();
    assert_eq!(listed.len(), 100);
    assert!(listed.contains(&planted[248].0), "the newest stays");
    // 251 with this one: the 151 oldest end.
    assert!(
        !listed.contains(&planted[150].0),
        "the oldest past the cap go"
    );
    assert!(listed.contains(&planted[151].0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_ends_a_flood_of_sessions_within_its_request() {
    // 2,000 sessions from before the cap (the bench measures 10,000): one
    // write ends them all, and every one of their cookies is anonymous.
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    new_mail(&env, &mut seen).await;
    let planted = env.app.plant_sessions("alice", 2_000).await;
    let link = reset_link(&env, &mut seen).await;
    let p = reset_with(&mut env.browser(), &link, NEW_PASSWORD).await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/login")),
        "{}",
        p.body
    );
    for (_, cookie) in &planted {
        let mut b = env.browser();
        b.cookies.push(("__Host-session".into(), cookie.clone()));
        let page = b.get("/account").await;
        assert_eq!(page.location(), Some("/login?next=%2Faccount"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_session_item_is_anonymous_never_an_error() {
    for attribute in [
        "epoch",
        "created_at",
        "public_id",
        "member_since",
        "user_key",
    ] {
        let env = Env::start().await;
        let mut a = env.browser();
        a.register("Alice", "alice@example.com", PASSWORD).await;
        env.app.damage_sessions("alice", attribute).await;
        for path in ["/", "/account", "/logout", "/account/password"] {
            let p = a.get(path).await;
            assert!(
                matches!(p.status, 200 | 303),
                "{attribute} {path}: {}",
                p.status
            );
            assert!(!signed_in(&p), "{attribute} {path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reset_cookie_lasts_15_minutes_by_the_servers_clock() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    new_mail(&env, &mut seen).await;
    let link = reset_link(&env, &mut seen).await;
    let mut b = env.browser();
    assert_eq!(b.get(&link).await.status, 303);
    env.clock.advance(15 * 60 - 1);
    assert_eq!(b.get("/password/reset").await.status, 200);
    // The browser still sends it; the server no longer takes it.
    env.clock.advance(1);
    let p = b.get("/password/reset").await;
    assert_eq!(p.status, 410, "{}", p.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_password_resets_the_names_failed_login_count() {
    // Wrong passwords at "confirm it's you" count like failed logins; the
    // right one resets the count, as a successful login does.
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    for _ in 0..4 {
        assert_eq!(
            change(&mut a, "wrong-password-1", NEW_PASSWORD)
                .await
                .status,
            401
        );
    }
    let p = change(&mut a, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let mut b = env.browser();
    for _ in 0..4 {
        assert_eq!(
            b.login("alice", "wrong-password-2", false).await.status,
            401
        );
    }
    let p = b.login("alice", NEW_PASSWORD, false).await;
    assert_eq!(p.status, 303, "not locked: the count started again");
}
