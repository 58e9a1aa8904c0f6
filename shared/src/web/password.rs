//! GET/POST `/account/password`: change the password. The current one is
//! asked again (throttled like a login, `reauth.rs`); then, in one
//! transaction, the new hash (voiding any reset link), the notice email,
//! a fresh session for this browser and the end of every other session.

use http::StatusCode;
use tera::Context;

use super::gate::{self, Admission, Visit};
use super::reauth::{self, Reauth};
use super::{audit, links, new_session, Result};
use crate::app::App;
use crate::crypto::password;
use crate::error::AppError;
use crate::gateway::reply::Reply;
use crate::gateway::request::Req;
use crate::messages::{self, Notice};
use crate::store::{reset_pk, Session, StoreError, User};

pub(crate) const PAGE: &str = "password.html";

const BACK: &str = "/account/password";

/// A failed form: the message and the field it is about (if any).
pub(super) type Failure<'a> = (StatusCode, &'a str, Option<&'static str>);

fn render(app: &App, visit: Visit<'_, Session>, failed: Option<Failure<'_>>) -> Result<Reply> {
    let mut ctx = Context::new();
    ctx.insert("error", &failed.map(|f| f.1));
    ctx.insert("error_field", &failed.and_then(|f| f.2));
    ctx.insert("password_min", &app.config.password_min_length);
    let status = failed.map_or(StatusCode::OK, |f| f.0);
    visit.render(app, PAGE, status, ctx)
}

pub(crate) async fn form(app: &App, req: &Req) -> Result<Reply> {
    match gate::member(app, req, BACK).await? {
        Admission::Admitted(visit) => render(app, visit, None),
        Admission::Answered(reply) => Ok(reply),
    }
}

pub(crate) async fn submit(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = match gate::member_post(app, req, BACK).await? {
        Admission::Admitted(checked) => checked,
        Admission::Answered(reply) => return Ok(reply),
    };
    let current = form.text("current_password");
    let new = form.text("new_password");
    let required = (StatusCode::BAD_REQUEST, messages::REQUIRED);
    if current.is_empty() {
        return render(
            app,
            visit,
            Some((required.0, required.1, Some("current_password"))),
        );
    }
    if new.is_empty() {
        return render(
            app,
            visit,
            Some((required.0, required.1, Some("new_password"))),
        );
    }
    let min = app.config.password_min_length;
    if let Some(why) = password::policy_error(new, &visit.who.username, min) {
        let failed = (
            StatusCode::UNPROCESSABLE_ENTITY,
            why.as_str(),
            Some("new_password"),
        );
        return render(app, visit, Some(failed));
    }
    let user = match reauth::check(app, req, &visit.who, current, "password_change").await? {
        Reauth::Confirmed(user) => user,
        Reauth::Wrong => {
            let wrong = (StatusCode::UNAUTHORIZED, messages::INCORRECT_PASSWORD);
            return render(
                app,
                visit,
                Some((wrong.0, wrong.1, Some("current_password"))),
            );
        }
        Reauth::TooMany => {
            return render(
                app,
                visit,
                Some((StatusCode::TOO_MANY_REQUESTS, messages::TOO_MANY, None)),
            )
        }
        Reauth::Gone => return Err(AppError::Conflict("account gone".into())),
    };
    let hash = app.hasher.hash(new).await?;
    let cookie = change(app, req, &visit.who, &user, &hash).await?;
    audit(app, req, "password_change", &user.key);
    Ok(Reply::redirect("/account")
        .cookie(cookie)
        .cookie(visit.flash(app, Notice::PasswordChanged)))
}

/// The change itself: one transaction (more only past ~95 sessions).
/// Returns the cookie of this browser's new session.
async fn change(
    app: &App,
    req: &Req,
    who: &Session,
    user: &User,
    hash: &str,
) -> Result<cookie::Cookie<'static>> {
    let now = app.now();
    let (session, cookie) = new_session(app, req, user, who.remember);
    let sessions = app.store.list_sessions(&user.key).await?;
    let mut tx = app
        .store
        .tx()
        .set_password(&user.key, hash, now)?
        .put_mail(&links::password_changed(app, &user.key, &user.email))?
        .delete_counter(&reauth::counter(app, who))?
        .put_session(&session)?;
    if let Some(old) = &user.reset_hash {
        tx = tx.delete_token(&reset_pk(old))?;
    }
    match app.store.commit_ending(tx, &sessions).await {
        Ok(()) => Ok(cookie),
        Err(StoreError::Refused(_)) => Err(AppError::Conflict("account changed".into())),
        Err(e) => Err(e.into()),
    }
}
