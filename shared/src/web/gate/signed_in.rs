//! Who is signed in: the live session a request's cookie names, and its
//! account's row.

use crate::app::App;
use crate::crypto::token_hash;
use crate::gateway::request::{Req, SessionCookie};
use crate::session;
use crate::store::{AccountRow, Session};

use super::{Member, Result};

/// The live session the request's cookie names, if any: one consistent
/// `BatchGetItem` of the session and its account's row (and a `last_seen`
/// write at most every 5 minutes).
pub(super) async fn lookup(app: &App, req: &Req) -> Result<Option<Member>> {
    let SessionCookie::Signed { account_id, token } = &req.session else {
        return Ok(None);
    };
    let (row, found) = app.store.signed_in(account_id, &token_hash(token)).await?;
    live(app, row, found).await
}

/// The member, if the session counts: the account's row is there (not
/// deleted), the session is of its current epoch (nothing ended it) and
/// has not expired (checked on every read: DynamoDB's TTL deletes days
/// late). Records activity at most once per 5 minutes.
pub(crate) async fn live(
    app: &App,
    row: Option<AccountRow>,
    found: Option<Session>,
) -> Result<Option<Member>> {
    let now = app.now();
    let (Some(account), Some(mut s)) = (row, found) else {
        return Ok(None);
    };
    if !s.is_live(&account, now) {
        return Ok(None);
    }
    if session::needs_touch(s.last_seen, now) {
        s.last_seen = now;
        s.expires_at = session::expires_at(s.created_at, now, s.remember);
        app.store.touch_session(&s).await?;
    }
    Ok(Some(Member {
        session: s,
        account,
    }))
}

/// A request that read its session before another request ended it, for
/// tests (the gate's order, with the other request in between).
#[cfg(feature = "test-util")]
impl App {
    /// Reads the session `public_id` of the account `user_key` as the
    /// gate's read finds it, runs `meanwhile` (say, a revoke through its
    /// handler), then goes on with the stale read as `live` does,
    /// refreshing `last_seen` when it is due. Whether that read counted as
    /// live.
    pub async fn read_then_touch(
        &self,
        user_key: &str,
        public_id: &str,
        meanwhile: impl std::future::Future<Output = ()>,
    ) -> bool {
        let user = self
            .store
            .get_user(user_key)
            .await
            .expect("DynamoDB answers");
        let user = user.expect("the account exists");
        let partition = self.store.partition(&user.account_id).await;
        let partition = partition.expect("DynamoDB answers");
        let read = partition
            .sessions
            .into_iter()
            .find(|s| s.public_id == public_id);
        assert!(read.is_some(), "no session {public_id} of {user_key}");
        meanwhile.await;
        let touched = live(self, partition.account, read)
            .await
            .expect("DynamoDB answers");
        touched.is_some()
    }
}
