//! The account's row in its sessions partition (`sk = account`): who the
//! account is, as its pages show it (so a signed-in page reads nothing of
//! the users table), and the numbers everything in the partition is held
//! to: the sessions' `epoch` (a session counts only while it is the
//! row's) and the account's `generation` (trusted browsers and pending
//! sign-ins count only while it is theirs), mirrored from the account
//! item in the same transactions that change it.

use aws_sdk_dynamodb::types::AttributeValue;

use super::item::{get_n, get_s, n, s, Item};
use super::sessions::key;
use super::tx::{Cond, Tx};
use super::users::flag;
use super::{Result, User};

/// The sort key of the account's row.
pub(crate) const ACCOUNT_SK: &str = "account";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccountRow {
    pub(crate) account_id: String,
    /// The case-folded username (the users table's key).
    pub(crate) user_key: String,
    pub(crate) username: String,
    pub(crate) email: String,
    pub(crate) member_since: i64,
    /// Mirrors the account's flag (written in the same transactions), so
    /// `/account` needs no read of the users table.
    pub(crate) email_confirmed: bool,
    /// Whether two-factor sign-in is on (mirrored likewise).
    pub(crate) two_factor: bool,
    /// The account's generation (mirrored likewise).
    pub(crate) generation: i64,
    /// Sessions issued under another epoch are ended.
    pub(crate) epoch: i64,
}

impl AccountRow {
    /// A new account's row: its sessions start at epoch 1.
    pub(crate) fn new(user: &User) -> Self {
        AccountRow {
            account_id: user.account_id.clone(),
            user_key: user.key.clone(),
            username: user.username.clone(),
            email: user.email.clone(),
            member_since: user.created_at,
            email_confirmed: user.email_confirmed,
            two_factor: user.totp.is_some(),
            generation: user.generation,
            epoch: 1,
        }
    }

    pub(super) fn to_item(&self) -> Item {
        let mut item = key(&self.account_id, ACCOUNT_SK);
        item.extend([
            ("user_key".into(), s(&self.user_key)),
            ("username".into(), s(&self.username)),
            ("email".into(), s(&self.email)),
            ("member_since".into(), n(self.member_since)),
            (
                "email_confirmed".into(),
                AttributeValue::Bool(self.email_confirmed),
            ),
            ("two_factor".into(), AttributeValue::Bool(self.two_factor)),
            ("generation".into(), n(self.generation)),
            ("epoch".into(), n(self.epoch)),
        ]);
        item
    }

    pub(super) fn from_item(item: &Item) -> Result<Self> {
        Ok(AccountRow {
            account_id: get_s(item, "account_id")?,
            user_key: get_s(item, "user_key")?,
            username: get_s(item, "username")?,
            email: get_s(item, "email")?,
            member_since: get_n(item, "member_since")?,
            email_confirmed: flag(item, "email_confirmed"),
            two_factor: flag(item, "two_factor"),
            generation: get_n(item, "generation")?,
            epoch: get_n(item, "epoch")?,
        })
    }
}

/// What one write changes on the row (a transaction may name an item only
/// once, so a flow's changes go together).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RowChange {
    /// Ends every session of this epoch: the row moves on to the next, only
    /// from this one.
    pub(crate) end_sessions_of: Option<i64>,
    /// Ends every session, whatever the epoch (a reset).
    pub(crate) end_all_sessions: bool,
    /// The account's generation moved on (password change or reset,
    /// two-factor on or off): every device cookie, trusted browser and
    /// pending sign-in issued before it ends.
    pub(crate) next_generation: bool,
    /// The address is confirmed.
    pub(crate) confirmed: bool,
    /// Two-factor sign-in turned on or off.
    pub(crate) two_factor: Option<bool>,
}

