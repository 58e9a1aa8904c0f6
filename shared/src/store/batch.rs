//! `BatchGetItem`, with its unprocessed keys asked for again.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::KeysAndAttributes;

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
            if attempt > 0 {
                let wait = full_jitter(attempt, crate::crypto::random_u64());
                self.usage.note_wait(wait);
                tokio::time::sleep(wait).await;
            }
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
