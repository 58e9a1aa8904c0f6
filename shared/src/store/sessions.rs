//! Signed-in browsers, one partition per account (`account_id`, the
//! account's random id, never its name), sorted by `sk`:
//!
//! - `account`: the account's row (`rows.rs`): who it is, its sessions'
//!   `epoch`, its generation;
//! - `session#<SHA-256 of the token>`: one per signed-in browser, with the
//!   epoch it was issued under, and how it signed in;
//! - trusted browsers, pending sign-ins, the set-up secret, forgotten
//!   devices (`browsers.rs`).
//!
//! A session counts only while its epoch is the row's. Ending every
//! session of an account (a password change or reset, "sign out everywhere
//! else") is one conditional write that moves the epoch on, however many
//! sessions there are; deleting the account deletes the row, and with it
//! every session. The dead items are cleaned up after, best effort, and by
//! TTL. A signed-in page reads the session and the row together: one
//! `BatchGetItem`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::item::{get_n, get_s, n, s, Item};
use super::rows::{AccountRow, ACCOUNT_SK};
use super::tx::{Cond, Tx};
use super::usage::Counted;
use super::{bug, send, unavailable, unless_gone, Result, Store};

pub(super) const SESSION_PREFIX: &str = "session#";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) account_id: String,
    pub(crate) token_hash: String,
    /// Shown on /account to end this session; unrelated to the token.
    pub(crate) public_id: String,
    /// The account's epoch when the session was issued.
    pub(crate) epoch: i64,
    pub(crate) created_at: i64,
    pub(crate) last_seen: i64,
    pub(crate) expires_at: i64,
    pub(crate) remember: bool,
    pub(crate) user_agent: String,
    pub(crate) source_ip: String,
    pub(crate) method: Method,
}

/// How a session signed in, as `/account` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Password,
    PasswordAndCode,
    PasswordAndRecoveryCode,
    TrustedBrowser,
    Passkey,
}

impl Method {
    const ALL: [Method; 5] = [
        Method::Password,
        Method::PasswordAndCode,
        Method::PasswordAndRecoveryCode,
        Method::TrustedBrowser,
        Method::Passkey,
    ];

    /// What the sessions list says (and the item stores).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::PasswordAndCode => "password + code",
            Method::PasswordAndRecoveryCode => "password + recovery code",
            Method::TrustedBrowser => "password (trusted browser)",
            Method::Passkey => "passkey",
        }
    }

    fn parse(v: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.label() == v)
    }
}

pub(crate) fn key(account_id: &str, sk: &str) -> Item {
    HashMap::from([("account_id".into(), s(account_id)), ("sk".into(), s(sk))])
}

pub(super) fn session_sk(token_hash: &str) -> String {
    format!("{SESSION_PREFIX}{token_hash}")
}

impl Session {
    /// Whether the session counts at `now` for the account as `row` says.
    pub(crate) fn is_live(&self, row: &AccountRow, now: i64) -> bool {
        self.account_id == row.account_id && self.epoch == row.epoch && self.expires_at > now
    }

    pub(super) fn to_item(&self) -> Item {
        let mut item = key(&self.account_id, &session_sk(&self.token_hash));
        item.extend([
            ("public_id".into(), s(&self.public_id)),
            ("epoch".into(), n(self.epoch)),
            ("created_at".into(), n(self.created_at)),
            ("last_seen".into(), n(self.last_seen)),
            ("expires_at".into(), n(self.expires_at)),
            ("remember".into(), AttributeValue::Bool(self.remember)),
            ("user_agent".into(), s(&self.user_agent)),
            ("source_ip".into(), s(&self.source_ip)),
            ("method".into(), s(self.method.label())),
        ]);
        item
    }

    pub(super) fn from_item(item: &Item) -> Result<Self> {
        let sk = get_s(item, "sk")?;
        let token_hash = sk
            .strip_prefix(SESSION_PREFIX)
            .ok_or_else(|| super::item::malformed("sk"))?;
        Ok(Session {
            account_id: get_s(item, "account_id")?,
            token_hash: token_hash.to_string(),
            public_id: get_s(item, "public_id")?,
            epoch: get_n(item, "epoch")?,
            created_at: get_n(item, "created_at")?,
            last_seen: get_n(item, "last_seen")?,
            expires_at: get_n(item, "expires_at")?,
            remember: super::users::flag(item, "remember"),
            user_agent: get_s(item, "user_agent").unwrap_or_default(),
            source_ip: get_s(item, "source_ip").unwrap_or_default(),
            // Sessions from before the field signed in with a password.
            method: get_s(item, "method")
                .ok()
                .and_then(|m| Method::parse(&m))
                .unwrap_or(Method::Password),
        })
    }
}

/// A stored item read back: one that does not parse is left out and
/// logged (a partial item means "not signed in", never an error page).
pub(super) fn readable<T>(what: &str, parsed: Result<T>) -> Option<T> {
    parsed
        .map_err(|e| tracing::warn!(error = %e, "unreadable {what} item ignored"))
        .ok()
}