impl RowChange {
    /// The update expression and its condition.
    fn expressions(&self) -> (String, Cond<'static>) {
        let mut set = Vec::new();
        let mut add = Vec::new();
        let mut cond = Cond {
            expr: "attribute_exists(sk)",
            values: vec![(":one", n(1)), (":t", AttributeValue::Bool(true))],
        };
        if let Some(e) = self.end_sessions_of {
            cond.expr = "epoch = :e";
            cond.values.extend([(":e", n(e)), (":next", n(e + 1))]);
            set.push("epoch = :next");
        }
        if self.end_all_sessions {
            add.push("epoch :one");
        }
        if self.next_generation {
            add.push("generation :one");
        }
        if self.confirmed {
            set.push("email_confirmed = :t");
        }
        if let Some(on) = self.two_factor {
            cond.values.push((":tf", AttributeValue::Bool(on)));
            set.push("two_factor = :tf");
        }
        let mut expr = String::new();
        if !set.is_empty() {
            expr.push_str(&format!("SET {}", set.join(", ")));
        }
        if !add.is_empty() {
            expr.push_str(&format!(" ADD {}", add.join(", ")));
        }
        (expr.trim().to_string(), cond)
    }
}

/// Whether `expr` uses the value `name` (not just a longer name it starts).
fn uses(expr: &str, name: &str) -> bool {
    expr.match_indices(name).any(|(i, _)| {
        let after = expr[i + name.len()..].chars().next();
        !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

impl Tx<'_> {
    /// The account's row, created with the account.
    pub(crate) fn put_account_row(self, row: &AccountRow) -> Result<Self> {
        let table = self.store.sessions.clone();
        let cond = Cond {
            expr: "attribute_not_exists(sk)",
            values: Vec::new(),
        };
        self.put(&table, row.to_item(), Some(cond))
    }

    /// The account's sessions are still in `epoch` (a new session of that
    /// epoch counts only then; absent when the account was deleted).
    pub(crate) fn check_epoch(self, account_id: &str, epoch: i64) -> Result<Self> {
        let table = self.store.sessions.clone();
        let cond = Cond {
            expr: "epoch = :e",
            values: vec![(":e", n(epoch))],
        };
        self.check(&table, key(account_id, ACCOUNT_SK), cond)
    }

    /// One change to the row (only while it exists, or, ending a given
    /// epoch's sessions, only while that is still its epoch).
    pub(crate) fn change_row(self, account_id: &str, change: RowChange) -> Result<Self> {
        let table = self.store.sessions.clone();
        let (expr, cond) = change.expressions();
        // Only the values the expressions use may be sent (whole names:
        // `:t` is not used by `:tf`).
        let used = |k: &str| uses(&expr, k) || uses(cond.expr, k);
        let cond = Cond {
            expr: cond.expr,
            values: cond.values.into_iter().filter(|(k, _)| used(k)).collect(),
        };
        self.update(&table, key(account_id, ACCOUNT_SK), &expr, cond, &[])
    }

    /// The account's row goes, and with it every session (deletion).
    pub(crate) fn delete_account_row(self, account_id: &str) -> Result<Self> {
        let table = self.store.sessions.clone();
        self.delete(&table, key(account_id, ACCOUNT_SK), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_one_update_with_only_the_values_it_uses() {
        let (expr, cond) = RowChange {
            end_sessions_of: Some(4),
            next_generation: true,
            ..Default::default()
        }
        .expressions();
        assert_eq!(expr, "SET epoch = :next ADD generation :one");
        assert_eq!(cond.expr, "epoch = :e");
        let (expr, cond) = RowChange {
            end_all_sessions: true,
            next_generation: true,
            confirmed: true,
            ..Default::default()
        }
        .expressions();
        assert_eq!(
            expr,
            "SET email_confirmed = :t ADD epoch :one, generation :one"
        );
        assert_eq!(cond.expr, "attribute_exists(sk)");
        let (expr, _) = RowChange {
            two_factor: Some(false),
            ..Default::default()
        }
        .expressions();
        assert_eq!(expr, "SET two_factor = :tf");
    }

    #[test]
    fn a_value_is_used_by_its_whole_name_only() {
        assert!(!uses("SET two_factor = :tf", ":t"));
        assert!(uses("SET a = :t, b = :tf", ":t"));
        assert!(uses("SET email_confirmed = :t", ":t"));
        assert!(uses("epoch = :e", ":e"));
        assert!(!uses("SET epoch = :next", ":n"));
    }
}
