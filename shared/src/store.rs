//! All DynamoDB access. Items are plain structs with explicit conversion to
//! and from attribute maps; uniqueness comes from conditional writes.
//!
//! Tables:
//! - users: `pk` = `USER#<username, case-folded>` (the account) or
//!   `EMAIL#<email, case-folded>` (a marker that reserves the address).
//! - sessions: `user_key` + `token_hash` (SHA-256 of the token), with
//!   `expires_at` as the TTL attribute.
//! - throttle: `pk` = a counter's key, `expires_at` (TTL) ends its window.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConsumedCapacity, Delete, KeySchemaElement,
    KeyType, Put, ReturnConsumedCapacity, ReturnValue, ScalarAttributeType,
    TimeToLiveSpecification, TransactWriteItem,
};
use aws_sdk_dynamodb::Client;

use crate::config::Config;

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("username already taken")]
    UsernameTaken,
    #[error("email already registered")]
    EmailTaken,
    #[error("DynamoDB is unavailable: {0}")]
    Unavailable(String),
    #[error("malformed item: {0}")]
    Corrupt(&'static str),
}

pub type Result<T> = std::result::Result<T, StoreError>;

fn unavailable<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::Unavailable(DisplayErrorContext(&e).to_string())
}

fn is_conditional_failure<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "ConditionalCheckFailedException")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Case-folded username: the account's identity.
    pub key: String,
    /// As typed at registration.
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: i64,
    /// The one-time id of the registration form that created the account, so
    /// a retried submission of that same form succeeds instead of failing.
    pub registration_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_key: String,
    pub token_hash: String,
    /// Shown on /account to end this session; unrelated to the token.
    pub public_id: String,
    pub username: String,
    pub email: String,
    pub member_since: i64,
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
    pub remember: bool,
    pub user_agent: String,
    pub source_ip: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
fn get_s(item: &Item, k: &'static str) -> Result<String> {
    item.get(k)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .ok_or(StoreError::Corrupt(k))
}
fn get_n(item: &Item, k: &'static str) -> Result<i64> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or(StoreError::Corrupt(k))
}

fn user_pk(key: &str) -> String {
    format!("USER#{key}")
}
fn email_pk(email_key: &str) -> String {
    format!("EMAIL#{email_key}")
}

impl User {
    fn to_item(&self) -> Item {
        let mut item = HashMap::from([
            ("pk".into(), s(user_pk(&self.key))),
            ("username".into(), s(&self.username)),
            ("email".into(), s(&self.email)),
            ("password_hash".into(), s(&self.password_hash)),
            ("created_at".into(), n(self.created_at)),
        ]);
        if let Some(id) = &self.registration_id {
            item.insert("registration_id".into(), s(id));
        }
        item
    }
    fn from_item(item: &Item) -> Result<Self> {
        let pk = get_s(item, "pk")?;
        Ok(User {
            key: pk
                .strip_prefix("USER#")
                .ok_or(StoreError::Corrupt("pk"))?
                .to_string(),
            username: get_s(item, "username")?,
            email: get_s(item, "email")?,
            password_hash: get_s(item, "password_hash")?,
            created_at: get_n(item, "created_at")?,
            registration_id: get_s(item, "registration_id").ok(),
        })
    }
}

impl Session {
    fn key(user_key: &str, token_hash: &str) -> Item {
        HashMap::from([
            ("user_key".into(), s(user_key)),
            ("token_hash".into(), s(token_hash)),
        ])
    }
    fn to_item(&self) -> Item {
        let mut item = Self::key(&self.user_key, &self.token_hash);
        item.extend([
            ("public_id".into(), s(&self.public_id)),
            ("username".into(), s(&self.username)),
            ("email".into(), s(&self.email)),
            ("member_since".into(), n(self.member_since)),
            ("created_at".into(), n(self.created_at)),
            ("last_seen".into(), n(self.last_seen)),
            ("expires_at".into(), n(self.expires_at)),
            ("remember".into(), AttributeValue::Bool(self.remember)),
            ("user_agent".into(), s(&self.user_agent)),
            ("source_ip".into(), s(&self.source_ip)),
        ]);
        item
    }
    fn from_item(item: &Item) -> Result<Self> {
        Ok(Session {
            user_key: get_s(item, "user_key")?,
            token_hash: get_s(item, "token_hash")?,
            public_id: get_s(item, "public_id")?,
            username: get_s(item, "username")?,
            email: get_s(item, "email")?,
            member_since: get_n(item, "member_since")?,
            created_at: get_n(item, "created_at")?,
            last_seen: get_n(item, "last_seen")?,
            expires_at: get_n(item, "expires_at")?,
            remember: item
                .get("remember")
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(false),
            user_agent: get_s(item, "user_agent").unwrap_or_default(),
            source_ip: get_s(item, "source_ip").unwrap_or_default(),
        })
    }
}

