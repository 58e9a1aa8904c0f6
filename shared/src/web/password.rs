//! GET/POST `/account/password`: change the password. The current one is
//! asked again (throttled like a login, `reauth.rs`), and an account may
//! change it at most 3 times an hour (so an intruder who knows it cannot
//! keep killing the owner's reset links, or flood the address with
//! notices). Then, in one transaction, only while the stored password is
//! still the one just confirmed: the new hash (voiding any reset link and
//! every device cookie), the notice email, the end of every session, and
//! a fresh session for this browser, only if its session still stood.

use super::prelude::*;
use super::reauth;
use super::{links, signin, throttle};
use crate::crypto::password;
use crate::store::{reset_pk, MailKind, RowChange, StoreError, User};

pub(crate) const PAGE: &str = "password.html";

/// Successful changes allowed per account per hour.
const CHANGES_PER_HOUR: u32 = 3;

fn render(app: &App, visit: Visit<'_, Member>, failed: Option<Failure<'_>>) -> Result<Reply> {
    let mut ctx = Context::new();
    ctx.insert("password_min", &app.config.password_min_length);
    visit.form_page(app, PAGE, failed, ctx)
}

pub(crate) async fn form(app: &App, req: &Req) -> Result<Reply> {
    render(app, gate::member(app, req).await?, None)
}

pub(crate) async fn submit(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = gate::member_post(app, req).await?;
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
    if let Some(why) = password::policy_error(new, &visit.who.account.username, min) {
        let failed = (
            StatusCode::UNPROCESSABLE_ENTITY,
            why.as_str(),
            Some("new_password"),
        );
        return render(app, visit, Some(failed));
    }
    // A fourth change this hour is refused before the password is checked
    // (nothing counted, nothing changed).
    if changes_made(app, &visit.who).await? >= CHANGES_PER_HOUR {
        return too_many_changes(app, req, visit);
    }
    let confirmed = reauth::confirm(
        app,
        req,
        &visit.who,
        current,
        "password_change",
        "current_password",
    );
    let user = match confirmed.await? {
        Ok(user) => user,
        Err(failed) => return render(app, visit, Some(failed)),
    };
    // Counted once the password is confirmed, atomically: of racing
    // changes, no more than the allowance go on.
    if !change_allowed(app, &visit.who).await? {
        return too_many_changes(app, req, visit);
    }
    let hash = app.hasher.hash(new).await?;
    let cookie = change(app, req, &visit.who, &user, &hash).await?;
    audit(app, req, "password_change", &user.key);
    // This browser's device cookie, of the new generation (the change made
    // every earlier one worthless).
    let changed = User {
        generation: user.generation + 1,
        ..user
    };
    Ok(Reply::redirect("/account")
        .cookie(cookie)
        .cookie(throttle::device_cookie(app, req, &changed, None))
        .cookie(visit.flash(app, Notice::PasswordChanged)))
}

fn too_many_changes(app: &App, req: &Req, visit: Visit<'_, Member>) -> Result<Reply> {
    audit(app, req, "password_change_limited", visit.who.user_key());
    let failed = (
        StatusCode::TOO_MANY_REQUESTS,
        messages::TOO_MANY_CHANGES,
        None,
    );
    render(app, visit, Some(failed))
}

/// The account's password changes in this hour's window.
fn changes_counter(who: &Member) -> String {
    format!("pwchange#{}", who.account.account_id)
}

async fn changes_made(app: &App, who: &Member) -> Result<u32> {
    let counter = app.store.get_counter(&changes_counter(who)).await?;
    Ok(counter.live(app.now()))
}

/// Counts a change about to be made (its password confirmed) against the
/// account's hourly allowance; `false` past `CHANGES_PER_HOUR`.
async fn change_allowed(app: &App, who: &Member) -> Result<bool> {
    let counter = changes_counter(who);
    let count = app.store.add_failure(&counter, app.now(), 60 * 60).await?;
    Ok(count <= CHANGES_PER_HOUR)
}

/// The change itself: one transaction, whatever the number of sessions.
/// Returns the cookie of this browser's new session.
async fn change(
    app: &App,
    req: &Req,
    who: &Member,
    user: &User,
    hash: &str,
) -> Result<cookie::Cookie<'static>> {
    let epoch = who.session.epoch;
    let (session, cookie) = signin::fresh(
        app,
        req,
        &user.account_id,
        epoch + 1,
        who.session.remember,
        who.session.method,
    );
    let mut tx = app
        .store
        .tx()
        .set_password(user, hash)?
        .change_row(
            &user.account_id,
            RowChange {
                end_sessions_of: Some(epoch),
                next_generation: true,
                ..Default::default()
            },
        )?
        .end_acting_session(&who.session)?
        .put_session(&session)?
        .put_mail(&links::notice(app, MailKind::PasswordChanged, user))?
        .delete_counter(&reauth::counter(app, who))?;
    if let Some(old) = &user.reset_hash {
        tx = tx.delete_token(&reset_pk(old))?;
    }
    match tx.commit().await {
        Ok(()) => {
            signin::clean_up(app, &user.account_id).await;
            Ok(cookie)
        }
        // A reset, another change or a sign-out everywhere got there first.
        Err(StoreError::Refused(_)) => Err(AppError::Conflict("account changed".into()).into()),
        Err(e) => Err(e.into()),
    }
}
