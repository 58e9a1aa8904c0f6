//! `BatchGetItem`, with its unprocessed keys asked for again.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::KeysAndAttributes;

use super::item::Item;
use super::usage::Counted;
use super::{send, unavailable, Result, Store, StoreError};

/// Calls in all, the first included, before unprocessed keys are an outage.
const ATTEMPTS: u32 = 4;

impl Store {
    /// Every item `request` names that exists, with its table. Keys that
    /// DynamoDB leaves unprocessed (it throttled part of the batch) are
    /// asked for again, a few times, then the call fails as unavailable.
    pub(super) async fn batch_get(
        &self,
        mut request: HashMap<String, KeysAndAttributes>,
    ) -> Result<Vec<(String, Item)>> {
        let mut found = Vec::new();
        for _ in 0..ATTEMPTS {
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
