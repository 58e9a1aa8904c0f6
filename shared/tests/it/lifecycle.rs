//! The account lifecycle: forgotten passwords and reset links, changing the
//! password, confirming the address, deleting the account; every message
//! read from what the mailer wrote to the outbox.

use shared::testing::*;

use crate::mailbox::{new_mail, Mail};

const NEW_PASSWORD: &str = "a-brand-new-passphrase-7";
const FORGOT: &str =
    "If that address belongs to an account, we have sent it a link to reset the password.";
const BAD_RESET: &str = "This reset link is invalid or has expired.";

/// Asks for a reset link for `email` from a fresh browser.
async fn forgot(env: &Env, email: &str) -> Page {
    let mut b = env.browser();
    let form = b.get("/password/forgot").await;
    assert_eq!(form.status, 200);
    b.post(
        "/password/forgot",
        &[("email", email), ("csrf_token", &form.csrf())],
    )
    .await
}

fn only(mails: Vec<Mail>, subject_has: &str) -> Mail {
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = mails.into_iter().next().unwrap();
    assert!(m.subject.contains(subject_has), "{}", m.subject);
    m
}

/// Opens a reset link and sets `password` with it.
async fn reset_with(b: &mut Browser, link: &str, password: &str) -> Page {
    let open = b.get(link).await;
    assert_eq!(
        (open.status, open.location()),
        (303, Some("/password/reset")),
        "{}",
        open.body
    );
    let form = b.get("/password/reset").await;
    assert_eq!(form.status, 200, "{}", form.body);
    b.post(
        "/password/reset",
        &[("new_password", password), ("csrf_token", &form.csrf())],
    )
    .await
}

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
    assert_eq!(env.app.account_flags("alice").await, Some((true, false)));
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
async fn changing_the_password_voids_reset_links_and_signs_out_other_browsers() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut other = env.browser();
    assert_eq!(other.login("alice", PASSWORD, true).await.status, 303);
    forgot(&env, "alice@example.com").await;
    let mails = new_mail(&env, &mut seen).await;
    let link = mails.last().unwrap().link("/password/reset");
    let old_cookie = a.cookie("__Host-session").unwrap().to_string();
    let form = a.get("/account/password").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("autocomplete=\"current-password\""));
    let p = a
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("csrf_token", &form.csrf()),
            ],
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/account")),
        "{}",
        p.body
    );
    // This browser: a new session token, still signed in.
    assert_ne!(a.cookie("__Host-session").unwrap(), old_cookie);
    let account = a.get("/account").await;
    assert!(account.body.contains("Your password has been changed."));
    // The other browser is signed out; the reset link is dead.
    assert!(!other.get("/").await.body.contains("Hello, Alice"));
    assert_eq!(env.browser().get(&link).await.status, 410);
    // The address on file is told.
    let notice = only(new_mail(&env, &mut seen).await, "password was changed");
    assert_eq!(notice.to, "alice@example.com");
    assert!(notice.text.contains("/password/forgot"));
    assert_eq!(
        env.browser()
            .login("alice", NEW_PASSWORD, false)
            .await
            .status,
        303
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_current_password_is_refused_and_counts_like_a_failed_login() {
    let env = Env::start_mail(&[]).await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    for _ in 0..5 {
        let token = a.get("/account/password").await.csrf();
        let p = a
            .post(
                "/account/password",
                &[
                    ("current_password", "wrong-password-1"),
                    ("new_password", NEW_PASSWORD),
                    ("csrf_token", &token),
                ],
            )
            .await;
        assert_eq!(p.status, 401);
        assert!(p.body.contains("Incorrect password."));
        assert!(p.body.contains("aria-invalid=\"true\"") && p.body.contains("<title>Error: "));
    }
    let token = a.get("/account/delete").await.csrf();
    let p = a
        .post(
            "/account/delete",
            &[("password", PASSWORD), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(
        p.status, 429,
        "the sixth attempt, even with the right password"
    );
    assert_eq!(
        env.browser().login("alice", PASSWORD, false).await.status,
        429
    );
    assert!(env.app.password_hash("alice").await.is_some());
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
async fn the_welcome_link_confirms_the_address_once() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    assert!(a.get("/account").await.body.contains("not confirmed yet"));
    let link = only(new_mail(&env, &mut seen).await, "Welcome").link("/email/verify");
    let p = a.get(&link).await;
    assert_eq!((p.status, p.location()), (303, Some("/account")));
    let account = a.get("/account").await;
    assert!(account.body.contains("Your email address is confirmed."));
    assert!(
        account.body.contains("(confirmed)") && !account.body.contains("/account/email/resend")
    );
    let again = env.browser().get(&link).await;
    assert_eq!(again.status, 410);
    assert!(again
        .body
        .contains("This confirmation link is invalid or has expired."));
    // Anonymous: the link leads to the login page.
    let mut b = env.browser();
    b.register("Bob", "bob@example.com", PASSWORD).await;
    let link = only(new_mail(&env, &mut seen).await, "Welcome").link("/email/verify");
    let p = env.browser().get(&link).await;
    assert_eq!((p.status, p.location()), (303, Some("/login")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_confirmation_link_replaces_the_welcome_one() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let welcome = only(new_mail(&env, &mut seen).await, "Welcome").link("/email/verify");
    let token = a.get("/account").await.csrf();
    let p = a
        .post("/account/email/resend", &[("csrf_token", &token)])
        .await;
    assert_eq!((p.status, p.location()), (303, Some("/account")));
    assert!(a
        .get("/account")
        .await
        .body
        .contains("We have sent a new confirmation link."));
    let fresh = only(new_mail(&env, &mut seen).await, "Confirm").link("/email/verify");
    assert_eq!(env.browser().get(&welcome).await.status, 410);
    assert_eq!(a.get(&fresh).await.status, 303);
    assert_eq!(env.app.account_flags("alice").await, Some((true, false)));
    // Expired links too (7 days).
    let mut b = env.browser();
    b.register("Bob", "bob@example.com", PASSWORD).await;
    let link = only(new_mail(&env, &mut seen).await, "Welcome").link("/email/verify");
    env.clock.advance(7 * 24 * 60 * 60 + 1);
    assert_eq!(env.browser().get(&link).await.status, 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_account_leaves_nothing_and_its_name_and_address_are_free() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut other = env.browser();
    other.login("alice", PASSWORD, true).await;
    forgot(&env, "alice@example.com").await;
    let reset = new_mail(&env, &mut seen)
        .await
        .pop()
        .unwrap()
        .link("/password/reset");
    let form = a.get("/account/delete").await;
    assert_eq!(form.status, 200);
    let p = a
        .post(
            "/account/delete",
            &[
                ("password", "wrong-password-1"),
                ("csrf_token", &form.csrf()),
            ],
        )
        .await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("Incorrect password."));
    let p = a
        .post(
            "/account/delete",
            &[("password", PASSWORD), ("csrf_token", &form.csrf())],
        )
        .await;
    assert_eq!((p.status, p.location()), (303, Some("/")), "{}", p.body);
    assert!(a.cookie("__Host-session").is_none());
    assert!(a
        .get("/")
        .await
        .body
        .contains("Your account has been deleted."));
    assert!(!other.get("/").await.body.contains("Hello, Alice"));
    assert_eq!(env.browser().get(&reset).await.status, 410);
    assert!(env.app.account_flags("alice").await.is_none());
    assert_eq!(
        env.browser().login("alice", PASSWORD, false).await.status,
        401
    );
    // Free again, name and address alike.
    let again = env
        .browser()
        .register("alice", "ALICE@example.com", NEW_PASSWORD)
        .await;
    assert_eq!(again.status, 303, "{}", again.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_session_can_start_while_a_deletion_is_under_way() {
    let env = Env::start_mail(&[]).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    env.app.begin_deletion("alice").await;
    let p = env.browser().login("alice", PASSWORD, false).await;
    assert_eq!(p.status, 409, "{}", p.body);
    // An abandoned deletion stops holding the account after 10 minutes.
    env.clock.advance(10 * 60 + 1);
    assert_eq!(
        env.browser().login("alice", PASSWORD, false).await.status,
        303
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_new_post_refuses_a_missing_csrf_token_and_changes_nothing() {
    let env = Env::start_mail(&[]).await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let before = env.app.password_hash("alice").await;
    for (path, fields) in [
        (
            "/account/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        ),
        ("/account/delete", vec![("password", PASSWORD)]),
        ("/account/email/resend", vec![]),
        ("/password/forgot", vec![("email", "alice@example.com")]),
        ("/password/reset", vec![("new_password", NEW_PASSWORD)]),
    ] {
        let p = a.post(path, &fields).await;
        assert_eq!(p.status, 403, "{path}");
        let p = env.browser().post(path, &fields).await;
        assert!(
            matches!(p.status, 403 | 303),
            "{path} anonymous: {}",
            p.status
        );
    }
    assert_eq!(env.app.password_hash("alice").await, before);
    assert!(a.get("/").await.body.contains("Hello, Alice"));
    assert!(env.outbox().len() <= 1, "only the welcome email");
}
