//! The mailer: a Lambda function fed by the tokens table's stream (not an
//! HTTP route). Each new item is a request for one email; the mailer reads
//! the account it is for, checks that it is still the account the request
//! was made for (its id: not a new account that took a freed name), that
//! the link is still the account's newest and the address still its own,
//! recovers the link's token from the stored nonce with the mail key,
//! builds the message once (`message.rs`) and sends it (`send.rs`).
//!
//! - A request for an address without an account, for a deleted account or
//!   a replaced link is dropped without sending.
//! - No address gets more than `PER_ADDRESS_HOURLY` emails an hour,
//!   whatever asked for them: past that, requests are dropped.
//! - Each request is marked before its one attempt (a conditional write),
//!   so a batch that Lambda retries whole never sends one twice.
//! - SES's permanent refusals are logged and dropped; a temporary failure
//!   takes the mark back and is reported as a partial batch failure, so
//!   that Lambda retries from that record (and, after its retries, hands
//!   it to the dead-letter queue). A record is not started without time
//!   left to finish it: the rest are handed back the same way.

mod event;
mod message;
mod send;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::crypto::{Keys, LinkToken};
use crate::store::{self, MailItem, MailKind, Recipient, Store};
use crate::validate;

pub use event::{BatchResponse, ItemFailure};

/// Emails one address may get in an hour, whatever asked for them.
pub(crate) const PER_ADDRESS_HOURLY: u32 = 10;
/// The longest one record can take: each DynamoDB call and the SES call
/// give up after 5 s, and there are at most ten (the address's counter
/// alone may take six under contention). A record after the first is not
/// started with less time left; the first always is (the function's
/// timeout, 120 s, covers it).
const RECORD_BUDGET: Duration = Duration::from_secs(55);

pub struct Mailer {
    config: Config,
    store: Store,
    keys: Keys,
    templates: tera::Tera,
    sender: send::Sender,
    clock: Arc<dyn Clock>,
    site_url: String,
}

/// What became of one mail request.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Sent,
    Dropped(&'static str),
    /// SES refused it for good (logged with the reason).
    Refused(String),
}

impl Mailer {
    /// Built once per cold start: the clients, keys and parsed templates.
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> Result<Self, crate::InitError> {
        let site_url = match (&config.mail.site_url, &config.mail.outbox) {
            (Some(u), _) => u.clone(),
            (None, Some(_)) => "http://localhost:9000".into(),
            (None, None) => return Err(ConfigError::Missing("SITE_URL").into()),
        };
        Ok(Mailer {
            store: Store::new(store::client(&config)?, &config),
            keys: config.keys(),
            templates: message::templates()?,
            sender: send::Sender::new(&config)?,
            clock,
            site_url,
            config,
        })
    }

    /// The same mailer reading through `store` (the tests' SDK client,
    /// with their interceptors): `testing::mailer_with_sdk`.
    #[cfg(feature = "test-util")]
    pub(crate) fn use_store(&mut self, store: Store) {
        self.store = store;
    }

    pub(crate) fn from_env() -> Result<Self, crate::InitError> {
        Self::new(Config::from_env()?, Arc::new(SystemClock))
    }

    /// Handles one stream event with no deadline (tests, tools).
    pub async fn handle_json(&self, json: serde_json::Value) -> BatchResponse {
        self.handle(json, None).await
    }

    /// Handles one stream event; never fails as a whole. Records are taken
    /// in order and the first that cannot be sent now (or, after the first,
    /// that there is no time left for before `deadline`) is reported, with
    /// nothing after it attempted: Lambda retries a stream from the first
    /// failure, so what follows will come again.
    pub async fn handle(
        &self,
        json: serde_json::Value,
        deadline: Option<SystemTime>,
    ) -> BatchResponse {
        let Ok(event) = serde_json::from_value::<event::StreamEvent>(json) else {
            tracing::warn!("not a DynamoDB stream event");
            return BatchResponse::default();
        };
        for (i, record) in event.records.iter().enumerate() {
            let item = record
                .dynamodb
                .new_image
                .as_ref()
                .and_then(|img| MailItem::from_item(&event::image(img)));
            let (true, Some(item)) = (record.event_name == "INSERT", item) else {
                continue;
            };
            let left = deadline.map(|d| d.duration_since(SystemTime::now()).unwrap_or_default());
            let outcome = match left {
                Some(left) if i > 0 && left < RECORD_BUDGET => {
                    Err("no time left in this invocation".into())
                }
                _ => self.deliver(&item).await,
            };
            match outcome {
                Ok(outcome) => self.log(&item, &outcome),
                Err(e) => {
                    tracing::error!(error = %e, kind = item.kind.as_str(), "mail not sent: will be retried");
                    return BatchResponse {
                        batch_item_failures: vec![ItemFailure {
                            item_identifier: record.dynamodb.sequence_number.clone(),
                        }],
                    };
                }
            }
        }
        BatchResponse::default()
    }

