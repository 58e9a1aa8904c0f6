//! How the app answers: the event is read once (`Req`), the route table
//! picks the handler, and every outcome, failures included, becomes a
//! rendered page with the security headers. Nothing is returned to the
//! runtime as an error (that would be API Gateway's bare 502).

use std::sync::Arc;
use std::time::Instant;

use crate::app::{App, InitError};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::cookies;
use crate::error::AppError;
use crate::gateway::event::{Event, Response};
use crate::gateway::reply::Reply;
use crate::gateway::request::Req;
use crate::routes::{self, Function};
use crate::views::Chrome;

impl App {
    /// The app as `function` runs it: only its own templates are parsed.
    pub fn for_function(
        config: Config,
        clock: Arc<dyn Clock>,
        function: Function,
    ) -> Result<Self, InitError> {
        App::with_pages(config, clock, &function.pages())
    }

    pub(crate) fn from_env(function: Function) -> Result<Self, InitError> {
        Self::for_function(Config::from_env()?, Arc::new(SystemClock), function)
    }

    /// Serves one request. `LINKED`: the handlers the binary carries.
    async fn handle<const LINKED: u8>(&self, function: Function, event: Event) -> Response {
        let started = Instant::now();
        let mut req = Req::from_event(event, &self.keys, self.secure());
        let reply = match routes::dispatch::<LINKED>(self, function, &mut req).await {
            Ok(reply) => reply,
            Err(e) => self.error_reply(&e),
        };
        let reply = after_flash(reply, &req);
        tracing::info!(
            request_id = %req.request_id,
            method = %req.method,
            path = %req.path,
            status = reply.status().as_u16(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        reply.finish(req.secure, &self.views.sources())
    }

    /// Serves the JSON the runtime delivered, as `function` would (tests,
    /// tools: this links every handler).
    pub async fn handle_json(&self, function: Function, json: serde_json::Value) -> Response {
        self.handle_linked::<{ routes::ALL }>(function, json).await
    }

    /// `handle_json` in a function's binary, which links only the handlers
    /// of `LINKED`. Anything that is not an HTTP API event gets a 400 page
    /// too, never an error to the runtime.
    pub(crate) async fn handle_linked<const LINKED: u8>(
        &self,
        function: Function,
        json: serde_json::Value,
    ) -> Response {
        match Event::from_json(json) {
            Some(event) => self.handle::<LINKED>(function, event).await,
            None => {
                tracing::warn!("not an API Gateway HTTP API event");
                let reply = self.error_reply(&AppError::BadRequest);
                reply.finish(self.secure(), &self.views.sources())
            }
        }
    }

    /// Whether this app serves HTTPS: always, behind API Gateway; only the
    /// local development server (`LOCAL_PLAIN_HTTP=1`) speaks plain HTTP.
    fn secure(&self) -> bool {
        !self.config.plain_http
    }

    fn error_reply(&self, e: &AppError) -> Reply {
        let status = e.status();
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        } else {
            tracing::info!(error = %e, "request refused");
        }
        let (title, message) = e.page();
        let html = self
            .views
            .error_page(title, &message, e.back(), &Chrome::default());
        let reply = Reply::page(status, html);
        match e {
            AppError::MethodNotAllowed(allow) => reply.allow(allow.clone()),
            _ => reply,
        }
    }
}

/// A rendered page has shown the request's flash notices: drop them. A
/// redirect carries them on to the page it leads to. The page that shows
/// the logged-out notice also clears the site's cookies.
fn after_flash(reply: Reply, req: &Req) -> Reply {
    let Some(notices) = &req.flash else {
        return reply;
    };
    if reply.is_redirect() || reply.sets_cookie(&cookies::name(cookies::FLASH, req.secure)) {
        return reply;
    }
    reply
        .cookie(cookies::removal(cookies::FLASH, req.secure))
        .clear_site_data(notices.iter().any(|n| n.clears_site_data()))
}
