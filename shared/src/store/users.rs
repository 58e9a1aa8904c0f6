//! Accounts, and the markers that keep an email address to one account.
//! The account item also says which one-time links are outstanding
//! (`reset_hash`, `confirm_hash`): a link works only while its hash is
//! there, so asking again replaces the earlier link, and every password
//! write (`Tx::set_password`, `Tx::use_reset`) removes `reset_hash`, which
//! ties a reset link to the password it was issued for.
//!
//! Two values tie what was issued to an account to that account as it is
//! now: `account_id`, random and never reused (a new account that takes a
//! freed name has another, so nothing issued to the old one fits it), and
//! `generation`, which every password change, reset and two-factor
//! turn-off advances (device cookies and trusted browsers carry the
//! generation they were issued under, and are worthless once it moves).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::item::{get_n, get_s, malformed, n, s, Item};
use super::tx::{Cond, Tx};
use super::usage::Counted;
use super::{bug, send, unavailable, unless_gone, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    /// Case-folded username: where the account is stored.
    pub(crate) key: String,
    /// Random, made at registration, never reused: the account's identity
    /// in everything issued to it (cookies, links, sessions).
    pub(crate) account_id: String,
    /// Advanced by every password change, reset and two-factor turn-off.
    pub(crate) generation: i64,
    /// As typed at registration.
    pub(crate) username: String,
    pub(crate) email: String,
    pub(crate) password_hash: String,
    pub(crate) created_at: i64,
    /// The one-time id of the registration form that created the account, so
    /// a retried submission of that same form succeeds instead of failing.
    pub(crate) registration_id: Option<String>,
    /// The person followed a confirmation or reset link sent to `email`.
    pub(crate) email_confirmed: bool,
    /// SHA-256 of the outstanding reset link's token, if any.
    pub(crate) reset_hash: Option<String>,
    /// SHA-256 of the outstanding confirmation link's token, if any.
    pub(crate) confirm_hash: Option<String>,
    /// Two-factor sign-in: the authenticator secret, sealed (`None`: off).
    pub(crate) totp: Option<String>,
    /// The last 30-second step whose code was accepted (each is accepted
    /// once).
    pub(crate) totp_step: i64,
    /// The keyed hashes of the recovery codes not yet used.
    pub(crate) recovery: Vec<String>,
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

pub(super) fn email_pk(email_key: &str) -> String {
    format!("EMAIL#{email_key}")
}

pub(super) fn pk(v: String) -> Item {
    HashMap::from([("pk".to_string(), s(v))])
}

/// No password change, reset or two-factor turn-off since the account was
/// read: what a new session for it checks (with its sessions' row, which
/// is gone once the account is, so a new account that took the name and
/// starts at the same generation does not pass for it).
///
/// The conditions here test only what a write must test (a generation, a
/// password hash, a link's hash: each unique to the account) and never
/// `account_id`: IAM lets a function write every attribute its conditions
/// name (`dynamodb:Attributes`), and no function but registration may
/// write an account's id.
pub(super) fn unchanged(user: &User) -> Cond<'static> {
    Cond {
        expr: "generation = :gen",
        values: vec![(":gen", n(user.generation))],
    }
}

/// The stored hash is still the one just verified (hashes are salted:
/// another account's, or the same account's after any change, differs).
pub(super) fn verified(user: &User) -> Cond<'static> {
    Cond {
        expr: "password_hash = :verified",
        values: vec![(":verified", s(&user.password_hash))],
    }
}

