//! `BatchGetItem`, with its unprocessed keys asked for again; and
//! `BatchWriteItem` deletes for housekeeping (items that no longer count).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, WriteRequest};

use super::item::Item;
use super::usage::Counted;
use super::{send, unavailable, Result, Store, StoreError};

/// Calls in all, the first included, before unprocessed keys are an outage.
const ATTEMPTS: u32 = 4;
/// The back-off's first ceiling and its cap, as the SDK's own retries.
const BASE: Duration = Duration::from_millis(50);
const CAP: Duration = Duration::from_millis(500);

/// The wait before asking again for unprocessed keys, the `retry`-th time
/// (from 1): "full jitter", as AWS advises for them, a uniformly random
/// time up to `min(CAP, BASE * 2^(retry - 1))`, so clients that were
/// throttled together do not come back together.
fn full_jitter(retry: u32, random: u64) -> Duration {
    let ceiling = BASE
        .saturating_mul(1 << retry.saturating_sub(1).min(16))
        .min(CAP);
    let micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(random % (micros + 1))
}

impl Store {
    /// Before asking again for what a batch left unprocessed (not before
    /// the first attempt): a jittered wait, noted in the meter.
    async fn back_off(&self, attempt: u32) {
        if attempt > 0 {
            let wait = full_jitter(attempt, crate::crypto::random_u64());
            self.usage.note_wait(wait);
            tokio::time::sleep(wait).await;
        }
    }

    /// Every item `request` names that exists, with its table. Keys that
    /// DynamoDB leaves unprocessed (it throttled part of the batch) are
    /// asked for again after a randomly jittered back-off, three times,
    /// then the call fails as unavailable (at most 350 ms of waiting).
    pub(super) async fn batch_get(
        &self,
        mut request: HashMap<String, KeysAndAttributes>,
    ) -> Result<Vec<(String, Item)>> {
        let mut found = Vec::new();
        for attempt in 0..ATTEMPTS {
            self.back_off(attempt).await;
            let call = self
                .client
                .batch_get_item()
                .set_request_items(Some(request));
            let out = send!(self, Read, call).map_err(unavailable)?;
            for (table, items) in out.responses().iter().flat_map(|r| r.iter()) {
                found.extend(items.iter().map(|item| (table.clone(), item.clone())));
            }
            match out.unprocessed_keys() {
                Some(rest) if !rest.is_empty() => request = rest.clone(),
                _ => return Ok(found),
            }
        }
        Err(StoreError::Unavailable(
            "BatchGetItem left keys unprocessed".into(),
        ))
    }
}

/// `BatchWriteItem` takes at most 25 requests.
const WRITE_BATCH: usize = 25;
/// Batches in flight at once, so a large clean-up is quick without a burst.
const IN_FLIGHT: usize = 4;
/// Housekeeping stops here; what is left is dead already and TTL removes it.
const CLEAN_UP_BUDGET: Duration = Duration::from_secs(2);

impl Store {
    /// Deletes `keys` from `table` in batches of 25, a few at a time, with
    /// unprocessed keys sent again after a jittered back-off. Best effort
    /// and bounded (about two seconds): only for items that already count
    /// for nothing, so a failure is logged, never the page's. How many were
    /// deleted.
    pub(crate) async fn batch_delete(&self, table: &str, keys: Vec<Item>) -> usize {
        let mut requests = Vec::with_capacity(keys.len());
        for k in keys {
            match DeleteRequest::builder().set_key(Some(k)).build() {
                Ok(d) => requests.push(WriteRequest::builder().delete_request(d).build()),
                Err(e) => tracing::error!(error = %e, "clean-up key refused"),
            }
        }
        self.batch_write(table, requests, Some(CLEAN_UP_BUDGET))
            .await
    }

    /// Stores `items` as they are, in batches (tests and tools: planting
    /// thousands of sessions).
    #[cfg(feature = "test-util")]
    pub(crate) async fn batch_put(&self, table: &str, items: Vec<Item>) -> usize {
        let requests = items
            .into_iter()
            .filter_map(|i| {
                aws_sdk_dynamodb::types::PutRequest::builder()
                    .set_item(Some(i))
                    .build()
                    .ok()
            })
            .map(|p| WriteRequest::builder().put_request(p).build())
            .collect();
        self.batch_write(table, requests, None).await
    }

    /// `requests` in batches of 25, `IN_FLIGHT` at a time, until done or
    /// `budget` is spent; how many were written.
    async fn batch_write(
        &self,
        table: &str,
        requests: Vec<WriteRequest>,
        budget: Option<Duration>,
    ) -> usize {
        let started = Instant::now();
        let mut written = 0;
        let chunks: Vec<Vec<WriteRequest>> = requests
            .chunks(WRITE_BATCH)
            .map(<[WriteRequest]>::to_vec)
            .collect();
        for round in chunks.chunks(IN_FLIGHT) {
            if budget.is_some_and(|b| started.elapsed() > b) {
                let left = requests.len() - written;
                tracing::info!(left, "clean-up stopped: TTL removes the rest");
                break;
            }
            let mut set = tokio::task::JoinSet::new();
            for chunk in round {
                let (store, table, chunk) = (self.clone(), table.to_string(), chunk.clone());
                set.spawn(async move { store.write_batch(&table, chunk).await });
            }
            while let Some(done) = set.join_next().await {
                written += done.unwrap_or(0);
            }
        }
        written
    }

    /// One batch of up to 25 writes; how many went.
    async fn write_batch(&self, table: &str, mut requests: Vec<WriteRequest>) -> usize {
        let total = requests.len();
        for attempt in 0..ATTEMPTS {
            self.back_off(attempt).await;
            let call = self
                .client
                .batch_write_item()
                .request_items(table, requests.clone());
            match send!(self, Write, call) {
                Ok(out) => {
                    let left = out
                        .unprocessed_items()
                        .and_then(|m| m.get(table))
                        .cloned()
                        .unwrap_or_default();
                    if left.is_empty() {
                        return total;
                    }
                    requests = left;
                }
                Err(e) => {
                    let e = aws_sdk_dynamodb::error::DisplayErrorContext(&e);
                    tracing::warn!(error = %e, "batch write failed");
                    return total - requests.len();
                }
            }
        }
        total - requests.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_jitter_waits_up_to_a_doubling_capped_ceiling() {
        let ms = Duration::from_millis;
        for (retry, ceiling) in [
            (1, ms(50)),
            (2, ms(100)),
            (3, ms(200)),
            (4, ms(400)),
            (5, ms(500)),
            (40, ms(500)),
        ] {
            assert_eq!(full_jitter(retry, ceiling.as_micros() as u64), ceiling);
            assert_eq!(full_jitter(retry, 0), Duration::ZERO);
            for _ in 0..100 {
                assert!(full_jitter(retry, crate::crypto::random_u64()) <= ceiling);
            }
        }
        // Random, not fixed: many draws are spread over the range.
        let draws: std::collections::BTreeSet<_> = (0..50)
            .map(|_| full_jitter(3, crate::crypto::random_u64()))
            .collect();
        assert!(draws.len() > 40);
    }
}
