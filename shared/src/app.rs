//! The application state, built once per cold start, and the entry point
//! that turns every request into a response (never an `Err`).

use std::sync::Arc;
use std::time::Instant;

use http::StatusCode;

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::cookies::{self, Keys};
use crate::error::AppError;
use crate::event::{Event, Response};
use crate::flash;
use crate::handlers;
use crate::password::{HashError, Hasher};
use crate::request::Req;
use crate::responses::{self, Reply};
use crate::store::{self, Store};
use crate::views::{Chrome, Views};

/// Which Lambda function is running: each serves only its own routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `/`, `/account` and the session sign-out forms.
    Home,
    Login,
    Register,
    Logout,
}

/// Every route: method, path, and the function that serves it. The local
/// router (Cargo.toml) and template.yaml must say the same; a test checks.
pub const ROUTES: &[(&str, &str, Function)] = &[
    ("GET", "/", Function::Home),
    ("GET", "/account", Function::Home),
    ("POST", "/account/sessions/revoke", Function::Home),
    ("POST", "/account/sessions/revoke-others", Function::Home),
    ("GET", "/login", Function::Login),
    ("POST", "/login", Function::Login),
    ("GET", "/register", Function::Register),
    ("POST", "/register", Function::Register),
    ("GET", "/logout", Function::Logout),
    ("POST", "/logout", Function::Logout),
];

impl Function {
    /// The function API Gateway routes `path` to.
    pub fn for_path(path: &str) -> Option<Function> {
        ROUTES
            .iter()
            .find(|(_, p, _)| *p == path)
            .map(|(_, _, f)| *f)
    }

    /// The pages this function renders (besides the layout and error page).
    pub fn pages(self) -> &'static [&'static str] {
        match self {
            Function::Home => &["index.html", "account.html"],
            Function::Login => &["login.html"],
            Function::Register => &["register.html"],
            Function::Logout => &["logout.html"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Function::Home => "home",
            Function::Login => "login",
            Function::Register => "register",
            Function::Logout => "logout",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("templates: {0}")]
    Templates(#[from] tera::Error),
    #[error("argon2: {0}")]
    Hasher(#[from] HashError),
}

pub struct App {
    pub config: Config,
    pub store: Store,
    pub keys: Keys,
    pub hasher: Hasher,
    pub views: Views,
    pub clock: Arc<dyn Clock>,
}

impl App {
    /// Everything slow or fallible happens here, once: configuration, keys,
    /// the SDK client, template parsing, Argon2 parameters.
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> Result<Self, InitError> {
        let views = Views::new(&config.site_name)?;
        Self::with_views(config, clock, views)
    }

    /// The app as `function` runs it: only its own templates are parsed.
    pub fn for_function(
        config: Config,
        clock: Arc<dyn Clock>,
        function: Function,
    ) -> Result<Self, InitError> {
        let views = Views::with_pages(&config.site_name, function.pages())?;
        Self::with_views(config, clock, views)
    }

    fn with_views(config: Config, clock: Arc<dyn Clock>, views: Views) -> Result<Self, InitError> {
        let client = store::client(&config);
        Ok(App {
            store: Store::new(client, &config),
            keys: Keys::new(&config.secret, config.previous_secret.as_deref()),
            hasher: Hasher::new(&config)?,
            views,
            config,
            clock,
        })
    }

    pub fn from_env(function: Function) -> Result<Self, InitError> {
        Self::for_function(Config::from_env()?, Arc::new(SystemClock), function)
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Serves one request. Every outcome, failures included, is a rendered
    /// page with the security headers; nothing is returned to the runtime as
    /// an error (that would be API Gateway's bare 502).
    pub async fn handle(&self, function: Function, event: Event) -> Response {
        let started = Instant::now();
        let req = Req::from_event(event);
        let mut reply = match handlers::route(self, function, &req).await {
            Ok(reply) => reply,
            Err(e) => self.error_reply(&e),
        };
        // A rendered page has shown the flash messages: drop them. A redirect
        // carries them on to the page it leads to.
        let flash_name = cookies::name(cookies::FLASH, req.secure);
        if !reply.is_redirect()
            && req.cookie(cookies::FLASH).is_some()
            && !reply.cookies.iter().any(|c| c.name() == flash_name)
        {
            reply
                .cookies
                .push(cookies::removal(cookies::FLASH, req.secure));
            // The page a browser lands on after logging out clears the
            // site's cookies (see handlers::logout).
            let shown = flash::read(&self.keys, req.cookie(cookies::FLASH));
            if shown.iter().any(|f| f.text == handlers::MSG_LOGGED_OUT) {
                reply.clear_site_cookies = true;
            }
        }
        tracing::info!(
            request_id = %req.request_id,
            method = %req.method,
            path = %req.path,
            status = reply.status.as_u16(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        responses::finish(reply, req.secure, &self.views.style_src)
    }

    /// Serves the JSON the runtime delivered. Anything that is not an HTTP
    /// API event gets a 400 page too, never an error to the runtime.
    pub async fn handle_json(&self, function: Function, json: serde_json::Value) -> Response {
        match Event::from_json(json) {
            Some(event) => self.handle(function, event).await,
            None => {
                tracing::warn!("not an API Gateway HTTP API event");
                let reply = self.error_reply(&AppError::BadRequest);
                responses::finish(reply, false, &self.views.style_src)
            }
        }
    }

    fn error_reply(&self, e: &AppError) -> Reply {
        let status = e.status();
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        } else {
            tracing::info!(error = %e, "request refused");
        }
        let (title, message) = e.page();
        let html = self.views.error_page(title, &message, &Chrome::default());
        let mut reply = Reply::page(status, html);
        if let AppError::MethodNotAllowed(allow) = e {
            reply.allow = Some(allow);
        }
        reply
    }

    /// A page for `status` with a message, used by handlers too.
    pub fn message_page(
        &self,
        status: StatusCode,
        title: &str,
        message: &str,
        chrome: &Chrome,
    ) -> Reply {
        Reply::page(status, self.views.error_page(title, message, chrome))
    }
}
