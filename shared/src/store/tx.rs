//! One `TransactWriteItems`, built up by the rooms that own each item
//! (`users.rs`, `sessions.rs`, `tokens.rs`, `throttle.rs` add their
//! writes), then committed at once: a flow that must change several items
//! together (a reset: the password, the link, the sessions, the notice)
//! says so in one place, and either all of it happens or none.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};

use super::item::Item;
use super::usage::Counted;
use super::{bug, send, unavailable, Result, Store, StoreError};

/// DynamoDB's limit on the items of one transaction.
pub(crate) const MAX_ITEMS: usize = 100;

/// The writes of one transaction, in order (a refusal names items by
/// their position).
pub(crate) struct Tx<'s> {
    pub(super) store: &'s Store,
    items: Vec<TransactWriteItem>,
}

impl Store {
    /// An empty transaction on this store's tables.
    pub(crate) fn tx(&self) -> Tx<'_> {
        Tx {
            store: self,
            items: Vec::new(),
        }
    }
}

/// A condition with its placeholders' values.
pub(super) struct Cond<'a> {
    pub(super) expr: &'a str,
    pub(super) values: Vec<(&'a str, aws_sdk_dynamodb::types::AttributeValue)>,
}

impl<'s> Tx<'s> {
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(super) fn extend(&mut self, other: Tx<'_>) {
        self.items.extend(other.items);
    }

    /// Appends `other`'s writes after these.
    pub(crate) fn append(mut self, other: Tx<'_>) -> Self {
        self.extend(other);
        self
    }

    pub(super) fn put(mut self, table: &str, item: Item, cond: Option<Cond<'_>>) -> Result<Self> {
        let mut b = Put::builder().table_name(table).set_item(Some(item));
        if let Some(c) = cond {
            b = b.condition_expression(c.expr);
            for (k, v) in c.values {
                b = b.expression_attribute_values(k, v);
            }
        }
        let put = b.build().map_err(bug("tx put"))?;
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        Ok(self)
    }

    pub(super) fn delete(mut self, table: &str, key: Item, cond: Option<Cond<'_>>) -> Result<Self> {
        let mut b = Delete::builder().table_name(table).set_key(Some(key));
        if let Some(c) = cond {
            b = b.condition_expression(c.expr);
            for (k, v) in c.values {
                b = b.expression_attribute_values(k, v);
            }
        }
        let delete = b.build().map_err(bug("tx delete"))?;
        self.items
            .push(TransactWriteItem::builder().delete(delete).build());
        Ok(self)
    }

    pub(super) fn update(
        mut self,
        table: &str,
        key: Item,
        expr: &str,
        cond: Cond<'_>,
        names: &[(&str, &str)],
    ) -> Result<Self> {
        let mut b = Update::builder()
            .table_name(table)
            .set_key(Some(key))
            .update_expression(expr)
            .condition_expression(cond.expr);
        for (k, v) in cond.values {
            b = b.expression_attribute_values(k, v);
        }
        for (k, v) in names {
            b = b.expression_attribute_names(*k, *v);
        }
        let update = b.build().map_err(bug("tx update"))?;
        self.items
            .push(TransactWriteItem::builder().update(update).build());
        Ok(self)
    }

    pub(super) fn check(mut self, table: &str, key: Item, cond: Cond<'_>) -> Result<Self> {
        let mut b = ConditionCheck::builder()
            .table_name(table)
            .set_key(Some(key))
            .condition_expression(cond.expr);
        for (k, v) in cond.values {
            b = b.expression_attribute_values(k, v);
        }
        let check = b.build().map_err(bug("tx condition check"))?;
        self.items
            .push(TransactWriteItem::builder().condition_check(check).build());
        Ok(self)
    }

    /// Commits every write, or none. A condition that fails is
    /// `StoreError::Refused` with the positions of the items whose
    /// condition failed; anything else DynamoDB refuses is `Unavailable`.
    /// A cancellation caused only by a `TransactionConflict` (another
    /// transaction held an item: racing registrations of one name, say) is
    /// tried once more, when the other has finished, so its real outcome
    /// (often a failed condition) is the answer, not a 503.
    pub(crate) async fn commit(self) -> Result<()> {
        if self.items.is_empty() {
            return Ok(());
        }
        if self.items.len() > MAX_ITEMS {
            return Err(StoreError::Bug(format!(
                "transaction of {} items",
                self.items.len()
            )));
        }
        match commit_once(self.store, self.items.clone()).await {
            Err(Cancel::Conflict(reasons)) => {
                tracing::info!(?reasons, "transaction conflict: trying once more");
                commit_once(self.store, self.items)
                    .await
                    .map_err(Cancel::into_error)
            }
            other => other.map_err(Cancel::into_error),
        }
    }
}

/// Why one attempt at a transaction failed.
enum Cancel {
    /// Only conflicts with other transactions: the same write may succeed.
    Conflict(Vec<String>),
    Other(StoreError),
}

impl Cancel {
    fn into_error(self) -> StoreError {
        match self {
            Cancel::Conflict(reasons) => {
                StoreError::Unavailable(format!("transaction conflict: {reasons:?}"))
            }
            Cancel::Other(e) => e,
        }
    }
}

async fn commit_once(
    store: &Store,
    items: Vec<TransactWriteItem>,
) -> std::result::Result<(), Cancel> {
    let request = store
        .client
        .transact_write_items()
        .set_transact_items(Some(items));
    let Err(e) = send!(store, Write, request) else {
        return Ok(());
    };
    if let Some(TransactWriteItemsError::TransactionCanceledException(t)) = e.as_service_error() {
        let reasons: Vec<&str> = t
            .cancellation_reasons()
            .iter()
            .map(|r| r.code().unwrap_or("None"))
            .collect();
        let failed: Vec<usize> = (0..reasons.len())
            .filter(|&i| reasons[i] == "ConditionalCheckFailed")
            .collect();
        if !failed.is_empty() {
            return Err(Cancel::Other(StoreError::Refused(failed)));
        }
        if conflict_only(&reasons) {
            return Err(Cancel::Conflict(
                reasons.iter().map(|r| r.to_string()).collect(),
            ));
        }
    }
    Err(Cancel::Other(unavailable(e)))
}

/// Whether a cancellation was caused by conflicts alone: no condition
/// failed, so the same write may succeed once the other transaction ends.
fn conflict_only(reasons: &[&str]) -> bool {
    reasons.contains(&"TransactionConflict")
        && reasons
            .iter()
            .all(|r| *r == "TransactionConflict" || *r == "None")
}
