//! The tokens table: one-time links and the email each asks for. Every
//! item inserted is also a request for one message, so the link and the
//! mail that carries it are one write; the table's stream (NEW_IMAGE)
//! hands each new item to the mailer. An item holds what the mailer needs
//! (kind, account, address, the link's nonce) and never a usable token:
//! the key is SHA-256 of the token and the token is an HMAC of the nonce
//! (`crypto::LinkToken`).

use std::collections::HashMap;

use super::item::{get_n, get_s, n, s, Item};
use super::tx::{Cond, Tx};
use super::usage::Counted;
use super::users::user_pk;
use super::{send, unavailable, Result, Store};

/// What a mail request asks the mailer to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MailKind {
    /// After registration: welcome, with a confirmation link.
    Welcome,
    /// A fresh confirmation link (`/account/email/resend`).
    Confirm,
    /// A password-reset link (`/password/forgot`).
    Reset,
    /// A notice that the password changed (always sent, no link).
    PasswordChanged,
    /// Notices of the account's sign-in settings (no link).
    TwoFactorOn,
    TwoFactorOff,
    RecoveryCodesNew,
    RecoveryCodeUsed,
    PasskeyAdded,
    PasskeyRemoved,
}

impl MailKind {
    const ALL: [MailKind; 10] = [
        MailKind::Welcome,
        MailKind::Confirm,
        MailKind::Reset,
        MailKind::PasswordChanged,
        MailKind::TwoFactorOn,
        MailKind::TwoFactorOff,
        MailKind::RecoveryCodesNew,
        MailKind::RecoveryCodeUsed,
        MailKind::PasskeyAdded,
        MailKind::PasskeyRemoved,
    ];

    /// A settings notice's subject and what it says happened; `None` for
    /// the kinds with templates of their own.
    pub(crate) fn notice(self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            MailKind::TwoFactorOn => (
                "Two-factor sign-in was turned on",
                "Two-factor sign-in was just turned on for your account: signing in now takes a code from your authenticator app too.",
            ),
            MailKind::TwoFactorOff => (
                "Two-factor sign-in was turned off",
                "Two-factor sign-in was just turned off for your account, every other browser signed in to it was signed out, and its trusted browsers were forgotten.",
            ),
            MailKind::RecoveryCodesNew => (
                "New recovery codes were made",
                "New recovery codes were just made for your account; the earlier ones no longer work.",
            ),
            MailKind::RecoveryCodeUsed => (
                "A recovery code was used to sign in",
                "One of your recovery codes was just used to sign in to your account; it no longer works.",
            ),
            MailKind::PasskeyAdded => (
                "A passkey was added",
                "A passkey was just added to your account: it can now sign in without the password.",
            ),
            MailKind::PasskeyRemoved => (
                "A passkey was removed",
                "A passkey was just removed from your account.",
            ),
            _ => return None,
        })
    }
}

impl MailKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MailKind::Welcome => "welcome",
            MailKind::Confirm => "confirm",
            MailKind::Reset => "reset",
            MailKind::PasswordChanged => "password_changed",
            MailKind::TwoFactorOn => "two_factor_on",
            MailKind::TwoFactorOff => "two_factor_off",
            MailKind::RecoveryCodesNew => "recovery_codes_new",
            MailKind::RecoveryCodeUsed => "recovery_code_used",
            MailKind::PasskeyAdded => "passkey_added",
            MailKind::PasskeyRemoved => "passkey_removed",
        }
    }

    pub(crate) fn parse(v: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == v)
    }

    /// The key prefix of the item (a link's kind, or a plain notice).
    fn prefix(self) -> &'static str {
        match self {
            MailKind::Welcome | MailKind::Confirm => "CONFIRM#",
            MailKind::Reset => "RESET#",
            _ => "MAIL#",
        }
    }
}

/// The key of a reset link's item.
pub(crate) fn reset_pk(hash: &str) -> String {
    format!("RESET#{hash}")
}

/// The key of a confirmation link's item.
pub(crate) fn confirm_pk(hash: &str) -> String {
    format!("CONFIRM#{hash}")
}

