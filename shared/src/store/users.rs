//! Accounts, and the markers that keep an email address to one account.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::item::{get_n, get_s, malformed, n, s, Item};
use super::usage::Counted;
use super::{bug, send, unavailable, unless_gone, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    /// Case-folded username: the account's identity.
    pub(crate) key: String,
    /// As typed at registration.
    pub(crate) username: String,
    pub(crate) email: String,
    pub(crate) password_hash: String,
    pub(crate) created_at: i64,
    /// The one-time id of the registration form that created the account, so
    /// a retried submission of that same form succeeds instead of failing.
    pub(crate) registration_id: Option<String>,
}

pub(super) fn user_pk(key: &str) -> String {
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

    pub(super) fn from_item(item: &Item) -> Result<Self> {
        let pk = get_s(item, "pk")?;
        Ok(User {
            key: pk
                .strip_prefix("USER#")
                .ok_or_else(|| malformed("pk"))?
                .to_string(),
            username: get_s(item, "username")?,
            email: get_s(item, "email")?,
            password_hash: get_s(item, "password_hash")?,
            created_at: get_n(item, "created_at")?,
            registration_id: get_s(item, "registration_id").ok(),
        })
    }
}

impl Store {
    /// Creates the account and reserves its email in one transaction; each
    /// write is conditioned on the key being free, so of two racing
    /// registrations exactly one wins.
    pub(crate) async fn create_user(&self, user: &User, email_key: &str) -> Result<()> {
        let put = |item: Item| {
            Put::builder()
                .table_name(&self.users)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map(|p| TransactWriteItem::builder().put(p).build())
                .map_err(bug("user put"))
        };
        let marker = HashMap::from([
            ("pk".to_string(), s(email_pk(email_key))),
            ("user_key".to_string(), s(&user.key)),
        ]);
        let request = self
            .client
            .transact_write_items()
            .transact_items(put(user.to_item())?)
            .transact_items(put(marker)?);
        let Err(e) = send!(self, Write, request) else {
            return Ok(());
        };
        if let Some(TransactWriteItemsError::TransactionCanceledException(t)) = e.as_service_error()
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

    pub(crate) async fn get_user(&self, key: &str) -> Result<Option<User>> {
        let request = self
            .client
            .get_item()
            .table_name(&self.users)
            .key("pk", s(user_pk(key)))
            .consistent_read(true);
        let out = send!(self, Read, request).map_err(unavailable)?;
        out.item().map(User::from_item).transpose()
    }

    /// Replaces a user's password hash (after a parameter upgrade).
    pub(crate) async fn update_password_hash(&self, key: &str, hash: &str) -> Result<()> {
        let request = self
            .client
            .update_item()
            .table_name(&self.users)
            .key("pk", s(user_pk(key)))
            .update_expression("SET password_hash = :h")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":h", s(hash));
        unless_gone(send!(self, Write, request))
    }
}