impl User {
    pub(super) fn to_item(&self) -> Item {
        let mut item = HashMap::from([
            ("pk".into(), s(user_pk(&self.key))),
            ("account_id".into(), s(&self.account_id)),
            ("generation".into(), n(self.generation)),
            ("username".into(), s(&self.username)),
            ("email".into(), s(&self.email)),
            ("password_hash".into(), s(&self.password_hash)),
            ("created_at".into(), n(self.created_at)),
        ]);
        let optional = [
            ("registration_id", &self.registration_id),
            ("reset_hash", &self.reset_hash),
            ("confirm_hash", &self.confirm_hash),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                item.insert(k.into(), s(v));
            }
        }
        if self.email_confirmed {
            item.insert("email_confirmed".into(), AttributeValue::Bool(true));
        }
        if let Some(totp) = &self.totp {
            item.insert("totp".into(), s(totp));
            item.insert("totp_step".into(), n(self.totp_step));
        }
        if !self.recovery.is_empty() {
            item.insert("recovery".into(), AttributeValue::Ss(self.recovery.clone()));
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
            account_id: get_s(item, "account_id")?,
            generation: get_n(item, "generation")?,
            username: get_s(item, "username")?,
            email: get_s(item, "email")?,
            password_hash: get_s(item, "password_hash")?,
            created_at: get_n(item, "created_at")?,
            registration_id: get_s(item, "registration_id").ok(),
            email_confirmed: flag(item, "email_confirmed"),
            reset_hash: get_s(item, "reset_hash").ok(),
            confirm_hash: get_s(item, "confirm_hash").ok(),
            totp: get_s(item, "totp").ok(),
            totp_step: get_n(item, "totp_step").unwrap_or(0),
            recovery: item
                .get("recovery")
                .and_then(|v| v.as_ss().ok())
                .cloned()
                .unwrap_or_default(),
        })
    }
}

pub(super) fn flag(item: &Item, k: &str) -> bool {
    item.get(k)
        .and_then(|v| v.as_bool().ok())
        .copied()
        .unwrap_or(false)
}

