//! One message, built once as RFC 5322 bytes with lettre: plain text and
//! an HTML alternative from the mail templates, `From` the configured
//! address (with the site's name), `To` the account, a `Date`, and a
//! `Message-ID` in the sender's domain. SES gets these bytes; locally the
//! outbox file is these bytes.

use std::time::SystemTime;

use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use tera::{Context, Tera};

use crate::crypto::random_b64;
use crate::store::MailKind;

// `MAIL_TEMPLATES`: every `templates/mail/*` as build.rs left it, by name.
include!(concat!(env!("OUT_DIR"), "/templates/mail_list.rs"));

/// The mail templates, parsed once at init (`.html` autoescaped).
pub(crate) fn templates() -> Result<Tera, tera::Error> {
    let mut tera = Tera::default();
    tera.add_raw_templates(MAIL_TEMPLATES)?;
    Ok(tera)
}

/// What a message says and to whom.
pub(crate) struct Letter<'a> {
    pub(crate) kind: MailKind,
    pub(crate) username: &'a str,
    pub(crate) to: &'a str,
    /// The absolute link, for the kinds that carry one.
    pub(crate) link: Option<&'a str>,
}

fn subject(kind: MailKind, site: &str) -> String {
    match kind {
        MailKind::Welcome => format!("Welcome to {site}: please confirm your email address"),
        MailKind::Confirm => format!("Confirm your email address for {site}"),
        MailKind::Reset => format!("Reset your {site} password"),
        MailKind::PasswordChanged => format!("Your {site} password was changed"),
        notice => match notice.notice() {
            Some((subject, _)) => format!("{site}: {subject}"),
            None => site.to_string(),
        },
    }
}

/// The message's bytes and its `Message-ID`.
pub(crate) fn build(
    tera: &Tera,
    site: &str,
    site_url: &str,
    from: &str,
    letter: &Letter<'_>,
) -> Result<(Vec<u8>, String), String> {
    let mut ctx = Context::new();
    ctx.insert("site_name", site);
    ctx.insert("site_url", site_url);
    ctx.insert("username", letter.username);
    ctx.insert("link", &letter.link);
    // Settings notices share one template, with what happened.
    let name = match letter.kind.notice() {
        Some((subject, what)) => {
            ctx.insert("subject", subject);
            ctx.insert("what", what);
            "notice"
        }
        None => letter.kind.as_str(),
    };
    let text = tera
        .render(&format!("mail/{name}.txt"), &ctx)
        .map_err(|e| e.to_string())?;
    let html = tera
        .render(&format!("mail/{name}.html"), &ctx)
        .map_err(|e| e.to_string())?;
    let from_addr = from.parse().map_err(|e| format!("MAIL_FROM: {e}"))?;
    let to_addr = letter.to.parse().map_err(|e| format!("recipient: {e}"))?;
    let domain = from.rsplit_once('@').map_or("localhost", |(_, d)| d);
    let id = format!("<{}@{domain}>", random_b64(18));
    let message = Message::builder()
        .from(Mailbox::new(Some(site.to_string()), from_addr))
        .to(Mailbox::new(Some(letter.username.to_string()), to_addr))
        .subject(subject(letter.kind, site))
        .date(SystemTime::now())
        .message_id(Some(id.clone()))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| e.to_string())?;
    Ok((message.formatted(), id))
}