/// A failed-login counter as read before a login attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counter {
    pub count: u32,
    pub expires_at: i64,
}

impl Counter {
    /// The count that applies at `now` (0 once the window has passed).
    pub fn live(&self, now: i64) -> u32 {
        if self.expires_at > now {
            self.count
        } else {
            0
        }
    }
}

/// Whether a call reads or writes, for counting its capacity units.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Read,
    Write,
}

/// DynamoDB calls made and capacity units consumed, as DynamoDB reports
/// them (`ReturnConsumedCapacity: TOTAL` on every call): for the figures per
/// route and for tests that pin the number of calls a route makes.
#[derive(Debug, Default)]
pub struct Usage {
    calls: AtomicU64,
    read_milli: AtomicU64,
    write_milli: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UsageCount {
    pub calls: u64,
    pub read_units: f64,
    pub write_units: f64,
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

    /// The counts so far, resetting them to zero.
    pub fn take(&self) -> UsageCount {
        UsageCount {
            calls: self.calls.swap(0, Ordering::Relaxed),
            read_units: self.read_milli.swap(0, Ordering::Relaxed) as f64 / 1000.0,
            write_units: self.write_milli.swap(0, Ordering::Relaxed) as f64 / 1000.0,
        }
    }
}

/// The capacity an operation's output reports.
trait Capacity {
    fn capacity(&self) -> Vec<&ConsumedCapacity>;
}

macro_rules! single_capacity {
    ($($t:ty),*) => {$(
        impl Capacity for $t {
            fn capacity(&self) -> Vec<&ConsumedCapacity> {
                self.consumed_capacity().into_iter().collect()
            }
        }
    )*};
}
macro_rules! many_capacity {
    ($($t:ty),*) => {$(
        impl Capacity for $t {
            fn capacity(&self) -> Vec<&ConsumedCapacity> {
                self.consumed_capacity().iter().collect()
            }
        }
    )*};
}
single_capacity!(
    GetItemOutput,
    PutItemOutput,
    UpdateItemOutput,
    DeleteItemOutput,
    QueryOutput
);
many_capacity!(BatchGetItemOutput, TransactWriteItemsOutput);

/// Records a call's outcome in `Usage` and passes it on.
trait Counted {
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

#[derive(Clone)]
pub struct Store {
    client: Client,
    users: String,
    sessions: String,
    throttle: String,
    pub usage: Arc<Usage>,
}

impl Store {
    pub fn new(client: Client, config: &Config) -> Self {
        Store {
            client,
            users: config.users_table.clone(),
            sessions: config.sessions_table.clone(),
            throttle: config.throttle_table.clone(),
            usage: Arc::default(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens the HTTPS connection to DynamoDB (TCP, TLS, one request) so the
    /// first invocation finds it in the client's pool. The request is an
    /// eventually consistent GetItem of a session that cannot exist (0.5
    /// RCU): every function may already read that table, and it adds no
    /// operation to the binary. At most a second; a failure is only logged,
    /// and the first real call connects as it would have.
    /// Returns whether DynamoDB answered.
    pub async fn warm_up(&self) -> bool {
        // A timeout around the call rather than a per-operation config
        // override: the override machinery alone adds ~240 KB to the binary.
        let call = self
            .client
            .get_item()
            .table_name(&self.sessions)
            .set_key(Some(Session::key("warm-up", "warm-up")))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send();
        match tokio::time::timeout(std::time::Duration::from_secs(1), call).await {
            Ok(result) => match result.counted(&self.usage, Kind::Read) {
                Ok(_) => true,
                // An error response still leaves the connection open and pooled.
                Err(SdkError::ServiceError(_)) => true,
                Err(e) => {
                    tracing::warn!(error = %DisplayErrorContext(&e), "DynamoDB warm-up failed");
                    false
                }
            },
            Err(_) => {
                tracing::warn!("DynamoDB warm-up timed out");
                false
            }
        }
    }

    /// Creates the account and reserves its email in one transaction; each
    /// write is conditioned on the key being free, so of two racing
    /// registrations exactly one wins.
    pub async fn create_user(&self, user: &User, email_key: &str) -> Result<()> {
        let put = |item: Item| {
            Put::builder()
                .table_name(&self.users)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map(|p| TransactWriteItem::builder().put(p).build())
                .map_err(|_| StoreError::Corrupt("put"))
        };
        let marker = HashMap::from([
            ("pk".to_string(), s(email_pk(email_key))),
            ("user_key".to_string(), s(&user.key)),
        ]);
        let result = self
            .client
            .transact_write_items()
            .transact_items(put(user.to_item())?)
            .transact_items(put(marker)?)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .counted(&self.usage, Kind::Write);
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                if let Some(TransactWriteItemsError::TransactionCanceledException(t)) =
                    e.as_service_error()
                {
                    let taken = |i: usize| {
                        t.cancellation_reasons()
                            .get(i)
                            .and_then(|r| r.code())
                            .is_some_and(|c| c == "ConditionalCheckFailed")
                    };
                    if taken(0) {
                        return Err(StoreError::UsernameTaken);
                    }
                    if taken(1) {
                        return Err(StoreError::EmailTaken);
                    }
                }
                Err(unavailable(e))
            }
        }
    }

    pub async fn get_user(&self, key: &str) -> Result<Option<User>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.users)
            .key("pk", s(user_pk(key)))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .counted(&self.usage, Kind::Read)
            .map_err(unavailable)?;
        out.item().map(User::from_item).transpose()
    }

