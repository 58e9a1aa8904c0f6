//! All DynamoDB access. Items are plain structs with explicit conversion to
//! and from attribute maps; uniqueness comes from conditional writes.
//!
//! Tables (template.yaml creates them; `tables.rs` does in tests):
//! - users (`users.rs`): `pk` = `USER#<username, case-folded>` (the account)
//!   or `EMAIL#<email, case-folded>` (a marker that reserves the address).
//! - sessions (`sessions.rs`): `user_key` + `token_hash` (SHA-256 of the
//!   token), with `expires_at` as the TTL attribute.
//! - throttle (`throttle.rs`): `pk` = a counter's key, `expires_at` (TTL)
//!   ends its window.
//! - tokens (`tokens.rs`): `pk` = `RESET#`/`CONFIRM#<SHA-256 of a link's
//!   token>` or `MAIL#<id>`, each item also a request for one email; the
//!   table's stream feeds the mailer. `expires_at` (TTL) cleans up.
//!
//! Writes that must happen together go through one transaction (`tx.rs`).

mod batch;
mod browsers;
mod client;
mod item;
mod partition;
mod passkeys;
mod rows;
mod second_factor;
mod sessions;
#[cfg(feature = "test-util")]
mod tables;
mod throttle;
mod tokens;
mod tx;
mod usage;
mod users;

use std::sync::Arc;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use aws_sdk_dynamodb::Client;

use crate::config::Config;

pub(crate) use browsers::{Pending, Setup, Trusted};
pub(crate) use client::{client, credentials, http_client, timeouts, RootsError};
pub(crate) use partition::Partition;
pub(crate) use passkeys::Passkey;
pub(crate) use rows::{AccountRow, RowChange};
pub(crate) use second_factor::Proof;
pub(crate) use sessions::{Method, Session};
#[cfg(feature = "test-util")]
pub use tables::TableCheck;
pub(crate) use tokens::{confirm_pk, reset_pk, MailItem, MailKind, Recipient, NO_LINK};
pub(crate) use tx::{Tx, MAX_ITEMS as MAX_TX_ITEMS};
#[cfg(feature = "test-util")]
pub use usage::UsageCount;
pub(crate) use usage::{Kind, Usage};
pub(crate) use users::{LinkField, User};

use usage::Counted;

#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("username already taken")]
    UsernameTaken,
    #[error("email already registered")]
    EmailTaken,
    /// A transaction's condition failed (the positions of the items whose
    /// condition failed): a link already used, an account gone or being
    /// deleted. The caller says what that means.
    #[error("a condition failed (items {0:?})")]
    Refused(Vec<usize>),
    /// DynamoDB failed, timed out or throttled past the SDK's retries: the
    /// person may try again (503).
    #[error("DynamoDB is unavailable: {0}")]
    Unavailable(String),
    /// A request the SDK refused to build, or an item we cannot read: a
    /// bug, not an outage (500).
    #[error("storage bug: {0}")]
    Bug(String),
}

pub(crate) type Result<T> = std::result::Result<T, StoreError>;

fn unavailable<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::Unavailable(DisplayErrorContext(&e).to_string())
}

/// An SDK builder's refusal (a required field missing): always our bug.
fn bug(what: &'static str) -> impl FnOnce(aws_sdk_dynamodb::error::BuildError) -> StoreError {
    move |e| StoreError::Bug(format!("{what}: {e}"))
}

fn is_conditional_failure<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "ConditionalCheckFailedException")
}

/// A conditional write's outcome where "the condition failed" means there
/// was nothing to do (the item is gone): success.
fn unless_gone<T, E, R>(result: std::result::Result<T, SdkError<E, R>>) -> Result<()>
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_conditional_failure(&e) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

/// Sends an SDK request with `ReturnConsumedCapacity: TOTAL` and records
/// the call and its units in the store's meter.
macro_rules! send {
    ($store:expr, $kind:ident, $request:expr) => {
        $request
            .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
            .send()
            .await
            .counted(&$store.usage, $crate::store::Kind::$kind)
    };
}
use send;

#[derive(Clone)]
pub(crate) struct Store {
    client: Client,
    users: String,
    sessions: String,
    throttle: String,
    tokens: String,
    pub(crate) usage: Arc<Usage>,
}

impl Store {
    pub(crate) fn new(client: Client, config: &Config) -> Self {
        Store {
            client,
            users: config.users_table.clone(),
            sessions: config.sessions_table.clone(),
            throttle: config.throttle_table.clone(),
            tokens: config.tokens_table.clone(),
            usage: Arc::default(),
        }
    }

    /// Opens the HTTPS connection to DynamoDB (TCP, TLS, one request) so the
    /// first invocation finds it in the client's pool. The request is an
    /// eventually consistent GetItem of a session that cannot exist (0.5
    /// RCU): every function may already read that table, and it adds no
    /// operation to the binary. At most a second; a failure is only logged,
    /// and the first real call connects as it would have.
    /// Returns whether DynamoDB answered.
    pub(crate) async fn warm_up(&self) -> bool {
        // A timeout around the call rather than a per-operation config
        // override: the override machinery alone adds ~240 KB to the binary.
        let call = self
            .client
            .get_item()
            .table_name(&self.sessions)
            .set_key(Some(sessions::key("warm-up", "warm-up")))
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
}
