//! Starting and ending sessions, the same way for every flow.
//!
//! A new session is written in one transaction with two checks: the
//! account's sessions are still in the epoch the session is issued under
//! (nothing ended them all meanwhile; a deleted account has no row), and
//! the account is the one whose password was verified, with no password
//! change, reset or two-factor turn-off since. An account keeps at most
//! `session::MAX_LIVE` live sessions: a sign-in beyond that ends the
//! oldest in the same transaction.
//!
//! Ending every session is one write that moves the epoch on (a
//! `RowChange` with `end_sessions_of` or `end_all_sessions`, `Tx::
//! change_row`); `clean_up` then removes the dead items, best effort.

use cookie::Cookie;

use super::Result;
use crate::app::App;
use crate::cookies;
use crate::crypto::token_hash;
use crate::error::AppError;
use crate::gateway::request::Req;
use crate::session;
use crate::store::{Method, Partition, Session, Tx, User};

/// A new session (a new token at every sign-in: no fixation) in `epoch`,
/// and the signed cookie that carries it.
pub(super) fn fresh(
    app: &App,
    req: &Req,
    account_id: &str,
    epoch: i64,
    remember: bool,
    method: Method,
) -> (Session, Cookie<'static>) {
    let now = app.now();
    let token = session::new_token();
    let s = Session {
        account_id: account_id.to_string(),
        token_hash: token_hash(&token),
        public_id: session::new_public_id(),
        epoch,
        created_at: now,
        last_seen: now,
        expires_at: session::expires_at(now, now, remember),
        remember,
        user_agent: req.user_agent.clone(),
        source_ip: req.source_ip.clone(),
        method,
    };
    let value = session::cookie_value(account_id, &token);
    let max_age = remember.then_some(session::REMEMBER_SECS);
    let cookie = cookies::sign(
        &app.keys,
        cookies::build(cookies::SESSION, value, req.secure, max_age),
    );
    (s, cookie)
}

/// At most this many of the oldest are ended inside a sign-in's own
/// transaction (100 items at most); a flood from before the cap existed
/// has the rest removed right after, and is back within it.
const EVICT_IN_TX: usize = 90;

/// A sign-in to an existing account, ready to go into its transaction.
pub(super) struct SignIn {
    pub(super) session: Session,
    pub(super) cookie: Cookie<'static>,
    /// The oldest live sessions, ended to stay within the cap.
    evicted: Vec<Session>,
    /// More of them, past what the transaction holds (after it commits).
    excess: Vec<Session>,
}

impl SignIn {
    /// A session for `user`, whose sessions' partition is `partition` (read
    /// for its epoch and its live sessions). A missing row: the account
    /// went meanwhile.
    pub(super) fn new(
        app: &App,
        req: &Req,
        user: &User,
        partition: &Partition,
        remember: bool,
        method: Method,
    ) -> Result<SignIn> {
        let Some(row) = &partition.account else {
            return Err(AppError::Conflict("no account row".into()).into());
        };
        let (session, cookie) = fresh(app, req, &user.account_id, row.epoch, remember, method);
        let mut live = partition.live(app.now());
        live.sort_by_key(|s| (s.created_at, s.last_seen));
        let over = (live.len() + 1).saturating_sub(session::MAX_LIVE);
        let mut evicted: Vec<Session> = live.into_iter().take(over).cloned().collect();
        let excess = evicted.split_off(evicted.len().min(EVICT_IN_TX));
        Ok(SignIn {
            session,
            cookie,
            evicted,
            excess,
        })
    }

    /// The session's writes: the session, the epoch check, the evictions.
    /// The caller adds the account's check (`check_unchanged`, or a write
    /// with that condition).
    pub(super) fn writes<'s>(&self, tx: Tx<'s>) -> Result<Tx<'s>> {
        let s = &self.session;
        let mut tx = tx.put_session(s)?.check_epoch(&s.account_id, s.epoch)?;
        for old in &self.evicted {
            tx = tx.delete_session(old)?;
        }
        Ok(tx)
    }

    /// Commits `tx` (this sign-in's writes and the caller's), then ends
    /// the oldest sessions past the cap that did not fit. The cookie, or
    /// the store's refusal for the caller to read.
    pub(super) async fn commit(
        self,
        app: &App,
        req: &Req,
        user_key: &str,
        tx: Tx<'_>,
    ) -> std::result::Result<Cookie<'static>, crate::store::StoreError> {
        tx.commit().await?;
        if self.committed(app).await > 0 {
            super::audit(app, req, "session_cap_evicted", user_key);
        }
        Ok(self.cookie)
    }

    /// After the transaction committed: ends the oldest sessions that did
    /// not fit in it (only a flood from before the cap leaves any), and
    /// says how many older sessions this sign-in ended in all.
    pub(super) async fn committed(&self, app: &App) -> usize {
        if !self.excess.is_empty() {
            let excess: Vec<&Session> = self.excess.iter().collect();
            app.store.clean_up_sessions(&excess).await;
        }
        self.evicted.len() + self.excess.len()
    }
}

/// After a write that ended sessions (the epoch moved on, or the account's
/// row went) or trusted browsers (the generation moved on): removes their
/// items, best effort and bounded. They count for nothing already; this
/// only keeps the partition small.
pub(super) async fn clean_up(app: &App, account_id: &str) {
    match app.store.partition(account_id).await {
        Ok(p) => {
            let dead = p.dead_keys(app.now());
            if !dead.is_empty() {
                let of = dead.len();
                let removed = app.store.clean_up(dead).await;
                tracing::debug!(removed, of, "ended items cleaned up");
            }
        }
        Err(e) => tracing::warn!(error = %e, "ended items left for TTL"),
    }
}