    /// The account and its failed-login counters, in one `BatchGetItem`.
    pub async fn get_user_and_counters(
        &self,
        key: &str,
        counter_keys: &[&str],
    ) -> Result<(Option<User>, Vec<Counter>)> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let user_keys = KeysAndAttributes::builder()
            .keys(HashMap::from([("pk".to_string(), s(user_pk(key)))]))
            .consistent_read(true)
            .build()
            .map_err(|_| StoreError::Corrupt("keys"))?;
        let mut counters = KeysAndAttributes::builder().consistent_read(true);
        for k in counter_keys {
            counters = counters.keys(HashMap::from([("pk".to_string(), s(*k))]));
        }
        let counters = counters.build().map_err(|_| StoreError::Corrupt("keys"))?;
        let mut request = HashMap::from([(self.users.clone(), user_keys)]);
        if !counter_keys.is_empty() {
            request.insert(self.throttle.clone(), counters);
        }
        let mut user = None;
        let mut found: HashMap<String, Counter> = HashMap::new();
        // Unprocessed keys (throttling) are retried a few times, then fail.
        for _ in 0..4 {
            let out = self
                .client
                .batch_get_item()
                .set_request_items(Some(request))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .counted(&self.usage, Kind::Read)
                .map_err(unavailable)?;
            for (table, items) in out.responses().iter().flat_map(|r| r.iter()) {
                for item in items {
                    if *table == self.users {
                        user = Some(User::from_item(item)?);
                    } else {
                        found.insert(
                            get_s(item, "pk")?,
                            Counter {
                                count: get_n(item, "count").unwrap_or(0).clamp(0, u32::MAX as i64)
                                    as u32,
                                expires_at: get_n(item, "expires_at").unwrap_or(0),
                            },
                        );
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

    /// Replaces a user's password hash (after a parameter upgrade).
    pub async fn update_password_hash(&self, key: &str, hash: &str) -> Result<()> {
        self.client
            .update_item()
            .table_name(&self.users)
            .key("pk", s(user_pk(key)))
            .update_expression("SET password_hash = :h")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":h", s(hash))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .counted(&self.usage, Kind::Write)
            .map(|_| ())
            .or_else(|e| {
                if is_conditional_failure(&e) {
                    Ok(())
                } else {
                    Err(unavailable(e))
                }
            })
    }

    pub async fn put_session(&self, session: &Session) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.sessions)
            .set_item(Some(session.to_item()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .counted(&self.usage, Kind::Write)
            .map(|_| ())
            .map_err(unavailable)
    }

    /// Stores `session` and resets the given counters in one transaction, so
    /// a successful login costs one write call.
    pub async fn put_session_and_reset(
        &self,
        session: &Session,
        counter_keys: &[&str],
    ) -> Result<()> {
        if counter_keys.is_empty() {
            return self.put_session(session).await;
        }
        let mut tx = self.client.transact_write_items().transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.sessions)
                        .set_item(Some(session.to_item()))
                        .build()
                        .map_err(|_| StoreError::Corrupt("put"))?,
                )
                .build(),
        );
        for k in counter_keys {
            tx = tx.transact_items(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(&self.throttle)
                            .key("pk", s(*k))
                            .build()
                            .map_err(|_| StoreError::Corrupt("delete"))?,
                    )
                    .build(),
            );
        }
        tx.return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .counted(&self.usage, Kind::Write)
            .map(|_| ())
            .map_err(unavailable)
    }

