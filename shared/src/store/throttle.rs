//! Throttle counters: failed logins per username, per device and per
//! source, and registrations per source (the rules are `web::throttle`).
//! A counter is one item: `count`, and `expires_at`, which ends its fixed
//! window (the TTL attribute, which only cleans up: expiry is checked on
//! read). Counting is one atomic `UpdateItem ADD`, so parallel callers each
//! see a distinct count.

use aws_sdk_dynamodb::types::ReturnValue;

use std::collections::HashMap;

use super::item::{get_n, n, s, Item};
use super::tx::Tx;
use super::usage::Counted;
use super::{is_conditional_failure, send, unavailable, Result, Store, StoreError};

/// A counter as read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counter {
    count: u32,
    expires_at: i64,
}

impl Counter {
    /// The count that applies at `now` (0 once the window has passed).
    pub(crate) fn live(&self, now: i64) -> u32 {
        if self.expires_at > now {
            self.count
        } else {
            0
        }
    }

    fn from_item(item: &Item) -> Counter {
        Counter {
            count: get_n(item, "count").unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
            expires_at: get_n(item, "expires_at").unwrap_or(0),
        }
    }
}

impl Store {
    /// A counter, strongly consistent (zero when absent).
    pub(crate) async fn get_counter(&self, key: &str) -> Result<Counter> {
        let request = self
            .client
            .get_item()
            .table_name(&self.throttle)
            .key("pk", s(key))
            .consistent_read(true);
        let out = send!(self, Read, request).map_err(unavailable)?;
        Ok(out.item().map(Counter::from_item).unwrap_or_default())
    }

    /// Adds one (a failure, or an attempt) to a counter whose window is `window` seconds,
    /// starting a new window when the old one has passed; returns the count.
    /// One atomic `UpdateItem`: parallel callers each see a distinct count.
    pub(crate) async fn add_failure(&self, key: &str, now: i64, window: i64) -> Result<u32> {
        for _ in 0..3 {
            let add = self
                .client
                .update_item()
                .table_name(&self.throttle)
                .key("pk", s(key))
                .update_expression("ADD #c :one SET expires_at = if_not_exists(expires_at, :exp)")
                .condition_expression("attribute_not_exists(pk) OR expires_at > :now")
                .expression_attribute_names("#c", "count")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":exp", n(now + window))
                .expression_attribute_values(":now", n(now))
                .return_values(ReturnValue::UpdatedNew);
            match send!(self, Write, add) {
                Ok(o) => {
                    let count = o
                        .attributes()
                        .and_then(|a| a.get("count"))
                        .and_then(|v| v.as_n().ok())
                        .and_then(|v| v.parse::<u32>().ok())
                        .unwrap_or(1);
                    return Ok(count);
                }
                Err(e) if is_conditional_failure(&e) => {
                    if self.new_window(key, now, window).await? {
                        return Ok(1);
                    }
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(StoreError::Unavailable(
            "throttle counter contention".into(),
        ))
    }

    /// The old window has passed: starts a new one at 1, unless a parallel
    /// request just did (then `false`: add to theirs).
    async fn new_window(&self, key: &str, now: i64, window: i64) -> Result<bool> {
        let put = self
            .client
            .put_item()
            .table_name(&self.throttle)
            .item("pk", s(key))
            .item("count", n(1))
            .item("expires_at", n(now + window))
            .condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
            .expression_attribute_values(":now", n(now));
        match send!(self, Write, put) {
            Ok(_) => Ok(true),
            Err(e) if is_conditional_failure(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}

impl Tx<'_> {
    /// Ends a counter's window (a success resets the username's count).
    pub(crate) fn delete_counter(self, key: &str) -> Result<Self> {
        let table = self.store.throttle.clone();
        self.delete(&table, HashMap::from([("pk".to_string(), s(key))]), None)
    }
}
