//! What an account's partition holds for its browsers besides sessions:
//!
//! - `trusted#<SHA-256 of the token>`: a trusted browser, which skips the
//!   code at sign-in (never the password) for 30 days, while the account's
//!   generation is the one it was trusted under;
//! - `pending#<SHA-256 of the token>`: a sign-in waiting for its code (5
//!   minutes, 5 wrong codes), with what the sign-in asked for;
//! - `totp-setup`: the authenticator secret shown on the set-up page,
//!   sealed, for 10 minutes;
//! - `forgot#<device id>`: a device cookie its browser asked to forget,
//!   until the cookie's own year ends.
//!
//! Each has `expires_at` (the TTL attribute; expiry is checked on read).

use aws_sdk_dynamodb::types::AttributeValue;

use super::item::{get_n, get_s, n, s, Item};
use super::sessions::key;
use super::tx::{Cond, Tx};
use super::usage::Counted;
use super::users::flag;
use super::{send, unavailable, Result, Store};

pub(crate) const TRUSTED_PREFIX: &str = "trusted#";
pub(crate) const PENDING_PREFIX: &str = "pending#";
pub(crate) const SETUP_SK: &str = "totp-setup";
const FORGOTTEN_PREFIX: &str = "forgot#";

/// A browser trusted to skip the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trusted {
    pub(crate) account_id: String,
    pub(crate) token_hash: String,
    /// Names it in the forget form; unrelated to the token.
    pub(crate) public_id: String,
    /// The account's generation when it was trusted.
    pub(crate) generation: i64,
    pub(crate) created_at: i64,
    pub(crate) last_used: i64,
    pub(crate) expires_at: i64,
    pub(crate) user_agent: String,
}

/// A sign-in whose password was right, waiting for its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    pub(crate) account_id: String,
    pub(crate) token_hash: String,
    pub(crate) user_key: String,
    /// The account's generation when the password was checked.
    pub(crate) generation: i64,
    pub(crate) remember: bool,
    /// The safe `next` the login form carried.
    pub(crate) next: Option<String>,
    /// Codes tried so far, counted before each is checked (5 end it).
    pub(crate) attempts: i64,
    /// The throttle counter that counted the password (the username's or
    /// the device's): the sign-in resets it.
    pub(crate) counter: String,
    pub(crate) expires_at: i64,
}

/// The authenticator secret a set-up page showed, sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setup {
    pub(crate) sealed: String,
    pub(crate) expires_at: i64,
}

impl Trusted {
    pub(crate) fn sk(&self) -> String {
        format!("{TRUSTED_PREFIX}{}", self.token_hash)
    }

    pub(super) fn to_item(&self) -> Item {
        let mut item = key(&self.account_id, &self.sk());
        item.extend([
            ("public_id".into(), s(&self.public_id)),
            ("generation".into(), n(self.generation)),
            ("created_at".into(), n(self.created_at)),
            ("last_used".into(), n(self.last_used)),
            ("expires_at".into(), n(self.expires_at)),
            ("user_agent".into(), s(&self.user_agent)),
        ]);
        item
    }

    pub(super) fn from_item(item: &Item) -> Result<Self> {
        let sk = get_s(item, "sk")?;
        Ok(Trusted {
            account_id: get_s(item, "account_id")?,
            token_hash: hash_of(&sk, TRUSTED_PREFIX)?,
            public_id: get_s(item, "public_id")?,
            generation: get_n(item, "generation")?,
            created_at: get_n(item, "created_at")?,
            last_used: get_n(item, "last_used")?,
            expires_at: get_n(item, "expires_at")?,
            user_agent: get_s(item, "user_agent").unwrap_or_default(),
        })
    }

    /// Whether it skips the code for an account of `generation` at `now`.
    pub(crate) fn counts(&self, generation: i64, now: i64) -> bool {
        self.generation == generation && self.expires_at > now
    }
}

impl Pending {
    pub(crate) fn sk(&self) -> String {
        format!("{PENDING_PREFIX}{}", self.token_hash)
    }

    pub(super) fn to_item(&self) -> Item {
        let mut item = key(&self.account_id, &self.sk());
        item.extend([
            ("user_key".into(), s(&self.user_key)),
            ("generation".into(), n(self.generation)),
            ("remember".into(), AttributeValue::Bool(self.remember)),
            ("attempts".into(), n(self.attempts)),
            ("counter".into(), s(&self.counter)),
            ("expires_at".into(), n(self.expires_at)),
        ]);
        if let Some(next) = &self.next {
            item.insert("next".into(), s(next));
        }
        item
    }

    pub(super) fn from_item(item: &Item) -> Result<Self> {
        let sk = get_s(item, "sk")?;
        Ok(Pending {
            account_id: get_s(item, "account_id")?,
            token_hash: hash_of(&sk, PENDING_PREFIX)?,
            user_key: get_s(item, "user_key")?,
            generation: get_n(item, "generation")?,
            remember: flag(item, "remember"),
            next: get_s(item, "next").ok(),
            attempts: get_n(item, "attempts")?,
            counter: get_s(item, "counter")?,
            expires_at: get_n(item, "expires_at")?,
        })
    }
}

impl Setup {
    pub(super) fn from_item(item: &Item) -> Result<Self> {
        Ok(Setup {
            sealed: get_s(item, "sealed")?,
            expires_at: get_n(item, "expires_at")?,
        })
    }
}

