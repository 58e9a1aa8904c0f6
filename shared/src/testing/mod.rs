//! Test helpers, behind the `test-util` feature: for shared's integration
//! tests, the bench and the local DynamoDB tool, never for the functions.
//! A clock that moves when told, the tables created as template.yaml
//! creates them, an in-process Dynoxide (`Env`), API Gateway v2 events and
//! a cookie-keeping `Browser`, the Lambda Runtime API stand-in, and the
//! few looks inside `App` that tests and the bench need.

pub mod authenticator;
mod browser;
mod env;
mod faults;
mod grants;
mod hold;
mod passkeys;
pub mod runtime_api;
mod second_factor;
pub mod ses_stub;
pub mod streams;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub use authenticator::{Authenticator, CounterMode};
pub use browser::{event, host, tamper, Browser, Page};
pub use env::{serve_dynamodb, Env, LocalDynamo, PASSWORD, SECRET, SITE_URL, START};
pub use faults::{Fault, FaultInterceptor, Faults, Grant, Held};
pub use passkeys::script_json;
pub use second_factor::{recovery_codes, totp_code, totp_secret, TwoFactor};

use crate::app::App;
use crate::clock::Clock;
use crate::config::Config;
use crate::store::{self, Store, User};
pub use crate::store::{TableCheck, UsageCount};
use crate::views::{Chrome, Viewer};

/// A clock that only moves when told to: for tests of expiry rules.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: i64) -> Self {
        Self(AtomicI64::new(start))
    }
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The app with every page, its DynamoDB client's configuration changed by
/// `customize` (the bench adds a timing interceptor).
pub fn app_with_sdk(
    config: Config,
    clock: Arc<dyn Clock>,
    customize: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
) -> App {
    let mut app = App::new(config.clone(), clock).expect("app");
    let client = store::client(&config).expect("client");
    let sdk = customize(client.config().to_builder()).build();
    app.store = Store::new(aws_sdk_dynamodb::Client::from_conf(sdk), &config);
    app
}

/// The mailer, its DynamoDB client's configuration changed by `customize`
/// as `app_with_sdk` changes the app's (the grants test records its calls).
pub fn mailer_with_sdk(
    config: Config,
    clock: Arc<dyn Clock>,
    customize: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
) -> crate::mail::Mailer {
    let mut mailer = crate::mail::Mailer::new(config.clone(), clock).expect("mailer");
    let client = store::client(&config).expect("client");
    let sdk = customize(client.config().to_builder()).build();
    mailer.use_store(Store::new(
        aws_sdk_dynamodb::Client::from_conf(sdk),
        &config,
    ));
    mailer
}

/// Creates the tables, with the same keys, TTL and stream as template.yaml,
/// where the app's DynamoDB lacks them.
pub async fn create_tables(app: &App) -> Result<(), String> {
    app.store.create_tables().await.map_err(|e| e.to_string())
}

/// Reads the users and sessions tables whole and checks that nothing is
/// half-written (accounts with their address markers and back, sessions
/// of existing accounts); what it found, or every problem.
pub async fn check_tables(app: &App) -> Result<TableCheck, Vec<String>> {
    app.store.check_tables().await
}

/// Each table's configured name, key attributes (hash, then range) and
/// whether `expires_at` is its TTL, as `create_tables` makes them.
/// (Indexes: `table_indexes`.)
pub fn table_specs(app: &App) -> Vec<(String, Vec<&'static str>, bool)> {
    app.store
        .table_specs()
        .iter()
        .map(|(name, keys, ttl, _)| (name.to_string(), keys.to_vec(), *ttl))
        .collect()
}

/// Each table's global secondary indexes (name, hash key), as
/// `create_tables` makes them.
pub fn table_indexes(app: &App) -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    app.store
        .table_specs()
        .iter()
        .map(|(name, _, _, indexes)| (name.to_string(), indexes.to_vec()))
        .collect()
}

/// The layout's values for a page rendered alone (`App::render`).
pub struct Layout(Chrome);

impl Layout {
    pub fn anonymous() -> Layout {
        Layout(Chrome {
            viewer: None,
            csrf_token: "t".repeat(43),
            notices: Vec::new(),
        })
    }

