//! Reading what the mailer produced: the outbox's `.eml` files (or SES's
//! raw data), parsed as a mail client would.

use mail_parser::MessageParser;
use shared::testing::{Env, SITE_URL};

/// One message, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub(crate) raw: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) text: String,
    pub(crate) html: String,
}

pub(crate) fn parse(bytes: &[u8]) -> Mail {
    let m = MessageParser::default()
        .parse(bytes)
        .expect("an RFC 5322 message");
    let addr = |a: Option<&mail_parser::Address>| {
        a.and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string()
    };
    Mail {
        raw: String::from_utf8_lossy(bytes).to_string(),
        from: addr(m.from()),
        to: addr(m.to()),
        subject: m.subject().unwrap_or_default().to_string(),
        text: m.body_text(0).unwrap_or_default().to_string(),
        html: m.body_html(0).unwrap_or_default().to_string(),
    }
}

impl Mail {
    /// The link to `path` in the plain-text part, as a target for the test
    /// browser (`/password/reset?token=…`); checks that it is absolute.
    pub(crate) fn link(&self, path: &str) -> String {
        let start = format!("{SITE_URL}{path}?token=");
        let at = self
            .text
            .find(&start)
            .unwrap_or_else(|| panic!("no {start} in {}", self.text));
        let url: String = self.text[at..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        assert!(self.html.contains(&url), "the HTML part has the same link");
        url[SITE_URL.len()..].to_string()
    }
}

/// Runs the mail path (stream -> mailer -> outbox) and returns the messages
/// it wrote since the last call.
pub(crate) async fn new_mail(env: &Env, seen: &mut usize) -> Vec<Mail> {
    let dead = env.pump_mail().await;
    assert!(dead.is_empty(), "dead letters: {dead:?}");
    let all = env.outbox();
    let fresh: Vec<Mail> = all[*seen..].iter().map(|(_, b)| parse(b)).collect();
    *seen = all.len();
    fresh
}