fn hash_of(sk: &str, prefix: &str) -> Result<String> {
    sk.strip_prefix(prefix)
        .map(str::to_string)
        .ok_or_else(|| super::item::malformed("sk"))
}

impl Store {
    /// Counts one more code tried on a pending sign-in, before the code
    /// is looked at, atomically: of any number of parallel tries at most
    /// `max` are ever checked. `None`: it is gone, or had its `max`.
    pub(crate) async fn pending_attempt(&self, p: &Pending, max: i64) -> Result<Option<i64>> {
        let request = self
            .client
            .update_item()
            .table_name(&self.sessions)
            .set_key(Some(key(&p.account_id, &p.sk())))
            .update_expression("ADD attempts :one")
            .condition_expression("attribute_exists(sk) AND attempts < :max")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew);
        match send!(self, Write, request) {
            Ok(out) => Ok(out
                .attributes()
                .and_then(|a| a.get("attempts"))
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())),
            Err(e) if super::is_conditional_failure(&e) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Ends a pending sign-in (5 wrong codes, or the account changed).
    pub(crate) async fn end_pending(&self, p: &Pending) -> Result<()> {
        let request = self
            .client
            .delete_item()
            .table_name(&self.sessions)
            .set_key(Some(key(&p.account_id, &p.sk())));
        send!(self, Write, request).map(|_| ()).map_err(unavailable)
    }

    /// Stores the secret a set-up page shows (replacing any earlier one).
    pub(crate) async fn put_setup(&self, account_id: &str, setup: &Setup) -> Result<()> {
        let mut item = key(account_id, SETUP_SK);
        item.extend([
            ("sealed".into(), s(&setup.sealed)),
            ("expires_at".into(), n(setup.expires_at)),
        ]);
        let request = self
            .client
            .put_item()
            .table_name(&self.sessions)
            .set_item(Some(item));
        send!(self, Write, request).map(|_| ()).map_err(unavailable)
    }

    /// Whether a device cookie's browser asked to forget it.
    pub(crate) async fn device_forgotten(
        &self,
        account_id: &str,
        device_id: &str,
        now: i64,
    ) -> Result<bool> {
        let request = self
            .client
            .get_item()
            .table_name(&self.sessions)
            .set_key(Some(key(
                account_id,
                &format!("{FORGOTTEN_PREFIX}{device_id}"),
            )))
            .consistent_read(true);
        let out = send!(self, Read, request).map_err(unavailable)?;
        let until = out.item().and_then(|i| get_n(i, "expires_at").ok());
        Ok(until.is_some_and(|t| t > now))
    }
}

impl Tx<'_> {
    pub(crate) fn put_trusted(self, t: &Trusted) -> Result<Self> {
        let table = self.store.sessions.clone();
        self.put(&table, t.to_item(), None)
    }

    /// A trusted browser used again: its last use, only while it stands.
    pub(crate) fn touch_trusted(self, t: &Trusted, now: i64) -> Result<Self> {
        let table = self.store.sessions.clone();
        let cond = Cond {
            expr: "attribute_exists(sk)",
            values: vec![(":now", n(now))],
        };
        self.update(
            &table,
            key(&t.account_id, &t.sk()),
            "SET last_used = :now",
            cond,
            &[],
        )
    }

    pub(crate) fn delete_trusted(self, t: &Trusted) -> Result<Self> {
        self.delete_trusted_by_hash(&t.account_id, &t.token_hash)
    }

    /// Forgets the trusted browser whose token hashes to `token_hash`.
    pub(crate) fn delete_trusted_by_hash(self, account_id: &str, token_hash: &str) -> Result<Self> {
        let table = self.store.sessions.clone();
        let sk = format!("{TRUSTED_PREFIX}{token_hash}");
        self.delete(&table, key(account_id, &sk), None)
    }

    pub(crate) fn put_pending(self, p: &Pending) -> Result<Self> {
        let table = self.store.sessions.clone();
        self.put(&table, p.to_item(), None)
    }

    /// Uses a pending sign-in up: only if it is still there (of two tabs
    /// with one code, one gets in).
    pub(crate) fn use_pending(self, p: &Pending) -> Result<Self> {
        let table = self.store.sessions.clone();
        let cond = Cond {
            expr: "attribute_exists(sk)",
            values: Vec::new(),
        };
        self.delete(&table, key(&p.account_id, &p.sk()), Some(cond))
    }

    /// Uses the set-up secret up (it turned two-factor on).
    pub(crate) fn use_setup(self, account_id: &str) -> Result<Self> {
        let table = self.store.sessions.clone();
        let cond = Cond {
            expr: "attribute_exists(sk)",
            values: Vec::new(),
        };
        self.delete(&table, key(account_id, SETUP_SK), Some(cond))
    }

    /// Forgets a device cookie server-side until `until` (its year's end).
    /// An update, never on an item with an epoch (a session or the row):
    /// the log-out function has no `PutItem`, so it cannot make a session.
    pub(crate) fn forget_device(
        self,
        account_id: &str,
        device_id: &str,
        until: i64,
    ) -> Result<Self> {
        let table = self.store.sessions.clone();
        let item = key(account_id, &format!("{FORGOTTEN_PREFIX}{device_id}"));
        let cond = Cond {
            expr: "attribute_not_exists(epoch)",
            values: vec![(":until", n(until))],
        };
        self.update(&table, item, "SET expires_at = :until", cond, &[])
    }
}
