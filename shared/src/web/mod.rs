//! The pages, one file per page or page group, each handler reading top to
//! bottom: the gate first (`gate.rs`), then the route's own work, then the
//! reply. The route table (`routes.rs`) says which handler serves what.
//!
//! A handler returns `Result<Reply>`, whose error is a `Stop`: the gate's
//! own answer (to log in, or home) or a failure, so that both leave the
//! handler through `?`. A plain signed-in page is two lines:
//!
//! ```ignore
//! let visit = gate::member(app, req).await?;
//! visit.page(app, PAGE)
//! ```

pub(crate) mod account;
pub(crate) mod delete;
pub(crate) mod email;
pub(crate) mod gate;
pub(crate) mod home;
mod links;
mod prelude;
#[cfg(feature = "test-util")]
pub(crate) use links::notice;
mod codes;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod passkey_login;
pub(crate) mod passkeys;
pub(crate) mod password;
mod reauth;
pub(crate) mod register;
pub(crate) mod reset;
pub(crate) mod second_step;
mod signin;
pub(crate) mod throttle;
pub(crate) mod two_factor;

use crate::app::App;
use crate::error::AppError;
use crate::gateway::reply::Reply;
use crate::gateway::request::Req;

/// The passkeys page.
pub(crate) const PASSKEYS_PAGE: &str = "passkeys.html";

/// How a handler stops before its own answer.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The gate answered already: a visitor who may not see the page is
    /// sent to log in (members' pages) or home (guests' forms).
    Answered(Box<Reply>),
    /// Something failed: its error page.
    Failed(AppError),
}

impl<E: Into<AppError>> From<E> for Stop {
    fn from(e: E) -> Self {
        Stop::Failed(e.into())
    }
}

impl Stop {
    /// The reply the route gives: the gate's answer, or the error.
    pub(crate) fn into_result(self) -> std::result::Result<Reply, AppError> {
        match self {
            Stop::Answered(reply) => Ok(*reply),
            Stop::Failed(e) => Err(e),
        }
    }
}

/// What a handler (and the gate) return: `?` carries the gate's early
/// answers and every failure.
type Result<T> = std::result::Result<T, Stop>;

/// A structured audit line: never a password, token, cookie or plain
/// username (an HMAC of the case-folded name stands in for it).
fn audit(app: &App, req: &Req, event: &str, user_key: &str) {
    tracing::info!(
        target: "audit",
        event,
        request_id = %req.request_id,
        source_ip = %req.source_ip,
        user = %app.keys.pseudonym(user_key),
        "audit"
    );
}
