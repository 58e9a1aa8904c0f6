//! Forgotten passwords. GET/POST `/password/forgot` asks for a link: the
//! same answer, the same calls and the same work whether or not the
//! address has an account (only the mailer, which reads the item later,
//! knows, and sends nothing to an address without one). GET
//! `/password/reset?token=…` moves a valid token out of the URL into a
//! short-lived cookie; GET/POST `/password/reset` sets the new password,
//! using the link up in the same transaction that ends every session.

use super::prelude::*;
use super::{links, signin};
use crate::cookies;
use crate::crypto::{self, password, token_hash};
use crate::error::LinkKind;
use crate::store::{
    confirm_pk, reset_pk, LinkField, MailKind, RowChange, StoreError, User, NO_LINK,
};
use crate::validate;

pub(crate) const FORGOT_PAGE: &str = "forgot.html";
pub(crate) const RESET_PAGE: &str = "reset.html";

/// How long the token may wait in its cookie for the new password.
const COOKIE_SECS: i64 = 15 * 60;

/// A key no account can have (usernames hold no `#`): an unknown address
/// reads it, so its request costs what a known one's does.
const NO_ACCOUNT: &str = "#none";

fn render_forgot(
    app: &App,
    visit: Visit<'_>,
    email: &str,
    failed: Option<Failure<'_>>,
) -> Result<Reply> {
    let mut ctx = Context::new();
    ctx.insert("email", email);
    visit.form_page(app, FORGOT_PAGE, failed, ctx)
}

pub(crate) async fn forgot_form(app: &App, req: &Req) -> Result<Reply> {
    let visit = gate::anyone_form(app, req).await?;
    render_forgot(app, visit, "", None)
}

pub(crate) async fn forgot_submit(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = gate::form_post(app, req).await?;
    let email = form.text("email").trim();
    if email.is_empty() {
        let failed = (StatusCode::BAD_REQUEST, messages::REQUIRED, Some("email"));
        return render_forgot(app, visit, email, Some(failed));
    }
    if !validate::is_email(email) {
        let failed = (
            StatusCode::UNPROCESSABLE_ENTITY,
            messages::BAD_EMAIL,
            Some("email"),
        );
        return render_forgot(app, visit, email, Some(failed));
    }
    let email_key = validate::email_key(email);
    if links::within_caps(app, req, &email_key).await? {
        let subject = request_link(app, &email_key).await?;
        audit(app, req, "password_reset_requested", &subject);
    } else {
        audit(
            app,
            req,
            "password_reset_capped",
            &format!("email:{email_key}"),
        );
    }
    Ok(Reply::redirect("/login").cookie(visit.flash(app, Notice::ResetSent)))
}