    /// The session for this cookie, strongly consistent, so a sign-out
    /// anywhere takes effect on the very next request.
    pub async fn get_session(&self, user_key: &str, token_hash: &str) -> Result<Option<Session>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.sessions)
            .set_key(Some(Session::key(user_key, token_hash)))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .counted(&self.usage, Kind::Read)
            .map_err(unavailable)?;
        out.item().map(Session::from_item).transpose()
    }

    /// Records activity; does nothing if the session was ended meanwhile.
    pub async fn touch_session(
        &self,
        user_key: &str,
        token_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        self.client
            .update_item()
            .table_name(&self.sessions)
            .set_key(Some(Session::key(user_key, token_hash)))
            .update_expression("SET last_seen = :now, expires_at = :exp")
            .condition_expression("attribute_exists(token_hash)")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":exp", n(expires_at))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .counted(&self.usage, Kind::Write)
            .map(|_| ())
            .or_else(|e| {
                if is_conditional_failure(&e) {
                    Ok(())
                } else {
                    Err(unavailable(e))
                }
            })
    }

    pub async fn delete_session(&self, user_key: &str, token_hash: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.sessions)
            .set_key(Some(Session::key(user_key, token_hash)))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .counted(&self.usage, Kind::Write)
            .map(|_| ())
            .map_err(unavailable)
    }

    /// Every stored session of a user (expired ones included: the caller
    /// filters), strongly consistent.
    pub async fn list_sessions(&self, user_key: &str) -> Result<Vec<Session>> {
        let mut sessions = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.sessions)
                .key_condition_expression("user_key = :u")
                .expression_attribute_values(":u", s(user_key))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .counted(&self.usage, Kind::Read)
                .map_err(unavailable)?;
            for item in out.items() {
                sessions.push(Session::from_item(item)?);
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(sessions),
            }
        }
    }

    /// Adds one failure to a counter whose window is `window` seconds,
    /// starting a new window when the old one has passed; returns the count.
    /// One atomic `UpdateItem`: parallel callers each see a distinct count.
    pub async fn add_failure(&self, key: &str, now: i64, window: i64) -> Result<u32> {
        for _ in 0..3 {
            let out = self
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
                .return_values(ReturnValue::UpdatedNew)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .counted(&self.usage, Kind::Write);
            match out {
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
                    // The old window has passed: start a new one, unless a
                    // parallel request just did (then add to theirs).
                    let put = self
                        .client
                        .put_item()
                        .table_name(&self.throttle)
                        .item("pk", s(key))
                        .item("count", n(1))
                        .item("expires_at", n(now + window))
                        .condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
                        .expression_attribute_values(":now", n(now))
                        .return_consumed_capacity(ReturnConsumedCapacity::Total)
                        .send()
                        .await
                        .counted(&self.usage, Kind::Write);
                    match put {
                        Ok(_) => return Ok(1),
                        Err(e) if is_conditional_failure(&e) => continue,
                        Err(e) => return Err(unavailable(e)),
                    }
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(StoreError::Unavailable(
            "throttle counter contention".into(),
        ))
    }

    /// Creates the three tables (the same keys and TTL as template.yaml) when
    /// absent: for the local server and the tests.
    pub async fn create_tables(&self) -> Result<()> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|_| StoreError::Corrupt("attribute"))
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(|_| StoreError::Corrupt("key"))
        };
        let existing = self
            .client
            .list_tables()
            .send()
            .await
            .map_err(unavailable)?;
        let existing = existing.table_names();
        let specs: [(&str, Vec<&str>, bool); 3] = [
            (&self.users, vec!["pk"], false),
            (&self.sessions, vec!["user_key", "token_hash"], true),
            (&self.throttle, vec!["pk"], true),
        ];
        for (table, keys, ttl) in specs {
            if existing.iter().any(|t| t == table) {
                continue;
            }
            let mut req = self
                .client
                .create_table()
                .table_name(table)
                .billing_mode(BillingMode::PayPerRequest);
            for (i, k) in keys.iter().enumerate() {
                let kind = if i == 0 {
                    KeyType::Hash
                } else {
                    KeyType::Range
                };
                req = req
                    .attribute_definitions(attr(k)?)
                    .key_schema(key(k, kind)?);
            }
            req.send().await.map_err(unavailable)?;
            if ttl {
                self.client
                    .update_time_to_live()
                    .table_name(table)
                    .time_to_live_specification(
                        TimeToLiveSpecification::builder()
                            .enabled(true)
                            .attribute_name("expires_at")
                            .build()
                            .map_err(|_| StoreError::Corrupt("ttl"))?,
                    )
                    .send()
                    .await
                    .map_err(unavailable)?;
            }
        }
        Ok(())
    }
}

