//! Passkeys in the sessions table:
//!
//! - `passkey#<credential id>` in the account's partition: one passkey,
//!   its public key as webauthn-rs serialises it (opaque here), its
//!   signature counter (kept as a number, so that using it is one
//!   conditional write), its name and when it was added and last used;
//!   deleted with the account;
//! - `passkey-reg#<SHA-256 of the challenge>` in the account's partition:
//!   a registration under way (webauthn-rs's state), 5 minutes, used once;
//! - a partition of its own, `passkey-login#<SHA-256 of the challenge>`,
//!   for each challenge a log-in page offered: 5 minutes, used once. It
//!   belongs to no account until an assertion names one.
//!
//! Each has `expires_at` (the TTL attribute; expiry is checked on use).

use aws_sdk_dynamodb::types::ReturnValue;

use super::item::{get_n, get_s, n, s, Item};
use super::sessions::key;
use super::tx::{Cond, Tx};
use super::usage::Counted;
use super::{send, unavailable, Result, Store};

pub(crate) const PASSKEY_PREFIX: &str = "passkey#";
pub(crate) const REGISTRATION_PREFIX: &str = "passkey-reg#";
const LOGIN_PREFIX: &str = "passkey-login#";
const CHALLENGE_SK: &str = "challenge";

/// One passkey of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Passkey {
    pub(crate) account_id: String,
    /// The credential id, base64url.
    pub(crate) cred_id: String,
    /// Names it in the remove form; unrelated to the credential id.
    pub(crate) public_id: String,
    pub(crate) name: String,
    pub(crate) created_at: i64,
    /// 0: never used to sign in.
    pub(crate) last_used: i64,
    /// The last signature counter seen (0: the authenticator keeps none).
    pub(crate) counter: i64,
    /// The credential (public key, flags) as webauthn-rs serialises it.
    pub(crate) key: String,
}

impl Passkey {
    pub(crate) fn sk(&self) -> String {
        format!("{PASSKEY_PREFIX}{}", self.cred_id)
    }

    fn to_item(&self) -> Item {
        let mut item = key(&self.account_id, &self.sk());
        item.extend([
            ("public_id".into(), s(&self.public_id)),
            ("name".into(), s(&self.name)),
            ("created_at".into(), n(self.created_at)),
            ("last_used".into(), n(self.last_used)),
            ("counter".into(), n(self.counter)),
            ("passkey".into(), s(&self.key)),
        ]);
        item
    }

    pub(super) fn from_item(item: &Item) -> Result<Self> {
        let sk = get_s(item, "sk")?;
        let cred_id = sk
            .strip_prefix(PASSKEY_PREFIX)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| super::item::malformed("sk"))?;
        Ok(Passkey {
            account_id: get_s(item, "account_id")?,
            cred_id: cred_id.to_string(),
            public_id: get_s(item, "public_id")?,
            name: get_s(item, "name")?,
            created_at: get_n(item, "created_at")?,
            last_used: get_n(item, "last_used").unwrap_or(0),
            counter: get_n(item, "counter")?,
            key: get_s(item, "passkey")?,
        })
    }
}

fn login_key(challenge_hash: &str) -> Item {
    key(&format!("{LOGIN_PREFIX}{challenge_hash}"), CHALLENGE_SK)
}

fn registration_key(account_id: &str, challenge_hash: &str) -> Item {
    key(
        account_id,
        &format!("{REGISTRATION_PREFIX}{challenge_hash}"),
    )
}

impl Store {
    /// Keeps a log-in page's challenge until `expires_at`.
    pub(crate) async fn put_login_challenge(&self, hash: &str, expires_at: i64) -> Result<()> {
        let mut item = login_key(hash);
        item.insert("expires_at".into(), n(expires_at));
        let request = self
            .client
            .put_item()
            .table_name(&self.sessions)
            .set_item(Some(item));
        send!(self, Write, request).map(|_| ()).map_err(unavailable)
    }

