//! The lifecycle routes driven for `grants.rs`, each along the paths that
//! reach DynamoDB differently (wrong, locked out, capped, replaced, used,
//! expired, retried, counters' windows ended), and the mailer on the mail
//! they asked for: sent, dropped for an address without an account, and
//! for an account deleted meanwhile. Each account has its own source IP,
//! so the caps counted are the ones meant.

use shared::testing::*;

use crate::grants::Drive;
use crate::lifecycle::NEW_PASSWORD;
use crate::mailbox::Mail;

/// A counter's window (login and reauth: 15 minutes) and the mail caps'
/// (an hour) ended.
pub(crate) const PAST_LOGIN_WINDOW: i64 = 16 * 60;
const PAST_MAIL_WINDOW: i64 = 60 * 60 + 1;

/// The link to `path` in the newest message to `to` whose subject has
/// `subject`.
fn link(mails: &[Mail], to: &str, subject: &str, path: &str) -> String {
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to.eq_ignore_ascii_case(to) && m.subject.contains(subject))
        .unwrap_or_else(|| panic!("no {subject:?} mail to {to} in {mails:?}"));
    mail.link(path)
}

impl Drive {
    pub(crate) fn browser_at(&self, ip: &str) -> Browser {
        let mut b = self.env.browser();
        b.source_ip = ip.into();
        b
    }

    /// Runs the mail path (stream, mailer, outbox); its calls are the
    /// mailer's. Returns the messages it wrote.
    pub(crate) async fn mail(&mut self) -> Vec<Mail> {
        let mails = crate::mailbox::new_mail(&self.env, &mut self.seen).await;
        self.note_as("mailer");
        mails
    }

    /// A new account `name` (`<name>@example.com`), signed in, from `ip`.
    pub(crate) async fn account(&mut self, ip: &str, name: &str) -> Browser {
        let mut b = self.browser_at(ip);
        assert_eq!(self.register(&mut b, name).await.status, 303);
        if b.cookie("__Host-session").is_none() {
            let key = name.to_lowercase();
            assert_eq!(self.login(&mut b, &key, PASSWORD).await.status, 303);
        }
        b
    }

    async fn forgot(&mut self, ip: &str, email: &str) -> Page {
        let mut b = self.browser_at(ip);
        let token = self.get(&mut b, "/password/forgot").await.csrf();
        let fields = [("email", email), ("csrf_token", &token)];
        self.post(&mut b, "/password/forgot", &fields).await
    }

    async fn change(&mut self, b: &mut Browser, current: &str) -> Page {
        let token = self.get(b, "/account/password").await.csrf();
        let fields = [
            ("current_password", current),
            ("new_password", NEW_PASSWORD),
            ("csrf_token", &token),
        ];
        self.post(b, "/account/password", &fields).await
    }

    pub(crate) async fn delete(&mut self, b: &mut Browser, password: &str) -> Page {
        let token = self.get(b, "/account/delete").await.csrf();
        let fields = [("password", password), ("csrf_token", &token)];
        self.post(b, "/account/delete", &fields).await
    }

    async fn resend(&mut self, b: &mut Browser) -> Page {
        let token = self.get(b, "/account").await.csrf();
        self.post(b, "/account/email/resend", &[("csrf_token", &token)])
            .await
    }

    /// Opens a reset link in a fresh browser: the token into its cookie.
    async fn open_reset(&mut self, ip: &str, link: &str) -> Browser {
        let mut b = self.browser_at(ip);
        assert_eq!(self.get(&mut b, link).await.status, 303);
        b
    }

    async fn reset(&mut self, b: &mut Browser) -> Page {
        let form = self.get(b, "/password/reset").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let fields = [("new_password", NEW_PASSWORD), ("csrf_token", &form.csrf())];
        self.post(b, "/password/reset", &fields).await
    }
}

