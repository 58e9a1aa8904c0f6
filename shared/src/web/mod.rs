//! The pages, one file per page or page group, each handler reading top to
//! bottom: the gate first (`gate.rs`), then the route's own work, then the
//! reply. The route table (`routes.rs`) says which handler serves what.

pub(crate) mod account;
pub(crate) mod delete;
pub(crate) mod email;
pub(crate) mod gate;
pub(crate) mod home;
mod links;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod password;
mod reauth;
pub(crate) mod register;
pub(crate) mod reset;
pub(crate) mod throttle;

use cookie::Cookie;

use crate::app::App;
use crate::cookies;
use crate::crypto::token_hash;
use crate::error::AppError;
use crate::gateway::request::Req;
use crate::session;
use crate::store::{Session, User};

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

/// A new session for `user` (a new token at every login: no fixation) and
/// the signed cookie that carries it.
fn new_session(app: &App, req: &Req, user: &User, remember: bool) -> (Session, Cookie<'static>) {
    let now = app.now();
    let token = session::new_token();
    let s = Session {
        user_key: user.key.clone(),
        token_hash: token_hash(&token),
        public_id: session::new_public_id(),
        username: user.username.clone(),
        email: user.email.clone(),
        member_since: user.created_at,
        created_at: now,
        last_seen: now,
        expires_at: session::expires_at(now, now, remember),
        remember,
        user_agent: req.user_agent.clone(),
        source_ip: req.source_ip.clone(),
    };
    let value = session::cookie_value(&user.key, &token);
    let max_age = remember.then_some(session::REMEMBER_SECS);
    let cookie = cookies::sign(
        &app.keys,
        cookies::build(cookies::SESSION, value, req.secure, max_age),
    );
    (s, cookie)
}
