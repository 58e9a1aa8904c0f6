//! The meter: DynamoDB calls made and capacity units consumed, as DynamoDB
//! reports them (`ReturnConsumedCapacity: TOTAL` on every call), for the
//! figures per route and for the test that pins each route's calls.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::types::ConsumedCapacity;

/// Whether a call reads or writes, for counting its capacity units.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Read,
    Write,
}

#[derive(Debug, Default)]
pub(crate) struct Usage {
    calls: AtomicU64,
    read_milli: AtomicU64,
    write_milli: AtomicU64,
    /// Time spent backing off before asking again for unprocessed keys.
    waited_micros: AtomicU64,
}

/// The meter's reading (tests and the bench read it).
#[cfg(feature = "test-util")]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UsageCount {
    pub calls: u64,
    pub read_units: f64,
    pub write_units: f64,
    /// Backing off between a `BatchGetItem` and its unprocessed keys.
    pub waited: std::time::Duration,
}

impl Usage {
    fn note<'a>(&self, kind: Kind, capacity: impl IntoIterator<Item = &'a ConsumedCapacity>) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let units: f64 = capacity
            .into_iter()
            .filter_map(|c| c.capacity_units())
            .sum();
        let milli = (units * 1000.0).round() as u64;
        match kind {
            Kind::Read => self.read_milli.fetch_add(milli, Ordering::Relaxed),
            Kind::Write => self.write_milli.fetch_add(milli, Ordering::Relaxed),
        };
    }

    /// Records a back-off wait.
    pub(crate) fn note_wait(&self, wait: std::time::Duration) {
        let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
        self.waited_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The counts so far, resetting them to zero.
    #[cfg(feature = "test-util")]
    pub(crate) fn take(&self) -> UsageCount {
        UsageCount {
            calls: self.calls.swap(0, Ordering::Relaxed),
            read_units: self.read_milli.swap(0, Ordering::Relaxed) as f64 / 1000.0,
            write_units: self.write_milli.swap(0, Ordering::Relaxed) as f64 / 1000.0,
            waited: std::time::Duration::from_micros(self.waited_micros.swap(0, Ordering::Relaxed)),
        }
    }
}

/// The capacity an operation's output reports.
trait Capacity {
    fn capacity(&self) -> Vec<&ConsumedCapacity>;
}

macro_rules! capacity {
    ($iter:ident: $($t:ty),*) => {$(
        impl Capacity for $t {
            fn capacity(&self) -> Vec<&ConsumedCapacity> {
                self.consumed_capacity().$iter().collect()
            }
        }
    )*};
}
capacity!(into_iter: GetItemOutput, PutItemOutput, UpdateItemOutput, DeleteItemOutput, QueryOutput);
capacity!(iter: BatchGetItemOutput, BatchWriteItemOutput, TransactWriteItemsOutput);

/// Records a call's outcome in `Usage` and passes it on.
pub(super) trait Counted {
    fn counted(self, usage: &Usage, kind: Kind) -> Self;
}

impl<T: Capacity, E> Counted for std::result::Result<T, E> {
    fn counted(self, usage: &Usage, kind: Kind) -> Self {
        match &self {
            Ok(out) => usage.note(kind, out.capacity()),
            Err(_) => usage.note(kind, []),
        }
        self
    }
}
