//! The account lifecycle: changing the password, confirming the address,
//! deleting the account, CSRF on every new form (forgotten passwords are in
//! `reset.rs`); every message read from what the mailer wrote to the
//! outbox.

use shared::testing::*;

use crate::mailbox::{new_mail, Mail};

pub(crate) const NEW_PASSWORD: &str = "a-brand-new-passphrase-7";
pub(crate) const FORGOT: &str =
    "If that address belongs to an account, we have sent it a link to reset the password.";
pub(crate) const BAD_RESET: &str = "This reset link is invalid or has expired.";

/// Asks for a reset link for `email` from a fresh browser.
pub(crate) async fn forgot(env: &Env, email: &str) -> Page {
    let mut b = env.browser();
    let form = b.get("/password/forgot").await;
    assert_eq!(form.status, 200);
    b.post(
        "/password/forgot",
        &[("email", email), ("csrf_token", &form.csrf())],
    )
    .await
}

pub(crate) fn only(mails: Vec<Mail>, subject_has: &str) -> Mail {
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = mails.into_iter().next().unwrap();
    assert!(m.subject.contains(subject_has), "{}", m.subject);
    m
}

/// Opens a reset link and sets `password` with it.
pub(crate) async fn reset_with(b: &mut Browser, link: &str, password: &str) -> Page {
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
async fn changing_the_password_voids_reset_links_and_signs_out_other_browsers() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut other = env.browser();
    assert_eq!(other.login("alice", PASSWORD, true).await.status, 303);
    assert!(
        other.get("/").await.body.contains("Hello, Alice"),
        "signed in first"
    );
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
    assert_eq!(env.app.account_flags("alice").await, Some((true, 1)));
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
    assert!(
        other.get("/").await.body.contains("Hello, Alice"),
        "signed in first"
    );
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