/// Each step boxed: their futures together overflow a debug build's stack.
pub(crate) async fn lifecycle(d: &mut Drive) {
    d.env.clock.advance(PAST_MAIL_WINDOW);
    d.mail().await;
    Box::pin(password_change(d)).await;
    Box::pin(forgot(d)).await;
    Box::pin(reset(d)).await;
    Box::pin(confirm(d)).await;
    Box::pin(delete(d)).await;
    Box::pin(crate::grants_two_factor::two_factor(d)).await;
    Box::pin(crate::grants_passkeys::passkeys(d)).await;
}

/// Wrong, the counters' windows ended, locked out, then right with a reset
/// link outstanding and another browser signed in.
async fn password_change(d: &mut Drive) {
    const IP: &str = "198.51.100.1";
    let mut c = d.account(IP, "Carol").await;
    let mut other = d.browser_at(IP);
    assert_eq!(d.login(&mut other, "carol", PASSWORD).await.status, 303);
    assert_eq!(d.change(&mut c, "wrong-password-1").await.status, 401);
    d.env.clock.advance(PAST_LOGIN_WINDOW);
    for _ in 0..5 {
        assert_eq!(d.change(&mut c, "wrong-password-1").await.status, 401);
    }
    assert_eq!(d.change(&mut c, PASSWORD).await.status, 429);
    d.env.clock.advance(PAST_LOGIN_WINDOW);
    assert_eq!(d.forgot(IP, "carol@example.com").await.status, 303);
    let p = d.change(&mut c, PASSWORD).await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/account")),
        "{}",
        p.body
    );
    // The link the change voided is dropped; the notice goes.
    let mails = d.mail().await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert!(
        subjects.iter().all(|s| !s.contains("reset")),
        "{subjects:?}"
    );
    assert_eq!(subjects.last(), Some(&"Your The Blog password was changed"));
}

/// Requests for an address with an account and without, a newer link
/// replacing one, over the per-IP and the per-address caps, and an hour on.
async fn forgot(d: &mut Drive) {
    const IP: &str = "198.51.100.2";
    d.account(IP, "Frank").await;
    assert_eq!(d.forgot(IP, "nobody@example.com").await.status, 303);
    assert_eq!(d.forgot(IP, "frank@example.com").await.status, 303);
    let first = link(
        &d.mail().await,
        "frank@example.com",
        "Reset",
        "/password/reset",
    );
    assert_eq!(d.forgot(IP, "frank@example.com").await.status, 303);
    // The source's fourth request this hour, then the address's fourth.
    assert_eq!(d.forgot(IP, "frank@example.com").await.status, 303);
    assert_eq!(
        d.forgot("198.51.100.3", "frank@example.com").await.status,
        303
    );
    let mails = d.mail().await;
    assert_eq!(mails.len(), 1, "one more link, the capped ones unsent");
    let second = link(&mails, "frank@example.com", "Reset", "/password/reset");
    // The replaced link is unknown; the newer one works once.
    let p = d.get(&mut d.browser_at(IP), &first).await;
    assert_eq!(p.status, 410);
    let mut b = d.open_reset(IP, &second).await;
    assert_eq!(d.reset(&mut b).await.status, 303);
    assert_eq!(d.get(&mut d.browser_at(IP), &second).await.status, 410);
    d.mail().await;
    // An hour on, the caps' counters start new windows.
    d.env.clock.advance(PAST_MAIL_WINDOW);
    assert_eq!(d.forgot(IP, "frank@example.com").await.status, 303);
    assert_eq!(d.forgot(IP, "nobody@example.com").await.status, 303);
    d.mail().await;
}

