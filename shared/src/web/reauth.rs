//! "Confirm it's you": the current password, asked again before a
//! password change or a deletion, and throttled exactly like a login: the
//! attempt first counts against the username's failed-login counter (the
//! one `/login` uses, so guesses here and there share the limit of 5 per
//! 15 minutes), and a wrong password also counts against the source IP.

use http::StatusCode;

use super::gate::{Failure, Member};
use super::throttle::{self, user_counter};
use super::{audit, Result};
use crate::app::App;
use crate::error::AppError;
use crate::gateway::request::Req;
use crate::messages;
use crate::store::User;

/// What checking the current password came to.
enum Reauth {
    /// Right: the account as stored.
    Confirmed(Box<User>),
    /// Wrong (counted).
    Wrong,
    /// The username's limit is reached: not checked at all (no Argon2).
    TooMany,
    /// The account is gone (deleted meanwhile, its name perhaps taken by
    /// another).
    Gone,
}

/// Checks `password` against the signed-in account. `action` names the
/// audit events (`<action>_failure`, `<action>_locked`).
async fn check(app: &App, req: &Req, who: &Member, password: &str, action: &str) -> Result<Reauth> {
    let now = app.now();
    let limits = app.config.login;
    let counter = user_counter(app, who.user_key());
    let attempts = app
        .store
        .add_failure(&counter, now, limits.window_secs)
        .await?;
    if attempts > limits.per_user {
        audit(app, req, &format!("{action}_locked"), who.user_key());
        return Ok(Reauth::TooMany);
    }
    let found = app.store.get_user(who.user_key()).await?;
    let Some(user) = found.filter(|u| u.account_id == who.account.account_id) else {
        return Ok(Reauth::Gone);
    };
    if app.hasher.verify(Some(&user.password_hash), password).await {
        return Ok(Reauth::Confirmed(Box::new(user)));
    }
    throttle::failed(app, req).await?;
    audit(app, req, &format!("{action}_failure"), who.user_key());
    Ok(Reauth::Wrong)
}

/// `check`, as a form answers it: the account, or how the form failed
/// (`field` is the password field's name): `401` `Incorrect password.`
/// beside it, or `429` at the username's limit. A vanished account is a
/// `409`.
pub(crate) async fn confirm(
    app: &App,
    req: &Req,
    who: &Member,
    password: &str,
    action: &str,
    field: &'static str,
) -> Result<std::result::Result<User, Failure<'static>>> {
    Ok(match check(app, req, who, password, action).await? {
        Reauth::Confirmed(user) => Ok(*user),
        Reauth::Wrong => Err((
            StatusCode::UNAUTHORIZED,
            messages::INCORRECT_PASSWORD,
            Some(field),
        )),
        Reauth::TooMany => Err((StatusCode::TOO_MANY_REQUESTS, messages::TOO_MANY, None)),
        Reauth::Gone => return Err(AppError::Conflict("account gone".into()).into()),
    })
}

/// The counter a confirmed password resets, in the transaction that acts
/// on it (as a successful login resets it).
pub(crate) fn counter(app: &App, who: &Member) -> String {
    user_counter(app, who.user_key())
}
