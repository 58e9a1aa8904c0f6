//! Forgotten passwords: the reset link from the outbox, used once, expiring,
//! replaced by a newer request, racing tabs; the same answer for addresses
//! with and without an account; the mail caps.

use shared::testing::*;

use crate::lifecycle::{forgot, only, reset_with, BAD_RESET, FORGOT, NEW_PASSWORD};
use crate::mailbox::new_mail;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_through_the_mailed_link_once() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    only(new_mail(&env, &mut seen).await, "Welcome");
    let p = forgot(&env, "ALICE@example.com").await;
    assert_eq!((p.status, p.location()), (303, Some("/login")));
    let mail = only(new_mail(&env, &mut seen).await, "Reset");
    assert_eq!(mail.to, "alice@example.com");
    let link = mail.link("/password/reset");
    let mut b = env.browser();
    let open = b.get(&link).await;
    // The token leaves the URL at once, into a cookie; never in a Location.
    let token = link.split("token=").nth(1).unwrap();
    assert!(!open.location().unwrap().contains(token));
    assert!(open
        .set_cookie("__Host-reset")
        .is_some_and(|c| c.contains("Max-Age=900")));
    let form = b.get("/password/reset").await;
    assert!(form.body.contains("Alice") && form.body.contains("autocomplete=\"new-password\""));
    let done = b
        .post(
            "/password/reset",
            &[("new_password", NEW_PASSWORD), ("csrf_token", &form.csrf())],
        )
        .await;
    assert_eq!((done.status, done.location()), (303, Some("/login")));
    assert!(!done.location().unwrap().contains(token));
    assert!(b
        .get("/login")
        .await
        .body
        .contains("Your password has been reset. Please log in."));
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
    // Used up: a second use gets the invalid-link page.
    let again = env.browser().get(&link).await;
    assert_eq!(again.status, 410);
    assert!(again.body.contains(BAD_RESET) && again.body.contains("href=\"/password/forgot\""));
    // The link reached the address: it is confirmed; the notice went too.
    assert_eq!(env.app.account_flags("alice").await, Some((true, 2)));
    only(new_mail(&env, &mut seen).await, "password was changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_expires_after_an_hour() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    forgot(&env, "alice@example.com").await;
    let mail = new_mail(&env, &mut seen).await.pop().unwrap();
    let link = mail.link("/password/reset");
    let mut b = env.browser();
    assert_eq!(b.get(&link).await.status, 303);
    env.clock.advance(60 * 60 + 1);
    assert_eq!(env.browser().get(&link).await.status, 410);
    // Nor does the cookie taken before the hour ended still work.
    let p = b.get("/password/reset").await;
    assert_eq!(p.status, 410);
    assert!(p.body.contains(BAD_RESET));
    // A malformed token is a 400.
    assert_eq!(
        env.browser().get("/password/reset?token=abc").await.status,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_request_replaces_the_earlier_link() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    new_mail(&env, &mut seen).await;
    forgot(&env, "alice@example.com").await;
    let first = only(new_mail(&env, &mut seen).await, "Reset").link("/password/reset");
    forgot(&env, "alice@example.com").await;
    let second = only(new_mail(&env, &mut seen).await, "Reset").link("/password/reset");
    assert_ne!(first, second);
    assert_eq!(env.browser().get(&first).await.status, 410);
    let mut b = env.browser();
    assert_eq!(reset_with(&mut b, &second, NEW_PASSWORD).await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_submitting_one_reset_link_exactly_one_succeeds() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    forgot(&env, "alice@example.com").await;
    let link = new_mail(&env, &mut seen)
        .await
        .pop()
        .unwrap()
        .link("/password/reset");
    let mut tabs = [env.browser(), env.browser()];
    let mut tokens = Vec::new();
    for t in tabs.iter_mut() {
        assert_eq!(t.get(&link).await.status, 303);
        tokens.push(t.get("/password/reset").await.csrf());
    }
    let [t1, t2] = &mut tabs;
    let f1 = [
        ("new_password", "first-tab-password-1"),
        ("csrf_token", tokens[0].as_str()),
    ];
    let f2 = [
        ("new_password", "second-tab-password-2"),
        ("csrf_token", tokens[1].as_str()),
    ];
    let (a, b) = tokio::join!(
        t1.post("/password/reset", &f1),
        t2.post("/password/reset", &f2)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [303, 410], "{} / {}", a.body, b.body);
    let won = if a.status == 303 {
        "first-tab-password-1"
    } else {
        "second-tab-password-2"
    };
    assert_eq!(env.browser().login("alice", won, false).await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_answers_alike_for_known_and_unknown_addresses() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    new_mail(&env, &mut seen).await;
    env.app.usage();
    let known = forgot(&env, "alice@example.com").await;
    let known_usage = env.app.usage();
    let unknown = forgot(&env, "nobody@example.com").await;
    let unknown_usage = env.app.usage();
    assert_eq!(
        (known.status, known.location()),
        (unknown.status, unknown.location())
    );
    assert_eq!(known.body, unknown.body);
    let flash = |p: &Page| p.set_cookie("__Host-flash").cloned();
    assert_eq!(flash(&known), flash(&unknown), "the same notice");
    assert_eq!(known_usage, unknown_usage, "the same calls and units");
    let mails = new_mail(&env, &mut seen).await;
    assert_eq!(mails.len(), 1, "nothing is sent to an unknown address");
    assert_eq!(mails[0].to, "alice@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_says_the_neutral_sentence_on_the_login_page() {
    let env = Env::start_mail(&[]).await;
    let mut b = env.browser();
    let form = b.get("/password/forgot").await;
    assert!(form.body.contains("autocomplete=\"email\""));
    let p = b
        .post(
            "/password/forgot",
            &[
                ("email", "nobody@example.com"),
                ("csrf_token", &form.csrf()),
            ],
        )
        .await;
    assert_eq!(p.location(), Some("/login"));
    assert!(b.get("/login").await.body.contains(FORGOT));
    let p = b
        .post(
            "/password/forgot",
            &[("email", "not an address"), ("csrf_token", &form.csrf())],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("aria-invalid=\"true\"") && p.body.contains("not an address"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_three_emails_per_address_per_hour_welcome_included() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut mails = new_mail(&env, &mut seen).await.len();
    for _ in 0..4 {
        let p = forgot(&env, "alice@example.com").await;
        assert_eq!(
            p.location(),
            Some("/login"),
            "the same answer, capped or not"
        );
        mails += new_mail(&env, &mut seen).await.len();
    }
    assert_eq!(mails, 3, "welcome + 2 resets; the rest capped");
    env.clock.advance(60 * 60 + 1);
    forgot(&env, "alice@example.com").await;
    assert_eq!(new_mail(&env, &mut seen).await.len(), 1, "a new hour");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_ip_limit_caps_requests_from_one_source() {
    let env = Env::start_mail(&[("MAIL_IP_LIMIT", "2")]).await;
    let mut seen = 0;
    for name in ["Ann", "Ben", "Cat"] {
        env.browser()
            .register(name, &format!("{name}@example.com"), PASSWORD)
            .await;
    }
    new_mail(&env, &mut seen).await;
    for name in ["Ann", "Ben", "Cat"] {
        forgot(&env, &format!("{name}@example.com")).await;
    }
    let mails = new_mail(&env, &mut seen).await;
    assert_eq!(
        mails.len(),
        2,
        "the third request from this IP writes nothing"
    );
}