/// The DynamoDB client, built straight from the Lambda environment rather
/// than aws-config's default provider chain (which probes profiles, SSO and
/// IMDS at cold start): region and credentials from the variables Lambda
/// sets. Timeouts and retries are sized so a throttled or unreachable
/// DynamoDB ends in a 503 page well inside the function timeout.
pub fn client(config: &Config) -> Client {
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    use std::time::Duration;

    let mut builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .http_client(http_client())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(50))
                .with_max_backoff(Duration::from_millis(500)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(5))
                .build(),
        );
    if let Some(endpoint) = &config.dynamodb_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        // Lambda's execution role, as Lambda hands it to the process.
        (Some(id), Some(secret)) => {
            builder = builder.credentials_provider(Credentials::new(
                id,
                secret,
                var("AWS_SESSION_TOKEN"),
                None,
                "environment",
            ));
        }
        // A local endpoint (Dynoxide) accepts any credentials.
        _ if config.dynamodb_endpoint.is_some() => {
            builder = builder
                .credentials_provider(Credentials::new("local", "local", None, None, "local"));
        }
        // No credentials: every call fails, and each request gets the 503 page.
        _ => tracing::error!("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set"),
    }
    Client::from_conf(builder.build())
}

/// The Amazon Trust Services roots that DynamoDB's certificates chain to.
const AMAZON_ROOTS: &str = include_str!("../certs/amazon-trust-services.pem");

/// HTTPS with rustls and ring, trusting only the Amazon Trust Services roots,
/// so a cold start neither reads and parses the ~140 system certificates
/// (about 4 ms, most of this service's init) nor starts aws-lc.
/// `DYNAMODB_TRUST_SYSTEM_ROOTS=1` trusts the system's roots instead, for an
/// endpoint behind another CA.
fn http_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::{tls, Builder};
    let trust = if std::env::var("DYNAMODB_TRUST_SYSTEM_ROOTS").is_ok_and(|v| v == "1") {
        tls::TrustStore::default()
    } else {
        tls::TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(AMAZON_ROOTS.as_bytes())
    };
    let context = tls::TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_default();
    Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .tls_context(context)
        .build_https()
}
