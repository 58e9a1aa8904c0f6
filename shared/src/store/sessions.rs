//! Signed-in browsers: one item per session, under the user's key, so one
//! consistent `GetItem` finds a session and one `Query` lists them all.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::item::{get_n, get_s, n, s, Item};
use super::tx::{Tx, MAX_ITEMS};
use super::usage::Counted;
use super::{send, unavailable, unless_gone, Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) user_key: String,
    pub(crate) token_hash: String,
    /// Shown on /account to end this session; unrelated to the token.
    pub(crate) public_id: String,
    pub(crate) username: String,
    pub(crate) email: String,
    pub(crate) member_since: i64,
    pub(crate) created_at: i64,
    pub(crate) last_seen: i64,
    pub(crate) expires_at: i64,
    pub(crate) remember: bool,
    pub(crate) user_agent: String,
    pub(crate) source_ip: String,
}

pub(super) fn key(user_key: &str, token_hash: &str) -> Item {
    HashMap::from([
        ("user_key".into(), s(user_key)),
        ("token_hash".into(), s(token_hash)),
    ])
}

impl Session {
    pub(super) fn to_item(&self) -> Item {
        let mut item = key(&self.user_key, &self.token_hash);
        item.extend([
            ("public_id".into(), s(&self.public_id)),
            ("username".into(), s(&self.username)),
            ("email".into(), s(&self.email)),
            ("member_since".into(), n(self.member_since)),
            ("created_at".into(), n(self.created_at)),
            ("last_seen".into(), n(self.last_seen)),
            ("expires_at".into(), n(self.expires_at)),
            ("remember".into(), AttributeValue::Bool(self.remember)),
            ("user_agent".into(), s(&self.user_agent)),
            ("source_ip".into(), s(&self.source_ip)),
        ]);
        item
    }

    pub(super) fn from_item(item: &Item) -> Result<Self> {
        Ok(Session {
            user_key: get_s(item, "user_key")?,
            token_hash: get_s(item, "token_hash")?,
            public_id: get_s(item, "public_id")?,
            username: get_s(item, "username")?,
            email: get_s(item, "email")?,
            member_since: get_n(item, "member_since")?,
            created_at: get_n(item, "created_at")?,
            last_seen: get_n(item, "last_seen")?,
            expires_at: get_n(item, "expires_at")?,
            remember: item
                .get("remember")
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(false),
            user_agent: get_s(item, "user_agent").unwrap_or_default(),
            source_ip: get_s(item, "source_ip").unwrap_or_default(),
        })
    }
}

impl Store {
    pub(crate) async fn put_session(&self, session: &Session) -> Result<()> {
        let request = self
            .client
            .put_item()
            .table_name(&self.sessions)
            .set_item(Some(session.to_item()));
        send!(self, Write, request).map(|_| ()).map_err(unavailable)
    }

    /// Commits `tx` together with the deletion of `sessions`: as many as
    /// fit go into `tx` itself (all, for up to a hundred items), the rest
    /// in further transactions of up to a hundred. An error from a later
    /// chunk comes after `tx` itself has been committed (the callers'
    /// retries find fewer sessions to end).
    pub(crate) async fn commit_ending(&self, tx: Tx<'_>, sessions: &[Session]) -> Result<()> {
        let room = MAX_ITEMS.saturating_sub(tx.len()).min(sessions.len());
        let (first, rest) = sessions.split_at(room);
        let mut tx = tx;
        for s in first {
            tx = tx.delete_session(s)?;
        }
        tx.commit().await?;
        for chunk in rest.chunks(MAX_ITEMS) {
            let mut tx = self.tx();
            for s in chunk {
                tx = tx.delete_session(s)?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Ends `sessions` in transactions of up to a hundred, each all or
    /// nothing, so the count is exact: how many were ended, and the
    /// failure that stopped the rest, if one did.
    pub(crate) async fn delete_sessions(&self, sessions: &[&Session]) -> (usize, Result<()>) {
        let mut ended = 0;
        for chunk in sessions.chunks(MAX_ITEMS) {
            let mut tx = Ok(self.tx());
            for s in chunk {
                tx = tx.and_then(|tx| tx.delete_session(s));
            }
            if let Err(e) = async { tx?.commit().await }.await {
                return (ended, Err(e));
            }
            ended += chunk.len();
        }
        (ended, Ok(()))
    }

    /// The session for this cookie, strongly consistent, so a sign-out
    /// anywhere takes effect on the very next request.
    pub(crate) async fn get_session(
        &self,
        user_key: &str,
        token_hash: &str,
    ) -> Result<Option<Session>> {
        let request = self
            .client
            .get_item()
            .table_name(&self.sessions)
            .set_key(Some(key(user_key, token_hash)))
            .consistent_read(true);
        let out = send!(self, Read, request).map_err(unavailable)?;
        out.item().map(Session::from_item).transpose()
    }

    /// Records activity; does nothing if the session was ended meanwhile.
    pub(crate) async fn touch_session(&self, s: &Session) -> Result<()> {
        let request = self
            .client
            .update_item()
            .table_name(&self.sessions)
            .set_key(Some(key(&s.user_key, &s.token_hash)))
            .update_expression("SET last_seen = :now, expires_at = :exp")
            .condition_expression("attribute_exists(token_hash)")
            .expression_attribute_values(":now", n(s.last_seen))
            .expression_attribute_values(":exp", n(s.expires_at));
        unless_gone(send!(self, Write, request))
    }

    pub(crate) async fn delete_session(&self, user_key: &str, token_hash: &str) -> Result<()> {
        let request = self
            .client
            .delete_item()
            .table_name(&self.sessions)
            .set_key(Some(key(user_key, token_hash)));
        send!(self, Write, request).map(|_| ()).map_err(unavailable)
    }

    /// Every stored session of a user (expired ones included: the caller
    /// filters), strongly consistent.
    pub(crate) async fn list_sessions(&self, user_key: &str) -> Result<Vec<Session>> {
        let mut sessions = Vec::new();
        let mut start = None;
        loop {
            let request = self
                .client
                .query()
                .table_name(&self.sessions)
                .key_condition_expression("user_key = :u")
                .expression_attribute_values(":u", s(user_key))
                .consistent_read(true)
                .set_exclusive_start_key(start);
            let out = send!(self, Read, request).map_err(unavailable)?;
            for item in out.items() {
                sessions.push(Session::from_item(item)?);
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(sessions),
            }
        }
    }
}

impl Tx<'_> {
    pub(crate) fn put_session(self, session: &Session) -> Result<Self> {
        let table = self.store.sessions.clone();
        self.put(&table, session.to_item(), None)
    }

    pub(crate) fn delete_session(self, session: &Session) -> Result<Self> {
        let table = self.store.sessions.clone();
        self.delete(&table, key(&session.user_key, &session.token_hash), None)
    }
}