/// One item of the tokens table: a link (or a notice) and its mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MailItem {
    /// `RESET#<hash>`, `CONFIRM#<hash>` or `MAIL#<id>`.
    pub(crate) pk: String,
    pub(crate) kind: MailKind,
    /// The account; absent for a reset asked for an unknown address (the
    /// mailer drops it: nothing is ever sent to an address without one).
    pub(crate) user_key: Option<String>,
    /// The account's id: the mailer sends only while the account holding
    /// `user_key` is still this one (not a new account that took the name),
    /// and a deletion finds the account's items by it (`TOKENS_BY_ACCOUNT`).
    pub(crate) account_id: Option<String>,
    /// The address the mail goes to (the account's, when there is one).
    pub(crate) to: Option<String>,
    /// Turns into the link's token with the mail key (links only).
    pub(crate) nonce: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
}

impl MailItem {
    /// A request for `kind`, keyed by the link's hash or a notice's id.
    pub(crate) fn new(kind: MailKind, id: &str, created_at: i64, expires_at: i64) -> MailItem {
        MailItem {
            pk: format!("{}{id}", kind.prefix()),
            kind,
            user_key: None,
            account_id: None,
            to: None,
            nonce: None,
            created_at,
            expires_at,
        }
    }

    /// The link's hash (the key without its prefix).
    pub(crate) fn hash(&self) -> &str {
        self.pk.split_once('#').map(|(_, h)| h).unwrap_or_default()
    }

    pub(crate) fn to_item(&self) -> Item {
        let mut item = HashMap::from([
            ("pk".to_string(), s(&self.pk)),
            ("mail_kind".to_string(), s(self.kind.as_str())),
            ("created_at".to_string(), n(self.created_at)),
            ("expires_at".to_string(), n(self.expires_at)),
        ]);
        for (k, v) in [
            ("user_key", &self.user_key),
            ("account_id", &self.account_id),
            ("to", &self.to),
            ("nonce", &self.nonce),
        ] {
            if let Some(v) = v {
                item.insert(k.to_string(), s(v));
            }
        }
        item
    }

    /// An item as stored (or as a stream record's new image); `None` when
    /// it is not a mail request.
    pub(crate) fn from_item(item: &Item) -> Option<MailItem> {
        Some(MailItem {
            pk: get_s(item, "pk").ok()?,
            kind: MailKind::parse(&get_s(item, "mail_kind").ok()?)?,
            user_key: get_s(item, "user_key").ok(),
            account_id: get_s(item, "account_id").ok(),
            to: get_s(item, "to").ok(),
            nonce: get_s(item, "nonce").ok(),
            created_at: get_n(item, "created_at").ok()?,
            expires_at: get_n(item, "expires_at").ok()?,
        })
    }
}

/// What the mailer reads of an account: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recipient {
    pub(crate) account_id: String,
    pub(crate) username: String,
    pub(crate) email: String,
    pub(crate) reset_hash: Option<String>,
    pub(crate) confirm_hash: Option<String>,
}

/// The attributes the mailer may read (its IAM grant names the same).
pub(crate) const RECIPIENT_ATTRIBUTES: &str =
    "pk, account_id, username, email, reset_hash, confirm_hash";

/// The tokens table's index by account (keys only, sparse: an item
/// without an account is not in it), so a deletion finds the account's
/// links and notices. template.yaml declares it with this name.
pub(crate) const TOKENS_BY_ACCOUNT: &str = "by_account";

fn key(pk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk))])
}

impl Store {
    /// A link's item, strongly consistent.
    pub(crate) async fn get_token(&self, pk: &str) -> Result<Option<MailItem>> {
        let request = self
            .client
            .get_item()
            .table_name(&self.tokens)
            .set_key(Some(key(pk)))
            .consistent_read(true);
        let out = send!(self, Read, request).map_err(unavailable)?;
        Ok(out.item().and_then(MailItem::from_item))
    }

    /// The account a mail goes to, without its password hash.
    pub(crate) async fn get_recipient(&self, user_key: &str) -> Result<Option<Recipient>> {
        let request = self
            .client
            .get_item()
            .table_name(&self.users)
            .key("pk", s(user_pk(user_key)))
            .projection_expression(RECIPIENT_ATTRIBUTES)
            .consistent_read(true);
        let out = send!(self, Read, request).map_err(unavailable)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        Ok(Some(Recipient {
            account_id: get_s(item, "account_id")?,
            username: get_s(item, "username")?,
            email: get_s(item, "email")?,
            reset_hash: get_s(item, "reset_hash").ok(),
            confirm_hash: get_s(item, "confirm_hash").ok(),
        }))
    }