    fn log(&self, item: &MailItem, outcome: &Outcome) {
        let user = item.user_key.as_deref().map(|k| self.keys.pseudonym(k));
        let user = user.unwrap_or_default();
        let kind = item.kind.as_str();
        match outcome {
            Outcome::Sent => {
                tracing::info!(target: "audit", event = "mail_sent", kind, user, "audit")
            }
            Outcome::Dropped(why) => {
                tracing::info!(target: "audit", event = "mail_dropped", kind, user, why, "audit")
            }
            Outcome::Refused(why) => {
                tracing::error!(target: "audit", event = "mail_refused", kind, user, why = %why, "audit")
            }
        }
    }

    /// Whether the request is still wanted, for whom, and its link.
    async fn check(
        &self,
        item: &MailItem,
    ) -> Result<Result<(Recipient, Option<String>), &'static str>, String> {
        if item.expires_at <= self.clock.now() {
            return Ok(Err("expired"));
        }
        let Some(user_key) = &item.user_key else {
            return Ok(Err("no account has this address"));
        };
        let found = self.store.get_recipient(user_key).await;
        let Some(r) = found.map_err(|e| e.to_string())? else {
            return Ok(Err("account gone"));
        };
        if item.account_id.as_deref() != Some(r.account_id.as_str()) {
            return Ok(Err("account gone (its name was taken again)"));
        }
        let same = |to: &str| validate::email_key(to) == validate::email_key(&r.email);
        if !item.to.as_deref().is_none_or(same) {
            return Ok(Err("address changed"));
        }
        Ok(self.link(item, &r).map(|link| (r, link)))
    }

    async fn deliver(&self, item: &MailItem) -> Result<Outcome, String> {
        let (r, link) = match self.check(item).await? {
            Ok(wanted) => wanted,
            Err(why) => return Ok(Outcome::Dropped(why)),
        };
        let claim = crate::crypto::random_b64(16);
        if !self
            .store
            .mark_sending(&item.pk, &claim)
            .await
            .map_err(|e| e.to_string())?
        {
            return Ok(Outcome::Dropped("sent already, or gone"));
        }
        if !self.address_allows(&r.email).await? {
            return Ok(Outcome::Dropped("the address had its emails for this hour"));
        }
        let letter = message::Letter {
            kind: item.kind,
            username: &r.username,
            to: &r.email,
            link: link.as_deref(),
        };
        let site = &self.config.site_name;
        let from = &self.config.mail.from;
        let (bytes, id) = message::build(&self.templates, site, &self.site_url, from, &letter)?;
        match self.sender.send(&r.email, item.kind.as_str(), bytes).await {
            Ok(()) => {}
            Err(send::SendError::Permanent(why)) => return Ok(Outcome::Refused(why)),
            Err(send::SendError::Temporary(why)) => {
                if let Err(e) = self.store.unmark_sending(&item.pk, &claim).await {
                    tracing::error!(error = %e, "mail mark not taken back: its retry will drop it");
                }
                return Err(why);
            }
        }
        if let (send::Sender::Outbox(dir), Some(link)) = (&self.sender, &link) {
            println!(
                "mail: {} for {} in {}: {link}",
                item.kind.as_str(),
                r.email,
                dir.display()
            );
        }
        tracing::debug!(message_id = %id, "mail sent");
        Ok(Outcome::Sent)
    }

    /// Counts one more email to `email` this hour; `false` past the cap.
    async fn address_allows(&self, email: &str) -> Result<bool, String> {
        let name = format!("email:{}", validate::email_key(email));
        let counter = format!("mailto#{}", self.keys.pseudonym(&name));
        let count = self
            .store
            .add_failure(&counter, self.clock.now(), 60 * 60)
            .await
            .map_err(|e| e.to_string())?;
        Ok(count <= PER_ADDRESS_HOURLY)
    }

    /// The absolute link a message carries, if its kind has one and it is
    /// still the account's newest.
    fn link(&self, item: &MailItem, r: &Recipient) -> Result<Option<String>, &'static str> {
        let (current, path) = match item.kind {
            MailKind::Reset => (&r.reset_hash, "/password/reset"),
            MailKind::Welcome | MailKind::Confirm => (&r.confirm_hash, "/email/verify"),
            _ => return Ok(None),
        };
        if current.as_deref() != Some(item.hash()) {
            return Err("link replaced or used");
        }
        let nonce = item.nonce.as_deref().ok_or("no nonce")?;
        let token = LinkToken::recover(&self.keys, nonce, item.hash()).ok_or("key mismatch")?;
        Ok(Some(format!("{}{path}?token={token}", self.site_url)))
    }
}