    /// Uses a log-in page's challenge up: `true` once, while it is fresh;
    /// `false` for one never offered, used, or past its time.
    pub(crate) async fn take_login_challenge(&self, hash: &str, now: i64) -> Result<bool> {
        let request = self
            .client
            .delete_item()
            .table_name(&self.sessions)
            .set_key(Some(login_key(hash)))
            .condition_expression("attribute_exists(sk) AND expires_at > :now")
            .expression_attribute_values(":now", n(now));
        match send!(self, Write, request) {
            Ok(_) => Ok(true),
            Err(e) if super::is_conditional_failure(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Keeps a registration's state (webauthn-rs's, serialised) in the
    /// account's partition until `expires_at`.
    pub(crate) async fn put_registration(
        &self,
        account_id: &str,
        hash: &str,
        state: &str,
        expires_at: i64,
    ) -> Result<()> {
        let mut item = registration_key(account_id, hash);
        item.extend([
            ("state".into(), s(state)),
            ("expires_at".into(), n(expires_at)),
        ]);
        let request = self
            .client
            .put_item()
            .table_name(&self.sessions)
            .set_item(Some(item));
        send!(self, Write, request).map(|_| ()).map_err(unavailable)
    }

    /// Uses a registration's state up: once, while it is fresh.
    pub(crate) async fn take_registration(
        &self,
        account_id: &str,
        hash: &str,
        now: i64,
    ) -> Result<Option<String>> {
        let request = self
            .client
            .delete_item()
            .table_name(&self.sessions)
            .set_key(Some(registration_key(account_id, hash)))
            .condition_expression("attribute_exists(sk) AND expires_at > :now")
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllOld);
        match send!(self, Write, request) {
            Ok(out) => Ok(out.attributes().and_then(|a| get_s(a, "state").ok())),
            Err(e) if super::is_conditional_failure(&e) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}

impl Tx<'_> {
    /// Adds a passkey; never over another with its credential id.
    pub(crate) fn put_passkey(self, p: &Passkey) -> Result<Self> {
        let table = self.store.sessions.clone();
        let cond = Cond {
            expr: "attribute_not_exists(sk)",
            values: vec![],
        };
        self.put(&table, p.to_item(), Some(cond))
    }

    /// Removes a passkey that is still there.
    pub(crate) fn delete_passkey(self, p: &Passkey) -> Result<Self> {
        let table = self.store.sessions.clone();
        let cond = Cond {
            expr: "attribute_exists(sk)",
            values: vec![],
        };
        self.delete(&table, key(&p.account_id, &p.sk()), Some(cond))
    }

    /// A sign-in with the passkey: its counter moves to `counter`, only
    /// while it is still there and the counter goes up (or stays 0, for
    /// an authenticator that keeps none): of two assertions with one
    /// counter value, one wins; a cloned key's older value loses.
    pub(crate) fn use_passkey(self, p: &Passkey, counter: i64, now: i64) -> Result<Self> {
        let table = self.store.sessions.clone();
        let expr = if counter == 0 { "#c = :c" } else { "#c < :c" };
        let cond = Cond {
            expr,
            values: vec![(":c", n(counter)), (":now", n(now))],
        };
        let update = "SET #c = :c, last_used = :now";
        self.update(
            &table,
            key(&p.account_id, &p.sk()),
            update,
            cond,
            &[("#c", "counter")],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passkey() -> Passkey {
        Passkey {
            account_id: "acc".into(),
            cred_id: "Y3JlZA".into(),
            public_id: "pub".into(),
            name: "Laptop".into(),
            created_at: 10,
            last_used: 0,
            counter: 3,
            key: "{}".into(),
        }
    }

    #[test]
    fn a_passkey_reads_back_as_written() {
        let p = passkey();
        assert_eq!(Passkey::from_item(&p.to_item()).unwrap(), p);
        let mut item = p.to_item();
        item.insert("sk".into(), s(PASSKEY_PREFIX));
        assert!(Passkey::from_item(&item).is_err());
        item.insert("sk".into(), s("session#x"));
        assert!(Passkey::from_item(&item).is_err());
    }

    #[test]
    fn login_challenges_have_a_partition_of_their_own() {
        let k = login_key("abc");
        assert_eq!(k["account_id"], s("passkey-login#abc"));
        assert_eq!(k["sk"], s(CHALLENGE_SK));
        let k = registration_key("acc", "abc");
        assert_eq!(k["account_id"], s("acc"));
        assert_eq!(k["sk"], s("passkey-reg#abc"));
    }
}
