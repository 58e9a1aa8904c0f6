//! Accounts, and the markers that keep an email address to one account.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{KeysAndAttributes, TransactWriteItem};

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

/// What a registration found before hashing: the account that holds the
/// name, if any, and whether the address is taken.
#[derive(Debug, Default)]
pub(crate) struct Availability {
    pub(crate) user: Option<User>,
    pub(crate) email_taken: bool,
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
    /// Creates the account and reserves its email in one transaction with
    /// `with` (the first session, and whatever else must exist only if the
    /// account does); the account and the marker are each conditioned on
    /// their key being free, so of two racing registrations exactly one
    /// wins, and a fault leaves all of it or none.
    pub(crate) async fn create_user(
        &self,
        user: &User,
        email_key: &str,
        with: Vec<TransactWriteItem>,
    ) -> Result<()> {
        let marker = HashMap::from([
            ("pk".to_string(), s(email_pk(email_key))),
            ("user_key".to_string(), s(&user.key)),
        ]);
        let mut items = vec![
            self.put_new_item(user.to_item())?,
            self.put_new_item(marker)?,
        ];
        items.extend(with);
        match self.transact(items).await {
            Err(StoreError::Cancelled(reasons)) => {
                let taken = |i: usize| {
                    reasons
                        .get(i)
                        .is_some_and(|r| r == "ConditionalCheckFailed")
                };
                Err(if taken(0) {
                    StoreError::UsernameTaken
                } else if taken(1) {
                    StoreError::EmailTaken
                } else {
                    StoreError::Cancelled(reasons)
                })
            }
            other => other,
        }
    }

    /// Whether a name and an address are free, in one strongly consistent
    /// `BatchGetItem`: the account holding the name, if any, and whether
    /// the address is registered. A registration asks before it hashes the
    /// password; the conditional transaction stays the guarantee.
    pub(crate) async fn availability(&self, key: &str, email_key: &str) -> Result<Availability> {
        let keys = [user_pk(key), email_pk(email_key)]
            .map(|pk| HashMap::from([("pk".to_string(), s(pk))]));
        let wanted = KeysAndAttributes::builder()
            .set_keys(Some(keys.to_vec()))
            .consistent_read(true)
            .build()
            .map_err(bug("availability keys"))?;
        let items = self
            .batch_get(HashMap::from([(self.users.clone(), wanted)]))
            .await?;
        let mut found = Availability::default();
        for (_, item) in items {
            match get_s(&item, "pk")? {
                pk if pk.starts_with("USER#") => found.user = Some(User::from_item(&item)?),
                _ => found.email_taken = true,
            }
        }
        Ok(found)
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
