//! Transactions: the items that must change together (an account, its
//! email marker and its first session; a session and the counter it
//! resets), built by the store's item makers, extended by callers that
//! need more in the same all-or-nothing write.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};

use super::item::{s, Item};
use super::sessions::{self, Session};
use super::usage::Counted;
use super::users::user_pk;
use super::{bug, send, unavailable, Result, Store, StoreError};

impl Store {
    /// Writes `items` all or none. A cancellation comes back as
    /// `StoreError::Cancelled` with each item's reason code, in order. One
    /// cancelled only by a `TransactionConflict` (another transaction held
    /// an item: racing registrations of one name, say) is tried once more,
    /// when the other has finished: its real outcome (often a failed
    /// condition) is the answer, not a 503.
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<()> {
        match self.transact_once(items.clone()).await {
            Err(StoreError::Cancelled(reasons)) if conflict_only(&reasons) => {
                tracing::info!(?reasons, "transaction conflict: trying once more");
                self.transact_once(items).await
            }
            other => other,
        }
    }

    async fn transact_once(&self, items: Vec<TransactWriteItem>) -> Result<()> {
        let request = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items));
        let Err(e) = send!(self, Write, request) else {
            return Ok(());
        };
        if let Some(TransactWriteItemsError::TransactionCanceledException(t)) = e.as_service_error()
        {
            let reasons = t
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_string())
                .collect();
            return Err(StoreError::Cancelled(reasons));
        }
        Err(unavailable(e))
    }

    /// Puts `item` in the users table, only where its key is free.
    pub(crate) fn put_new_item(&self, item: Item) -> Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.users)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(bug("user put"))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Stores a new session.
    pub(crate) fn put_session_item(&self, session: &Session) -> Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.sessions)
            .set_item(Some(session.to_item()))
            .build()
            .map_err(bug("session put"))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Deletes a throttle counter (a successful login resets its own).
    pub(crate) fn reset_counter_item(&self, key: &str) -> Result<TransactWriteItem> {
        let delete = Delete::builder()
            .table_name(&self.throttle)
            .key("pk", s(key))
            .build()
            .map_err(bug("counter delete"))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Removes the account's registration form id: its first sign-in ends
    /// the form's resubmission for good. Conditioned on the account
    /// existing, so it never creates an item.
    pub(crate) fn forget_registration_item(&self, user_key: &str) -> Result<TransactWriteItem> {
        let update = Update::builder()
            .table_name(&self.users)
            .key("pk", s(user_pk(user_key)))
            .update_expression("REMOVE registration_id")
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(bug("registration id removal"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Ends a session (in a transaction of several).
    pub(crate) fn delete_session_item(&self, session: &Session) -> Result<TransactWriteItem> {
        let delete = Delete::builder()
            .table_name(&self.sessions)
            .set_key(Some(sessions::key(&session.user_key, &session.token_hash)))
            .build()
            .map_err(bug("session delete"))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Ends `sessions` in transactions of up to 100 items (DynamoDB's
    /// limit), each all or nothing, so the count is exact: how many were
    /// ended, and the failure that stopped the rest, if one did.
    pub(crate) async fn delete_sessions(&self, sessions: &[&Session]) -> (usize, Result<()>) {
        let mut ended = 0;
        for chunk in sessions.chunks(TRANSACTION_ITEMS) {
            let items: Result<Vec<_>> = chunk.iter().map(|s| self.delete_session_item(s)).collect();
            let outcome = match items {
                Ok(items) => self.transact(items).await,
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                return (ended, Err(e));
            }
            ended += chunk.len();
        }
        (ended, Ok(()))
    }
}

/// The most items one transaction may hold.
const TRANSACTION_ITEMS: usize = 100;

/// Whether a cancellation was caused by conflicts alone: no condition
/// failed, so the same write may succeed once the other transaction ends.
fn conflict_only(reasons: &[String]) -> bool {
    reasons.iter().any(|r| r == "TransactionConflict")
        && reasons
            .iter()
            .all(|r| r == "TransactionConflict" || r == "None")
}
