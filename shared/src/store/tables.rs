//! Table creation for the tests, the bench and the local server (never
//! deployed: template.yaml creates the tables on AWS, with the same keys
//! and TTL; a test compares the two).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};

use std::collections::HashMap;

use super::item::{get_s, Item};
use super::rows::{AccountRow, ACCOUNT_SK};
use super::tokens::TOKENS_BY_ACCOUNT;
use super::{bug, unavailable, Result, Session, Store, StoreError, User};

/// Each table: its name, its key attributes (hash, then range), whether
/// `expires_at` is its TTL attribute, and its global secondary indexes
/// (name, hash key; keys only).
pub(crate) type TableSpec<'a> = (
    &'a str,
    &'static [&'static str],
    bool,
    &'static [(&'static str, &'static str)],
);

impl Store {
    pub(crate) fn table_specs(&self) -> [TableSpec<'_>; 4] {
        [
            (&self.users, &["pk"], false, &[]),
            (&self.sessions, &["account_id", "sk"], true, &[]),
            (&self.throttle, &["pk"], true, &[]),
            (
                &self.tokens,
                &["pk"],
                true,
                &[(TOKENS_BY_ACCOUNT, "account_id")],
            ),
        ]
    }

    /// The table whose stream (new images) feeds the mailer.
    pub(crate) fn stream_table(&self) -> &str {
        &self.tokens
    }

    /// Creates the tables when absent (the tokens table with its stream).
    pub(crate) async fn create_tables(&self) -> Result<()> {
        let existing = self
            .client
            .list_tables()
            .send()
            .await
            .map_err(unavailable)?;
        let existing = existing.table_names();
        for (table, keys, ttl, indexes) in self.table_specs() {
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
                let attr = string_attribute(k)?;
                let key = KeySchemaElement::builder()
                    .attribute_name(*k)
                    .key_type(kind)
                    .build()
                    .map_err(bug("key"))?;
                req = req.attribute_definitions(attr).key_schema(key);
            }
            for (index, hash) in indexes {
                req = req
                    .attribute_definitions(string_attribute(hash)?)
                    .global_secondary_indexes(keys_only_index(index, hash)?);
            }
            if table == self.stream_table() {
                let stream = StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewImage)
                    .build()
                    .map_err(bug("stream"))?;
                req = req.stream_specification(stream);
            }
            req.send().await.map_err(unavailable)?;
            if ttl {
                let spec = TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name("expires_at")
                    .build()
                    .map_err(bug("ttl"))?;
                self.client
                    .update_time_to_live()
                    .table_name(table)
                    .time_to_live_specification(spec)
                    .send()
                    .await
                    .map_err(unavailable)?;
            }
        }
        Ok(())
    }

    /// Every item of `table`, read with `Scan` (tests and tools only: the
    /// functions are granted no `Scan`).
    pub(crate) async fn scan_all(&self, table: &str) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// Reads the users and sessions tables whole and checks that nothing is
    /// half-written: each account readable and holding its address's
    /// marker and its sessions' row, each marker pointing at an account
    /// with that address, each row belonging to an account with its id,
    /// each session readable. What it found, or every problem.
    pub(crate) async fn check_tables(&self) -> std::result::Result<TableCheck, Vec<String>> {
        let read = |e: StoreError| vec![e.to_string()];
        let users = self.scan_all(&self.users).await.map_err(read)?;
        let sessions = self.scan_all(&self.sessions).await.map_err(read)?;
        let (accounts, mut problems) = accounts_and_markers(&users);
        let mut rows = HashMap::new();
        let mut stored = Vec::new();
        for item in &sessions {
            let sk = get_s(item, "sk").unwrap_or_default();
            if sk == ACCOUNT_SK {
                match AccountRow::from_item(item) {
                    Ok(r) => {
                        rows.insert(r.account_id.clone(), r);
                    }
                    Err(e) => problems.push(format!("an account row: {e}")),
                }
            } else if sk.starts_with(super::sessions::SESSION_PREFIX) {
                // (Other items: trusted browsers, passkeys, challenges.)
                match Session::from_item(item) {
                    Ok(s) => stored.push(s),
                    Err(e) => problems.push(format!("a session: {e}")),
                }
            }
        }
        problems.extend(rows_problems(&accounts, &rows));
        if !problems.is_empty() {
            return Err(problems);
        }
        // A session without its row belongs to a deleted account: it counts
        // for nothing (the gate needs the row), left for TTL to remove.
        let orphans = stored
            .iter()
            .filter(|s| !rows.contains_key(&s.account_id))
            .count();
        Ok(TableCheck {
            accounts: accounts.len(),
            sessions: stored.len() - orphans,
            orphan_sessions: orphans,
            usernames: accounts.into_values().map(|u| u.username).collect(),
        })
    }
}