    /// The keys of every item the account has in the tokens table (its
    /// links and notices), from the index by account. The index is
    /// eventually consistent: an item written an instant ago may be
    /// missing, and the mailer drops it anyway once the account is gone.
    pub(crate) async fn tokens_of(&self, account_id: &str) -> Result<Vec<String>> {
        let mut pks = Vec::new();
        let mut start = None;
        loop {
            let request = self
                .client
                .query()
                .table_name(&self.tokens)
                .index_name(TOKENS_BY_ACCOUNT)
                .key_condition_expression("account_id = :a")
                .expression_attribute_values(":a", s(account_id))
                .set_exclusive_start_key(start);
            let out = send!(self, Read, request).map_err(unavailable)?;
            pks.extend(out.items().iter().filter_map(|i| get_s(i, "pk").ok()));
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(pks),
            }
        }
    }

    /// Deletes these items of the tokens table, best effort (a deletion's
    /// leftovers: the mailer no longer sends them).
    pub(crate) async fn clean_up_tokens(&self, pks: &[String]) -> usize {
        let keys = pks.iter().map(|pk| key(pk)).collect();
        self.batch_delete(&self.tokens, keys).await
    }

    /// Stores mail requests as they are, in batches (tests and tools).
    #[cfg(feature = "test-util")]
    pub(crate) async fn plant_mail(&self, items: &[MailItem]) -> usize {
        let items = items.iter().map(MailItem::to_item).collect();
        self.batch_put(&self.tokens, items).await
    }

    /// Marks a mail request as being sent, before its one attempt: only if
    /// it is still there and not marked, so a retried batch never sends it
    /// twice. `false`: sent already, or gone (the link was used or the
    /// account deleted meanwhile).
    pub(crate) async fn mark_sending(&self, pk: &str, claim: &str) -> Result<bool> {
        let request = self
            .client
            .update_item()
            .table_name(&self.tokens)
            .set_key(Some(key(pk)))
            .update_expression("SET sent_by = :claim")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(sent_by)")
            .expression_attribute_values(":claim", s(claim));
        match send!(self, Write, request) {
            Ok(_) => Ok(true),
            Err(e) if super::is_conditional_failure(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Takes the mark back after a temporary failure to send, so Lambda's
    /// retry of the record sends it (only the mark this attempt made).
    pub(crate) async fn unmark_sending(&self, pk: &str, claim: &str) -> Result<()> {
        let request = self
            .client
            .update_item()
            .table_name(&self.tokens)
            .set_key(Some(key(pk)))
            .update_expression("REMOVE sent_by")
            .condition_expression("sent_by = :claim")
            .expression_attribute_values(":claim", s(claim));
        super::unless_gone(send!(self, Write, request))
    }
}

impl Tx<'_> {
    /// Writes a link or notice, and so asks the mailer to send it.
    pub(crate) fn put_mail(self, mail: &MailItem) -> Result<Self> {
        let tokens = self.store.tokens.clone();
        self.put(&tokens, mail.to_item(), None)
    }

    /// Uses up a link: its item goes, only if it is there and unexpired.
    pub(crate) fn use_token(self, pk: &str, now: i64) -> Result<Self> {
        let tokens = self.store.tokens.clone();
        let cond = Cond {
            expr: "attribute_exists(pk) AND expires_at > :now",
            values: vec![(":now", n(now))],
        };
        self.delete(&tokens, key(pk), Some(cond))
    }

    /// Deletes a link's item if there is one (a replaced or dead link).
    pub(crate) fn delete_token(self, pk: &str) -> Result<Self> {
        let tokens = self.store.tokens.clone();
        self.delete(&tokens, key(pk), None)
    }
}

/// The item of a link that is not there: what a request deletes when there
/// is no earlier link to replace, so it costs what a replacement does.
pub(crate) const NO_LINK: &str = "NONE#";