    pub fn signed_in(username: &str) -> Layout {
        let mut layout = Layout::anonymous();
        layout.0.viewer = Some(Viewer {
            username: username.into(),
            email: format!("{username}@example.com"),
            member_since: "2026-11-25".into(),
        });
        layout
    }
}

/// Looks inside the app, for tests and the bench.
impl App {
    /// The table whose stream feeds the mailer.
    pub fn stream_table(&self) -> String {
        self.store.stream_table().to_string()
    }

    /// Whether the account `key` has confirmed its address, and its
    /// generation (`None`: no such account).
    pub async fn account_flags(&self, key: &str) -> Option<(bool, i64)> {
        let user = self.store.get_user(key).await.expect("DynamoDB answers")?;
        Some((user.email_confirmed, user.generation))
    }

    /// The random id of the account `key`, if it exists.
    pub async fn account_id(&self, key: &str) -> Option<String> {
        let user = self.store.get_user(key).await.expect("DynamoDB answers")?;
        Some(user.account_id)
    }

    /// DynamoDB calls and units since the last look.
    pub fn usage(&self) -> UsageCount {
        self.store.usage.take()
    }

    /// The HMAC that stands for `name` in logs and counters.
    pub fn pseudonym(&self, name: &str) -> String {
        self.keys.pseudonym(name)
    }

    /// Opens the DynamoDB connection, as `DYNAMODB_WARM_UP=1` does at init.
    pub async fn warm_up(&self) -> bool {
        self.store.warm_up().await
    }

    /// The stored password hash of the account `key`, if it exists.
    pub async fn password_hash(&self, key: &str) -> Option<String> {
        let user = self.store.get_user(key).await.expect("DynamoDB answers");
        user.map(|u| u.password_hash)
    }

    /// Stores an account directly, with whatever hash the test made.
    pub async fn plant_user(&self, username: &str, email: &str, password_hash: &str) {
        let user = User {
            key: username.to_ascii_lowercase(),
            account_id: crate::crypto::random_b64(16),
            generation: 1,
            username: username.into(),
            email: email.into(),
            password_hash: password_hash.into(),
            created_at: self.now(),
            registration_id: None,
            email_confirmed: false,
            reset_hash: None,
            confirm_hash: None,
            totp: None,
            totp_step: 0,
            recovery: Vec::new(),
        };
        let row = crate::store::AccountRow::new(&user);
        let email_key = email.to_lowercase();
        let extra = self.store.tx().put_account_row(&row).expect("row");
        self.store
            .create_user(&user, &email_key, extra)
            .await
            .expect("account stored");
    }

    /// Stores `n` more live sessions of the account `key` directly, as
    /// other browsers' logins would have (past the cap, if asked: a flood
    /// from before it existed), in batches, each older than the last
    /// sign-in. Each one's public id and the value of its (HTTPS) session
    /// cookie.
    pub async fn plant_sessions(&self, key: &str, n: usize) -> Vec<(String, String)> {
        let user = self.store.get_user(key).await.expect("DynamoDB answers");
        let user = user.expect("the account exists");
        let partition = self.store.partition(&user.account_id).await;
        let row = partition
            .expect("DynamoDB answers")
            .account
            .expect("its row");
        let now = self.now();
        let mut planted = Vec::with_capacity(n);
        let sessions: Vec<crate::store::Session> = (0..n)
            .map(|i| {
                let token = crate::session::new_token();
                let value = crate::session::cookie_value(&user.account_id, &token);
                let cookie = crate::cookies::build(crate::cookies::SESSION, value, true, None);
                let s = crate::store::Session {
                    account_id: user.account_id.clone(),
                    token_hash: crate::crypto::token_hash(&token),
                    public_id: crate::session::new_public_id(),
                    epoch: row.epoch,
                    created_at: now - 100_000 + i as i64,
                    last_seen: now,
                    expires_at: crate::session::expires_at(now, now, true),
                    remember: true,
                    user_agent: "planted".into(),
                    source_ip: "192.0.2.1".into(),
                    method: crate::store::Method::Password,
                };
                let signed = crate::cookies::sign(&self.keys, cookie);
                planted.push((s.public_id.clone(), signed.value().to_string()));
                s
            })
            .collect();
        let stored = self.store.plant_sessions(&sessions).await;
        assert_eq!(stored, n, "sessions stored");
        planted
    }

