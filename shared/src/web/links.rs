//! The mail a page asks for: one-time links and notices as items of the
//! tokens table (each is a request to the mailer), and the caps that keep
//! the site from being a mail cannon: `MAIL_IP_LIMIT` reset and
//! confirmation requests per source IP per hour, and 3 such emails per
//! address per hour, the welcome email included (a registration over it
//! gets no welcome). Notices are bounded by what triggers them (3 password
//! changes an hour); the mailer holds every address to 10 emails an hour,
//! whatever asked.

use crate::app::App;
use crate::crypto::{self, LinkToken};
use crate::gateway::request::Req;
use crate::store::{MailItem, MailKind, User};

use super::Result;

/// The per-address counter: an HMAC of the case-folded address, so the
/// throttle table never holds the address.
pub(crate) fn address_counter(app: &App, email_key: &str) -> String {
    format!("mail#{}", app.keys.pseudonym(&format!("email:{email_key}")))
}

/// Counts a reset or confirmation request against the source (an IPv6
/// client as its /64, as every per-source limit) and the
/// address; `false` when either is over its hourly cap (then the request
/// gets its usual answer, and nothing is written or sent). An IP over its
/// cap does not count against the address.
pub(crate) async fn within_caps(app: &App, req: &Req, email_key: &str) -> Result<bool> {
    let now = app.now();
    let mail = &app.config.mail;
    let ip = app
        .store
        .add_failure(
            &format!("mailip#{}", super::throttle::source_key(&req.source_ip)),
            now,
            mail.window_secs,
        )
        .await?;
    if ip > mail.per_ip {
        return Ok(false);
    }
    let sent = app
        .store
        .add_failure(&address_counter(app, email_key), now, mail.window_secs)
        .await?;
    Ok(sent <= mail.per_address)
}

/// Counts a welcome email against its address; `false` once the address
/// is over its hourly cap (the registration then sends none).
pub(crate) async fn address_allows(app: &App, email_key: &str) -> Result<bool> {
    let mail = &app.config.mail;
    let counter = address_counter(app, email_key);
    let sent = app
        .store
        .add_failure(&counter, app.now(), mail.window_secs)
        .await?;
    Ok(sent <= mail.per_address)
}

/// A fresh link of `kind` for `user` (or, for an unknown address, for
/// nobody), and the item that stores it and asks for its email.
pub(crate) fn new_link(app: &App, kind: MailKind, user: Option<&User>) -> (LinkToken, MailItem) {
    let link = LinkToken::new(&app.keys);
    let now = app.now();
    let lifetime = match kind {
        MailKind::Reset => app.config.mail.reset_secs,
        _ => app.config.mail.confirm_secs,
    };
    let mut item = MailItem::new(kind, &link.hash, now, now + lifetime);
    item.nonce = Some(link.nonce.clone());
    if let Some(u) = user {
        address(&mut item, u);
    }
    (link, item)
}

/// Addresses a mail request to `user`'s account as it is now.
fn address(item: &mut MailItem, user: &User) {
    item.user_key = Some(user.key.clone());
    item.account_id = Some(user.account_id.clone());
    item.to = Some(user.email.clone());
}

/// A notice to the address on file (no link): that the password changed,
/// say. Kept a day, for the mailer's retries.
pub(crate) fn notice(app: &App, kind: MailKind, user: &User) -> MailItem {
    let now = app.now();
    let mut item = MailItem::new(kind, &crypto::random_b64(16), now, now + 24 * 60 * 60);
    address(&mut item, user);
    item
}