/// Each account has its sessions' row, and each row an account with its
/// id and name.
fn rows_problems(
    accounts: &HashMap<String, User>,
    rows: &HashMap<String, AccountRow>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (key, user) in accounts {
        match rows.get(&user.account_id) {
            Some(r) if r.user_key == *key && r.username == user.username => {}
            Some(r) => problems.push(format!("USER#{key}: its row names {:?}", r.user_key)),
            None => problems.push(format!("USER#{key}: no account row in the sessions table")),
        }
    }
    for (id, row) in rows {
        let owned = accounts
            .get(&row.user_key)
            .is_some_and(|u| u.account_id == *id);
        if !owned {
            problems.push(format!(
                "account row {id}: no account {} with that id",
                row.user_key
            ));
        }
    }
    problems
}

fn string_attribute(name: &str) -> Result<AttributeDefinition> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(bug("attribute"))
}

fn keys_only_index(name: &str, hash: &str) -> Result<GlobalSecondaryIndex> {
    let key = KeySchemaElement::builder()
        .attribute_name(hash)
        .key_type(KeyType::Hash)
        .build()
        .map_err(bug("index key"))?;
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::KeysOnly)
                .build(),
        )
        .build()
        .map_err(bug("index"))
}

/// The users table's accounts by key, and what is wrong: an account
/// without its address's marker, a marker without its account.
fn accounts_and_markers(users: &[Item]) -> (HashMap<String, User>, Vec<String>) {
    let mut problems = Vec::new();
    let mut accounts = HashMap::new();
    let mut markers = HashMap::new();
    for item in users {
        let pk = get_s(item, "pk").unwrap_or_default();
        if pk.starts_with("USER#") {
            match User::from_item(item) {
                Ok(u) => {
                    accounts.insert(u.key.clone(), u);
                }
                Err(e) => problems.push(format!("{pk}: {e}")),
            }
        } else if let Some(email) = pk.strip_prefix("EMAIL#") {
            let owner = get_s(item, "user_key").unwrap_or_default();
            markers.insert(email.to_string(), owner);
        } else {
            problems.push(format!(
                "an item that is neither account nor marker: {pk:?}"
            ));
        }
    }
    for (key, user) in &accounts {
        let email = crate::validate::email_key(&user.email);
        if markers.get(&email) != Some(key) {
            problems.push(format!(
                "USER#{key}: no EMAIL#{email} marker pointing at it"
            ));
        }
    }
    for (email, owner) in &markers {
        let holds = accounts
            .get(owner)
            .is_some_and(|u| crate::validate::email_key(&u.email) == *email);
        if !holds {
            problems.push(format!(
                "EMAIL#{email}: no account USER#{owner} with that address"
            ));
        }
    }
    (accounts, problems)
}

/// What `check_tables` found: whole accounts (each with its address) and
/// sessions that each belong to one.
#[derive(Debug, Clone, Default)]
pub struct TableCheck {
    pub accounts: usize,
    /// Sessions of existing accounts (live or not).
    pub sessions: usize,
    /// Sessions of deleted accounts not yet cleaned up (they count for
    /// nothing: the account's row is gone).
    pub orphan_sessions: usize,
    /// Every account's name, as registered.
    pub usernames: Vec<String>,
}
