//! The pages, one file per page or page group, each handler reading top to
//! bottom: the gate first (`gate.rs`), then the route's own work, then the
//! reply. The route table (`routes.rs`) says which handler serves what.

pub(crate) mod account;
pub(crate) mod delete;
pub(crate) mod email;
pub(crate) mod gate;
pub(crate) mod home;
mod links;
#[cfg(feature = "test-util")]
pub(crate) use links::notice;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod password;
mod reauth;
pub(crate) mod register;
pub(crate) mod reset;
mod signin;
pub(crate) mod throttle;

use crate::app::App;
use crate::error::AppError;
use crate::gateway::request::Req;

type Result<T> = std::result::Result<T, AppError>;

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
