//! GET/POST `/account/delete`: the password, then the account goes. Safe
//! to retry at every step: (1) the account is marked as being deleted, so
//! no login, password change or link can add to it; (2) every other
//! session ends; (3) one transaction deletes the account, its email claim,
//! its outstanding links and this session. A fault before (3) leaves the
//! account whole and this browser signed in (the page says to try again);
//! after (3) nothing of it is left, and the name and address are free.

use http::StatusCode;
use tera::Context;

use super::gate::{self, Admission, Visit};
use super::password::Failure;
use super::reauth::{self, Reauth};
use super::{audit, Result};
use crate::app::App;
use crate::error::AppError;
use crate::gateway::reply::Reply;
use crate::gateway::request::Req;
use crate::messages::{self, Notice};
use crate::store::{confirm_pk, reset_pk, Session, User};
use crate::validate;

pub(crate) const PAGE: &str = "delete.html";

const BACK: &str = "/account/delete";

fn render(app: &App, visit: Visit<'_, Session>, failed: Option<Failure<'_>>) -> Result<Reply> {
    let mut ctx = Context::new();
    ctx.insert("error", &failed.map(|f| f.1));
    ctx.insert("error_field", &failed.and_then(|f| f.2));
    let status = failed.map_or(StatusCode::OK, |f| f.0);
    visit.render(app, PAGE, status, ctx)
}

pub(crate) async fn confirm(app: &App, req: &Req) -> Result<Reply> {
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
    let password = form.text("password");
    if password.is_empty() {
        let failed = (
            StatusCode::BAD_REQUEST,
            messages::REQUIRED,
            Some("password"),
        );
        return render(app, visit, Some(failed));
    }
    let user = match reauth::check(app, req, &visit.who, password, "delete").await? {
        Reauth::Confirmed(user) => user,
        Reauth::Wrong => {
            let failed = (
                StatusCode::UNAUTHORIZED,
                messages::INCORRECT_PASSWORD,
                Some("password"),
            );
            return render(app, visit, Some(failed));
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
    delete(app, &visit.who, &user).await?;
    audit(app, req, "account_delete", &user.key);
    Ok(Reply::redirect("/")
        .cookie(visit.drop_session())
        .cookie(visit.flash(app, Notice::AccountDeleted))
        .clear_site_data(!req.is_navigation()))
}

async fn delete(app: &App, who: &Session, user: &User) -> Result<()> {
    // (1) From here no new session, link or password for this account.
    let Some(user) = app.store.mark_deleting(&user.key, app.now()).await? else {
        return Err(AppError::Conflict("account gone".into()));
    };
    // (2) Every other session.
    let sessions = app.store.list_sessions(&user.key).await?;
    let others: Vec<Session> = sessions
        .into_iter()
        .filter(|s| s.token_hash != who.token_hash)
        .collect();
    app.store.commit_ending(app.store.tx(), &others).await?;
    // (3) The rest, at once.
    let mut tx = app
        .store
        .tx()
        .delete_user(&user, &validate::email_key(&user.email))?
        .delete_session(who)?
        .delete_counter(&reauth::counter(app, who))?;
    if let Some(h) = &user.reset_hash {
        tx = tx.delete_token(&reset_pk(h))?;
    }
    if let Some(h) = &user.confirm_hash {
        tx = tx.delete_token(&confirm_pk(h))?;
    }
    tx.commit().await?;
    Ok(())
}