/// Two tabs on one link: one resets, the other's link is used by then;
/// a link opened after its hour.
async fn reset(d: &mut Drive) {
    const IP: &str = "198.51.100.4";
    d.account(IP, "Grace").await;
    assert_eq!(d.forgot(IP, "grace@example.com").await.status, 303);
    let url = link(
        &d.mail().await,
        "grace@example.com",
        "Reset",
        "/password/reset",
    );
    let mut one = d.open_reset(IP, &url).await;
    let mut two = d.open_reset(IP, &url).await;
    let form = d.get(&mut two, "/password/reset").await;
    assert_eq!(d.reset(&mut one).await.status, 303);
    let fields = [
        ("new_password", "another-new-one-77"),
        ("csrf_token", &form.csrf()),
    ];
    let late = d.post(&mut two, "/password/reset", &fields).await;
    assert_eq!(late.status, 410, "{}", late.body);
    assert_eq!(d.forgot(IP, "grace@example.com").await.status, 303);
    let url = link(
        &d.mail().await,
        "grace@example.com",
        "Reset",
        "/password/reset",
    );
    d.env.clock.advance(PAST_MAIL_WINDOW);
    assert_eq!(d.get(&mut d.browser_at(IP), &url).await.status, 410);
}

/// Resent links (one replacing the welcome link; over the caps; an hour
/// on), a replaced link, the valid one, used twice; then already confirmed.
async fn confirm(d: &mut Drive) {
    const IP: &str = "198.51.100.5";
    let mut e = d.account(IP, "Erin").await;
    let welcome = link(
        &d.mail().await,
        "erin@example.com",
        "Welcome",
        "/email/verify",
    );
    for _ in 0..3 {
        assert_eq!(d.resend(&mut e).await.status, 303);
    }
    // The first link was replaced before the mailer read it (dropped);
    // the third resend is over the address's cap.
    assert_eq!(d.mail().await.len(), 1);
    assert_eq!(d.get(&mut d.browser_at(IP), &welcome).await.status, 410);
    d.env.clock.advance(PAST_MAIL_WINDOW);
    assert_eq!(d.resend(&mut e).await.status, 303);
    let fresh = link(
        &d.mail().await,
        "erin@example.com",
        "Confirm",
        "/email/verify",
    );
    // Opened after a while: the session's last-seen time is written too.
    d.env.clock.advance(6 * 60);
    let p = d.get(&mut e, &fresh).await;
    assert_eq!((p.status, p.location()), (303, Some("/account")));
    assert_eq!(d.get(&mut d.browser_at(IP), &fresh).await.status, 410);
    assert_eq!(d.resend(&mut e).await.status, 303);
    assert!(d.mail().await.is_empty(), "already confirmed: nothing sent");
}

/// Wrong; the counter's window ended and a fault at the last step (503, the
/// account whole); the retry, with another browser signed in and both links
/// outstanding; then the mail asked for before, for an account now gone.
async fn delete(d: &mut Drive) {
    const IP: &str = "198.51.100.6";
    let mut h = d.account(IP, "Heidi").await;
    let mut other = d.browser_at(IP);
    assert_eq!(d.login(&mut other, "heidi", PASSWORD).await.status, 303);
    assert_eq!(d.forgot(IP, "heidi@example.com").await.status, 303);
    assert_eq!(d.delete(&mut h, "wrong-password-1").await.status, 401);
    d.env.clock.advance(PAST_LOGIN_WINDOW);
    // The deletion's one transaction fails (every attempt): nothing goes.
    let token = d.get(&mut h, "/account/delete").await.csrf();
    d.faults
        .inject("TransactWriteItems", 1..=3, Fault::ServerError);
    let fields = [("password", PASSWORD), ("csrf_token", token.as_str())];
    let failed = d.post(&mut h, "/account/delete", &fields).await;
    assert_eq!(failed.status, 503, "{}", failed.body);
    assert_eq!(d.env.app.account_flags("heidi").await, Some((false, 1)));
    // More mail requests than fit the deletion's transaction: the rest go
    // after it.
    d.env.app.plant_mail("heidi", 120).await;
    d.faults.take_grants(); // the test's own look and writes
    let p = d.delete(&mut h, PASSWORD).await;
    assert_eq!((p.status, p.location()), (303, Some("/")), "{}", p.body);
    assert!(d.env.app.account_flags("heidi").await.is_none());
    d.faults.take_grants();
    let mails = d.mail().await;
    let to_heidi = mails
        .iter()
        .filter(|m| m.to.eq_ignore_ascii_case("heidi@example.com"));
    assert_eq!(to_heidi.count(), 0, "{mails:?}");
}
