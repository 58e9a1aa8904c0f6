//! An account's whole partition in the sessions table, read in one
//! strongly consistent query and filed by kind (`sessions.rs` has the
//! layout): what a page or a flow needs, and the keys a clean-up removes.

use super::browsers::{Pending, Setup, Trusted, PENDING_PREFIX, SETUP_SK, TRUSTED_PREFIX};
use super::item::{s, Item};
use super::passkeys::{Passkey, PASSKEY_PREFIX};
use super::rows::{AccountRow, ACCOUNT_SK};
use super::sessions::{key, readable, session_sk, Session, SESSION_PREFIX};
use super::usage::Counted;
use super::{send, unavailable, Result, Store};

/// Everything in an account's partition that a page or a flow needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Partition {
    pub(crate) account: Option<AccountRow>,
    /// Every stored session, ended and expired ones included.
    pub(crate) sessions: Vec<Session>,
    /// Every stored trusted browser (`Trusted::counts` says which count).
    pub(crate) trusted: Vec<Trusted>,
    pub(crate) pending: Vec<Pending>,
    pub(crate) setup: Option<Setup>,
    pub(crate) passkeys: Vec<Passkey>,
    /// The keys of every other item (the set-up secret, passkeys and
    /// their registrations, forgotten devices): they go with the account.
    rest: Vec<Item>,
}

impl Partition {
    /// The sessions that count at `now`: this epoch's, unexpired.
    pub(crate) fn live(&self, now: i64) -> Vec<&Session> {
        let Some(row) = &self.account else {
            return Vec::new();
        };
        self.sessions
            .iter()
            .filter(|s| s.is_live(row, now))
            .collect()
    }

    /// The stored sessions that no longer count.
    pub(crate) fn dead(&self, now: i64) -> Vec<&Session> {
        self.sessions
            .iter()
            .filter(|s| !self.account.as_ref().is_some_and(|row| s.is_live(row, now)))
            .collect()
    }

    /// The trusted browsers that count at `now`.
    pub(crate) fn trusted_now(&self, now: i64) -> Vec<&Trusted> {
        let Some(row) = &self.account else {
            return Vec::new();
        };
        self.trusted
            .iter()
            .filter(|t| t.counts(row.generation, now))
            .collect()
    }

    /// The keys of every stored item that no longer counts (sessions,
    /// trusted browsers and pending sign-ins of another epoch or
    /// generation, or past their time; every item once the account is
    /// gone): what a clean-up removes.
    pub(crate) fn dead_keys(&self, now: i64) -> Vec<Item> {
        let row = self.account.as_ref();
        let mut keys: Vec<Item> = self
            .dead(now)
            .iter()
            .map(|s| key(&s.account_id, &session_sk(&s.token_hash)))
            .collect();
        for t in &self.trusted {
            if !row.is_some_and(|r| t.counts(r.generation, now)) {
                keys.push(key(&t.account_id, &t.sk()));
            }
        }
        for p in &self.pending {
            if !row.is_some_and(|r| p.generation == r.generation && p.expires_at > now) {
                keys.push(key(&p.account_id, &p.sk()));
            }
        }
        if row.is_none() {
            keys.extend(self.rest.iter().cloned());
        }
        keys
    }

    /// Files one item of the partition under its kind.
    fn take(&mut self, item: &Item) {
        let sk = item.get("sk").and_then(|v| v.as_s().ok());
        match sk.map(String::as_str) {
            Some(ACCOUNT_SK) => self.account = readable("account row", AccountRow::from_item(item)),
            Some(SETUP_SK) => {
                self.setup = readable("set-up", Setup::from_item(item));
                self.keep_key(item);
            }
            Some(sk) if sk.starts_with(SESSION_PREFIX) => self
                .sessions
                .extend(readable("session", Session::from_item(item))),
            Some(sk) if sk.starts_with(TRUSTED_PREFIX) => self
                .trusted
                .extend(readable("trusted browser", Trusted::from_item(item))),
            Some(sk) if sk.starts_with(PENDING_PREFIX) => self
                .pending
                .extend(readable("pending sign-in", Pending::from_item(item))),
            Some(sk) if sk.starts_with(PASSKEY_PREFIX) => {
                self.passkeys
                    .extend(readable("passkey", Passkey::from_item(item)));
                self.keep_key(item);
            }
            _ => self.keep_key(item),
        }
    }

    fn keep_key(&mut self, item: &Item) {
        let key: Item = item
            .iter()
            .filter(|(k, _)| *k == "account_id" || *k == "sk")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if key.len() == 2 {
            self.rest.push(key);
        }
    }
}

impl Store {
    /// Everything in the account's partition, strongly consistent.
    pub(crate) async fn partition(&self, account_id: &str) -> Result<Partition> {
        let mut found = Partition::default();
        let mut start = None;
        loop {
            let request = self
                .client
                .query()
                .table_name(&self.sessions)
                .key_condition_expression("account_id = :a")
                .expression_attribute_values(":a", s(account_id))
                .consistent_read(true)
                .set_exclusive_start_key(start);
            let out = send!(self, Read, request).map_err(unavailable)?;
            for item in out.items() {
                found.take(item);
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(found),
            }
        }
    }
}