impl Store {
    /// The session a cookie names and its account's row, in one strongly
    /// consistent `BatchGetItem`, so a sign-out anywhere takes effect on
    /// the very next request.
    pub(crate) async fn signed_in(
        &self,
        account_id: &str,
        token_hash: &str,
    ) -> Result<(Option<AccountRow>, Option<Session>)> {
        let keys = vec![
            key(account_id, &session_sk(token_hash)),
            key(account_id, ACCOUNT_SK),
        ];
        let wanted = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(bug("session keys"))?;
        let items = self
            .batch_get(HashMap::from([(self.sessions.clone(), wanted)]))
            .await?;
        let (mut row, mut session) = (None, None);
        for (_, item) in items {
            if item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some(ACCOUNT_SK)
            {
                row = readable("account row", AccountRow::from_item(&item));
            } else {
                session = readable("session", Session::from_item(&item));
            }
        }
        Ok((row, session))
    }

    /// Records activity; does nothing if the session was ended meanwhile.
    pub(crate) async fn touch_session(&self, s: &Session) -> Result<()> {
        let request = self
            .client
            .update_item()
            .table_name(&self.sessions)
            .set_key(Some(key(&s.account_id, &session_sk(&s.token_hash))))
            .update_expression("SET last_seen = :now, expires_at = :exp")
            .condition_expression("attribute_exists(sk)")
            .expression_attribute_values(":now", n(s.last_seen))
            .expression_attribute_values(":exp", n(s.expires_at));
        unless_gone(send!(self, Write, request))
    }

    /// Stores sessions as they are, in batches (tests and tools).
    #[cfg(feature = "test-util")]
    pub(crate) async fn plant_sessions(&self, sessions: &[Session]) -> usize {
        let items = sessions.iter().map(Session::to_item).collect();
        self.batch_put(&self.sessions, items).await
    }

    /// Removes `attribute` from every item of a partition (tests: partial
    /// items).
    #[cfg(feature = "test-util")]
    pub(crate) async fn remove_attribute(&self, account_id: &str, attribute: &str) -> Result<()> {
        let partition = self.partition(account_id).await?;
        let mut keys = vec![key(account_id, ACCOUNT_SK)];
        keys.extend(
            partition
                .sessions
                .iter()
                .map(|s| key(account_id, &session_sk(&s.token_hash))),
        );
        for k in keys {
            let request = self
                .client
                .update_item()
                .table_name(&self.sessions)
                .set_key(Some(k))
                .update_expression("REMOVE #a")
                .expression_attribute_names("#a", attribute);
            send!(self, Write, request).map_err(unavailable)?;
        }
        Ok(())
    }

    /// Ends one session (log out, sign out one browser).
    pub(crate) async fn delete_session(&self, s: &Session) -> Result<()> {
        let request = self
            .client
            .delete_item()
            .table_name(&self.sessions)
            .set_key(Some(key(&s.account_id, &session_sk(&s.token_hash))));
        send!(self, Write, request).map(|_| ()).map_err(unavailable)
    }

    /// Removes sessions that no longer count (already ended by their
    /// epoch, or expired): housekeeping after the write that ended them,
    /// never what ends them. Best effort: how many went.
    pub(crate) async fn clean_up_sessions(&self, dead: &[&Session]) -> usize {
        let keys = dead
            .iter()
            .map(|s| key(&s.account_id, &session_sk(&s.token_hash)))
            .collect();
        self.clean_up(keys).await
    }

    /// Removes items of a partition that count for nothing (`dead_keys`).
    pub(crate) async fn clean_up(&self, keys: Vec<Item>) -> usize {
        self.batch_delete(&self.sessions, keys).await
    }
}

impl Tx<'_> {
    pub(crate) fn put_session(self, session: &Session) -> Result<Self> {
        let table = self.store.sessions.clone();
        self.put(&table, session.to_item(), None)
    }

    /// Ends a session: its item goes (the oldest of too many, say).
    pub(crate) fn delete_session(self, session: &Session) -> Result<Self> {
        let table = self.store.sessions.clone();
        let k = key(&session.account_id, &session_sk(&session.token_hash));
        self.delete(&table, k, None)
    }

    /// Ends the session a request came with, only if it is still live
    /// (nothing ended it meanwhile): a flow that replaces it needs it.
    pub(crate) fn end_acting_session(self, session: &Session) -> Result<Self> {
        let table = self.store.sessions.clone();
        let k = key(&session.account_id, &session_sk(&session.token_hash));
        let cond = Cond {
            expr: "attribute_exists(sk) AND epoch = :e",
            values: vec![(":e", n(session.epoch))],
        };
        self.delete(&table, k, Some(cond))
    }

    /// Carries the acting session into the epoch a `RowChange` ending the
    /// others (`end_sessions_of`) moves to,
    /// only if it is still live: it stays signed in while the rest end.
    pub(crate) fn carry_session(self, session: &Session) -> Result<Self> {
        let table = self.store.sessions.clone();
        let k = key(&session.account_id, &session_sk(&session.token_hash));
        let cond = Cond {
            expr: "attribute_exists(sk) AND epoch = :e",
            values: vec![(":e", n(session.epoch)), (":next", n(session.epoch + 1))],
        };
        self.update(&table, k, "SET epoch = :next", cond, &[])
    }
}
