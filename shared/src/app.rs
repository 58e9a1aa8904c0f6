//! What the app holds: everything slow or fallible, built once per cold
//! start (configuration, keys, the SDK client, parsed templates, Argon2
//! parameters), and handed to every handler. How it answers a request is
//! `serve.rs`.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::crypto::passkey::RelyingParty;
use crate::crypto::password::{HashError, Hasher};
use crate::crypto::Keys;
use crate::store::{self, Store};
use crate::views::Views;

/// Why a function refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("templates: {0}")]
    Templates(String),
    #[error("argon2: {0}")]
    Hasher(String),
    #[error("DynamoDB client: {0}")]
    Client(String),
    #[error("{0}")]
    Passkeys(String),
}

impl From<store::RootsError> for InitError {
    fn from(e: store::RootsError) -> Self {
        InitError::Client(e.to_string())
    }
}

impl From<tera::Error> for InitError {
    fn from(e: tera::Error) -> Self {
        InitError::Templates(e.to_string())
    }
}

impl From<HashError> for InitError {
    fn from(e: HashError) -> Self {
        InitError::Hasher(e.to_string())
    }
}

pub struct App {
    pub(crate) config: Config,
    pub(crate) store: Store,
    pub(crate) keys: Keys,
    pub(crate) hasher: Hasher,
    pub(crate) views: Views,
    pub(crate) clock: Arc<dyn Clock>,
    /// Passkeys' relying party: only the `passkey` function builds it.
    pub(crate) relying_party: Option<RelyingParty>,
}

impl App {
    /// The app with every page parsed (tests, the bench, tools).
    /// Passkeys' routes too (with a site address).
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> Result<Self, InitError> {
        let views = Views::new(&config.site_name)?;
        Self::with_views(config, clock, views)?.with_passkeys()
    }

    /// The app that parses only `pages` (plus the layout and error page).
    pub(crate) fn with_pages(
        config: Config,
        clock: Arc<dyn Clock>,
        pages: &[&str],
    ) -> Result<Self, InitError> {
        let views = Views::with_pages(&config.site_name, pages)?;
        Self::with_views(config, clock, views)
    }

    fn with_views(config: Config, clock: Arc<dyn Clock>, views: Views) -> Result<Self, InitError> {
        Ok(App {
            store: Store::new(store::client(&config)?, &config),
            keys: config.keys(),
            hasher: Hasher::new(&config)?,
            views,
            config,
            clock,
            relying_party: None,
        })
    }

    /// The app with passkeys' relying party: the site's own
    /// address (`SITE_URL`). Without one there are none (their routes
    /// answer 404, and no page offers passkeys): a passkey made for an
    /// address the site then leaves would be orphaned.
    pub fn with_passkeys(mut self) -> Result<Self, InitError> {
        let Some(site_url) = self.config.mail.site_url.as_deref() else {
            tracing::warn!("no SITE_URL: passkeys are off");
            return Ok(self);
        };
        let rp = RelyingParty::new(site_url, &self.config.site_name)
            .map_err(|e| InitError::Passkeys(e.to_string()))?;
        self.relying_party = Some(rp);
        Ok(self)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }
}
