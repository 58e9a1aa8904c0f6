//! Login throttling's counters. The rules (`web::login`): an attempt first
//! adds one to its username's counter with one atomic `UpdateItem ADD` and
//! is only evaluated while the count is within the limit, so parallel
//! guesses cannot slip past; a failure also counts against the source IP;
//! a success deletes the username's counter in the transaction that stores
//! the session (`put_session_and_reset`). Each counter's window ends at its
//! `expires_at` (the TTL attribute, which only cleans up: expiry is checked
//! on read).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{KeysAndAttributes, ReturnValue};

use super::item::{get_n, get_s, n, s, Item};
use super::tx::Tx;
use super::usage::Counted;
use super::users::{user_pk, User};
use super::{bug, is_conditional_failure, send, unavailable, Result, Store, StoreError};

/// A failed-login counter as read before a login attempt.
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
    /// The account and its failed-login counters, in one `BatchGetItem`.
    pub(crate) async fn get_user_and_counters(
        &self,
        key: &str,
        counter_keys: &[&str],
    ) -> Result<(Option<User>, Vec<Counter>)> {
        let mut request = self.user_and_counters_request(key, counter_keys)?;
        let mut user = None;
        let mut found: HashMap<String, Counter> = HashMap::new();
        // Unprocessed keys (throttling) are retried a few times, then fail.
        for _ in 0..4 {
            let call = self
                .client
                .batch_get_item()
                .set_request_items(Some(request));
            let out = send!(self, Read, call).map_err(unavailable)?;
            for (table, items) in out.responses().iter().flat_map(|r| r.iter()) {
                for item in items {
                    if *table == self.users {
                        user = Some(User::from_item(item)?);
                    } else {
                        found.insert(get_s(item, "pk")?, Counter::from_item(item));
                    }
                }
            }
            match out.unprocessed_keys() {
                Some(rest) if !rest.is_empty() => request = rest.clone(),
                _ => {
                    let counters = counter_keys
                        .iter()
                        .map(|k| found.get(*k).copied().unwrap_or_default())
                        .collect();
                    return Ok((user, counters));
                }
            }
        }
        Err(StoreError::Unavailable(
            "BatchGetItem left keys unprocessed".into(),
        ))
    }

    fn user_and_counters_request(
        &self,
        key: &str,
        counter_keys: &[&str],
    ) -> Result<HashMap<String, KeysAndAttributes>> {
        let user_keys = KeysAndAttributes::builder()
            .keys(HashMap::from([("pk".to_string(), s(user_pk(key)))]))
            .consistent_read(true)
            .build()
            .map_err(bug("user keys"))?;
        let mut request = HashMap::from([(self.users.clone(), user_keys)]);
        if !counter_keys.is_empty() {
            let mut counters = KeysAndAttributes::builder().consistent_read(true);
            for k in counter_keys {
                counters = counters.keys(HashMap::from([("pk".to_string(), s(*k))]));
            }
            let counters = counters.build().map_err(bug("counter keys"))?;
            request.insert(self.throttle.clone(), counters);
        }
        Ok(request)
    }

    /// Adds one failure to a counter whose window is `window` seconds,
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