/// Writes a reset link for the address: for its account (replacing the
/// earlier link), or, for an unknown address, an item the mailer drops.
/// Two reads and one transaction of three items either way. Returns whom
/// the audit line names.
async fn request_link(app: &App, email_key: &str) -> Result<String> {
    let user = match app.store.user_for_email(email_key).await? {
        Some(key) => app.store.get_user(&key).await?,
        None => app.store.get_user(NO_ACCOUNT).await?,
    };
    let (link, mut item) = links::new_link(app, MailKind::Reset, user.as_ref());
    if user.is_none() {
        // Indexed like a known account's request (an id no account has),
        // so that both cost the same units; the mailer drops it unread.
        item.account_id = Some(crypto::random_b64(16));
    }
    let tx = app.store.tx().put_mail(&item)?;
    let tx = match &user {
        Some(u) => {
            let old = u.reset_hash.as_deref().map(reset_pk);
            tx.set_link(u, LinkField::Reset, &link.hash)?
                .delete_token(old.as_deref().unwrap_or(NO_LINK))?
        }
        None => tx.check_no_account(email_key)?.delete_token(NO_LINK)?,
    };
    match tx.commit().await {
        // The account appeared or went meanwhile: the
        // same answer, and no link.
        Ok(()) | Err(StoreError::Refused(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(match user {
        Some(u) => u.key,
        None => format!("email:{email_key}"),
    })
}

/// The account whose live reset link has this token: the link's item is
/// there and unexpired, it was issued to this account (not an earlier one
/// of the same name), and it is still the account's newest link.
async fn valid_link(app: &App, token: &str) -> Result<Option<User>> {
    let hash = token_hash(token);
    let Some(item) = app.store.get_token(&reset_pk(&hash)).await? else {
        return Ok(None);
    };
    let live = item.kind == MailKind::Reset && item.expires_at > app.now();
    let Some(key) = item.user_key.as_ref().filter(|_| live) else {
        return Ok(None);
    };
    let user = app.store.get_user(key).await?;
    Ok(user.filter(|u| {
        item.account_id.as_deref() == Some(u.account_id.as_str())
            && u.reset_hash.as_deref() == Some(hash.as_str())
    }))
}

/// The token a reset cookie holds while its 15 minutes last (checked
/// here, from the issue time it carries, not by the browser).
fn cookie_token<'r>(app: &App, req: &'r Req) -> Option<&'r str> {
    let (token, issued) = req.reset.as_ref()?;
    let age = app.now() - issued;
    ((0..COOKIE_SECS).contains(&age)).then_some(token.as_str())
}

fn bad_link(malformed: bool) -> Stop {
    AppError::BadLink {
        kind: LinkKind::Reset,
        malformed,
    }
    .into()
}

/// GET `/password/reset`: with `?token=`, the link from the email (moved
/// into the cookie at once); without, the form for the token in the cookie.
pub(crate) async fn open(app: &App, req: &Req) -> Result<Reply> {
    if let Some(token) = req.query.get("token") {
        if !crypto::is_link_token(token) {
            return Err(bad_link(true));
        }
        if valid_link(app, token).await?.is_none() {
            return Err(bad_link(false));
        }
        let value = format!("{token}:{}", app.now());
        let cookie = cookies::sign(
            &app.keys,
            cookies::build(cookies::RESET, value, req.secure, Some(COOKIE_SECS)),
        );
        return Ok(Reply::redirect("/password/reset").cookie(cookie));
    }
    let Some(token) = cookie_token(app, req) else {
        return Err(bad_link(req.reset.is_none()));
    };
    let Some(user) = valid_link(app, token).await? else {
        return Err(bad_link(false));
    };
    let visit = gate::anyone_form(app, req).await?;
    render_reset(app, visit, &user.username, None)
}

fn render_reset(
    app: &App,
    visit: Visit<'_>,
    username: &str,
    failed: Option<Failure<'_>>,
) -> Result<Reply> {
    let mut ctx = Context::new();
    ctx.insert("username", username);
    ctx.insert("password_min", &app.config.password_min_length);
    visit.form_page(app, RESET_PAGE, failed, ctx)
}

/// POST `/password/reset`: the new password, the link used up, the address
/// confirmed and every session ended, in one transaction; of two tabs
/// submitting one link, exactly one gets here.
pub(crate) async fn submit(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = gate::form_post(app, req).await?;
    let Some(token) = cookie_token(app, req) else {
        return Err(bad_link(req.reset.is_none()));
    };
    let Some(user) = valid_link(app, token).await? else {
        return Err(bad_link(false));
    };
    let new = form.text("new_password");
    let min = app.config.password_min_length;
    let failed = if new.is_empty() {
        Some((StatusCode::BAD_REQUEST, messages::REQUIRED.to_string()))
    } else {
        password::policy_error(new, &user.username, min)
            .map(|w| (StatusCode::UNPROCESSABLE_ENTITY, w))
    };
    if let Some((status, why)) = failed {
        let failed = (status, why.as_str(), Some("new_password"));
        return render_reset(app, visit, &user.username, Some(failed));
    }
    let hash = app.hasher.hash(new).await?;
    reset(app, &user, &token_hash(token), &hash).await?;
    audit(app, req, "password_reset", &user.key);
    Ok(Reply::redirect("/login")
        .cookie(cookies::removal(cookies::RESET, req.secure))
        .cookie(visit.flash(app, Notice::PasswordReset)))
}

/// The reset: one transaction, whatever the number of sessions. The new
/// password (only while this link is still the account's: any other
/// password write removes it), the generation advanced (device cookies and
/// trusted browsers issued before stop fitting), every session ended (the
/// epoch moves on), the link used up, the notice asked for.
async fn reset(app: &App, user: &User, link_hash: &str, password_hash: &str) -> Result<()> {
    let now = app.now();
    let mut tx = app
        .store
        .tx()
        .use_reset(user, link_hash, password_hash)?
        .use_token(&reset_pk(link_hash), now)?
        .change_row(
            &user.account_id,
            RowChange {
                end_all_sessions: true,
                next_generation: true,
                confirmed: true,
                ..Default::default()
            },
        )?
        .put_mail(&links::notice(app, MailKind::PasswordChanged, user))?;
    if let Some(c) = &user.confirm_hash {
        tx = tx.delete_token(&confirm_pk(c))?;
    }
    match tx.commit().await {
        Ok(()) => {
            signin::clean_up(app, &user.account_id).await;
            Ok(())
        }
        Err(StoreError::Refused(_)) => Err(bad_link(false)),
        Err(e) => Err(e.into()),
    }
}