    /// How many session items the account `account_id`'s partition still
    /// stores, counting or not (ended ones wait for clean-up or TTL).
    pub async fn stored_sessions(&self, account_id: &str) -> usize {
        let p = self.store.partition(account_id).await;
        p.expect("DynamoDB answers").sessions.len()
    }

    /// The sort keys of every item the sessions table holds for the
    /// account `account_id` (its row, sessions, trusted browsers, pending
    /// sign-ins, set-up key, forgotten devices), read whole.
    pub async fn partition_keys(&self, account_id: &str) -> Vec<String> {
        let sessions = self.config.sessions_table.clone();
        let items = self
            .store
            .scan_all(&sessions)
            .await
            .expect("DynamoDB answers");
        let id = aws_sdk_dynamodb::types::AttributeValue::S(account_id.to_string());
        items
            .iter()
            .filter(|i| i.get("account_id") == Some(&id))
            .filter_map(|i| i.get("sk")?.as_s().ok().cloned())
            .collect()
    }

    /// The account `key`'s second factor as stored: whether it is on, and
    /// how many recovery codes it has left.
    pub async fn second_factor(&self, key: &str) -> Option<(bool, usize)> {
        let user = self.store.get_user(key).await.expect("DynamoDB answers")?;
        Some((user.totp.is_some(), user.recovery.len()))
    }

    /// Removes `attribute` from every item of the account `key`'s sessions
    /// partition (its row included): a partial item, as a bad write or a
    /// hand edit would leave.
    pub async fn damage_sessions(&self, key: &str, attribute: &str) {
        let user = self.store.get_user(key).await.expect("DynamoDB answers");
        let user = user.expect("the account exists");
        self.store
            .remove_attribute(&user.account_id, attribute)
            .await
            .expect("DynamoDB answers");
    }

    /// Stores `n` notices (mail requests) for the account `key` directly,
    /// as many flows would have; nothing streams them to a mailer here.
    pub async fn plant_mail(&self, key: &str, n: usize) {
        let user = self.store.get_user(key).await.expect("DynamoDB answers");
        let user = user.expect("the account exists");
        let items = (0..n)
            .map(|_| crate::web::notice(self, crate::store::MailKind::PasswordChanged, &user))
            .collect::<Vec<_>>();
        let stored = self.store.plant_mail(&items).await;
        assert_eq!(stored, n, "notices stored");
    }

    /// How many items the tokens table holds that name the account `key`
    /// (any account that had that name), read whole.
    pub async fn mail_items_of(&self, key: &str) -> usize {
        let tokens = self.config.tokens_table.clone();
        let items = self
            .store
            .scan_all(&tokens)
            .await
            .expect("DynamoDB answers");
        let key = aws_sdk_dynamodb::types::AttributeValue::S(key.to_string());
        items
            .iter()
            .filter(|i| i.get("user_key") == Some(&key))
            .count()
    }

    /// A page rendered alone, with `layout`'s values.
    pub fn render(&self, template: &str, layout: &Layout, ctx: tera::Context) -> String {
        self.views
            .render(template, &layout.0, ctx)
            .expect("renders")
    }

    /// An Argon2id hash at the configured cost.
    pub async fn hash_password(&self, password: &str) -> String {
        self.hasher.hash(password).await.expect("hashes")
    }
}

/// A function's init, one step at a time, for the bench to time: each
/// returns what it built, opaque.
pub mod init {
    use crate::config::Config;
    use crate::crypto::password::Hasher;
    use crate::routes::Function;
    use crate::store;
    use crate::views::Views;

    pub fn keys(config: &Config) -> impl Sized {
        config.keys()
    }
    pub fn sdk_client(config: &Config) -> impl Sized {
        store::client(config).expect("client")
    }
    pub fn hasher(config: &Config) -> impl Sized {
        Hasher::new(config).expect("hasher")
    }
    pub fn views(function: Function) -> impl Sized {
        Views::with_pages("The Blog", &function.pages()).expect("views")
    }
    pub fn all_views() -> impl Sized {
        Views::new("The Blog").expect("views")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(100);
        assert_eq!(c.now(), 100);
        c.advance(5);
        assert_eq!(c.now(), 105);
    }
}