impl Store {
    /// Creates the account and reserves its email in one transaction with
    /// `extra` (its sessions' row, the first session, the confirmation link
    /// and its mail: whatever must exist only if the account does); the
    /// account and the marker are each conditioned on their key being free,
    /// so of two racing registrations exactly one wins, and a fault leaves
    /// all of it or none.
    pub(crate) async fn create_user(
        &self,
        user: &User,
        email_key: &str,
        extra: Tx<'_>,
    ) -> Result<()> {
        let free = || Cond {
            expr: "attribute_not_exists(pk)",
            values: Vec::new(),
        };
        let marker = HashMap::from([
            ("pk".to_string(), s(email_pk(email_key))),
            ("user_key".to_string(), s(&user.key)),
        ]);
        let tx = self
            .tx()
            .put(&self.users, user.to_item(), Some(free()))?
            .put(&self.users, marker, Some(free()))?
            .append(extra);
        match tx.commit().await {
            Err(StoreError::Refused(failed)) if failed.contains(&0) => {
                Err(StoreError::UsernameTaken)
            }
            Err(StoreError::Refused(failed)) if failed.contains(&1) => Err(StoreError::EmailTaken),
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

    /// The account that holds `email_key`, from its marker.
    pub(crate) async fn user_for_email(&self, email_key: &str) -> Result<Option<String>> {
        let request = self
            .client
            .get_item()
            .table_name(&self.users)
            .key("pk", s(email_pk(email_key)))
            .consistent_read(true);
        let out = send!(self, Read, request).map_err(unavailable)?;
        out.item().map(|i| get_s(i, "user_key")).transpose()
    }

    /// Replaces a password hash stored with weaker Argon2 settings (at a
    /// login), only while it is still the hash that was verified: a rehash
    /// that loses a race to a change or reset changes nothing, so it never
    /// brings the old password back. Not a password change: outstanding
    /// reset links and the generation stay.
    pub(crate) async fn rehash_password(&self, user: &User, hash: &str) -> Result<()> {
        let request = self
            .client
            .update_item()
            .table_name(&self.users)
            .key("pk", s(user_pk(&user.key)))
            .update_expression("SET password_hash = :h")
            .condition_expression("password_hash = :verified")
            .expression_attribute_values(":h", s(hash))
            .expression_attribute_values(":verified", s(&user.password_hash));
        unless_gone(send!(self, Write, request))
    }
}

/// The account's writes that go into a transaction.
impl Tx<'_> {
    /// A password change: the new hash, the generation advanced and any
    /// outstanding reset link voided; only while the stored hash is still
    /// `user.password_hash`, the one the person just confirmed (a change
    /// that lost a race to a reset changes nothing).
    pub(crate) fn set_password(self, user: &User, hash: &str) -> Result<Self> {
        let users = self.store.users.clone();
        let mut cond = verified(user);
        cond.values.extend([(":p", s(hash)), (":one", n(1))]);
        let expr = "SET password_hash = :p ADD generation :one REMOVE reset_hash";
        self.update(&users, pk(user_pk(&user.key)), expr, cond, &[])
    }

    /// Points the account at its newest reset or confirmation link,
    /// replacing the earlier one; refused if the account is gone. (Should a
    /// new account have taken the name meanwhile, the link still names the
    /// old account's id, which nothing that uses links accepts for it.)
    pub(crate) fn set_link(self, user: &User, field: LinkField, hash: &str) -> Result<Self> {
        let users = self.store.users.clone();
        let cond = Cond {
            expr: "attribute_exists(pk)",
            values: vec![(":h", s(hash))],
        };
        let expr = format!("SET {} = :h", field.attribute());
        self.update(&users, pk(user_pk(&user.key)), &expr, cond, &[])
    }

    /// Uses a reset link: the new password, the generation advanced, the
    /// address confirmed (the link reached it), both links gone; only while
    /// `hash` is still the account's reset link (every other password write
    /// removes it; a link's hash is unique, so it names its account too).
    pub(crate) fn use_reset(self, user: &User, hash: &str, password_hash: &str) -> Result<Self> {
        let users = self.store.users.clone();
        let cond = Cond {
            expr: "reset_hash = :h",
            values: vec![
                (":h", s(hash)),
                (":p", s(password_hash)),
                (":t", AttributeValue::Bool(true)),
                (":one", n(1)),
            ],
        };
        let expr = "SET password_hash = :p, email_confirmed = :t ADD generation :one \
                    REMOVE reset_hash, confirm_hash";
        self.update(&users, pk(user_pk(&user.key)), expr, cond, &[])
    }

    /// Uses a confirmation link, only while `hash` is still the account's.
    pub(crate) fn use_confirm(self, key: &str, hash: &str) -> Result<Self> {
        let users = self.store.users.clone();
        let cond = Cond {
            expr: "confirm_hash = :h",
            values: vec![(":h", s(hash)), (":t", AttributeValue::Bool(true))],
        };
        let expr = "SET email_confirmed = :t REMOVE confirm_hash";
        self.update(&users, pk(user_pk(key)), expr, cond, &[])
    }

    /// The account may take a new session: it is the one that was read,
    /// with no password change, reset or two-factor turn-off since (a
    /// sign-in's transaction carries this check).
    pub(crate) fn check_unchanged(self, user: &User) -> Result<Self> {
        let users = self.store.users.clone();
        self.check(&users, pk(user_pk(&user.key)), unchanged(user))
    }

    /// Removes the account's registration form id (its first sign-in ends
    /// the form's resubmission for good), with `check_unchanged`'s
    /// condition: a transaction may name the account once.
    pub(crate) fn forget_registration(self, user: &User) -> Result<Self> {
        let users = self.store.users.clone();
        let expr = "REMOVE registration_id";
        self.update(&users, pk(user_pk(&user.key)), expr, unchanged(user), &[])
    }

    /// The account still holds the registration form id `id` (it has not
    /// signed in since): a resubmitted form's session checks this.
    pub(crate) fn check_registration(self, user: &User, id: &str) -> Result<Self> {
        let users = self.store.users.clone();
        let mut cond = unchanged(user);
        cond.expr = "generation = :gen AND registration_id = :rid";
        cond.values.push((":rid", s(id)));
        self.check(&users, pk(user_pk(&user.key)), cond)
    }

    /// No account holds `email_key` (what an unknown address's request
    /// writes besides its token, so it costs what a known one does).
    pub(crate) fn check_no_account(self, email_key: &str) -> Result<Self> {
        let users = self.store.users.clone();
        let cond = Cond {
            expr: "attribute_not_exists(pk)",
            values: Vec::new(),
        };
        self.check(&users, pk(email_pk(email_key)), cond)
    }

    /// Deletes the account, only while its password is still the one just
    /// confirmed, and its email claim (the claim only if it is this
    /// account's).
    pub(crate) fn delete_user(self, user: &User, email_key: &str) -> Result<Self> {
        let users = self.store.users.clone();
        let confirmed = verified(user);
        let mine = Cond {
            expr: "attribute_not_exists(pk) OR user_key = :k",
            values: vec![(":k", s(&user.key))],
        };
        self.delete(&users, pk(user_pk(&user.key)), Some(confirmed))?
            .delete(&users, pk(email_pk(email_key)), Some(mine))
    }
}

/// Which outstanding link an account field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkField {
    Reset,
    Confirm,
}

impl LinkField {
    fn attribute(self) -> &'static str {
        match self {
            LinkField::Reset => "reset_hash",
            LinkField::Confirm => "confirm_hash",
        }
    }
}
