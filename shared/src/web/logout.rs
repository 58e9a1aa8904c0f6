//! GET `/logout` (a confirm page) and POST `/logout` (ends the session).
//! A plain log-out keeps this browser's trusted-browser and device cookies
//! (they sign no one in: they skip a code, or the lockout, for the next
//! sign-in here). "Log out and forget this browser" (`forget=1`) also
//! forgets both server-side and clears the site's cookies.

use super::gate::Posted;
use super::prelude::*;
use crate::cookies;
use crate::crypto::token_hash;
use crate::device::DEVICE_SECS;
use crate::flash;
use crate::gateway::request::SessionCookie;
use crate::store::Tx;

pub(crate) const PAGE: &str = "logout.html";

pub(crate) async fn confirm(app: &App, req: &Req) -> Result<Reply> {
    let visit = gate::member(app, req).await?;
    visit.page(app, PAGE)
}

pub(crate) async fn submit(app: &App, req: &Req) -> Result<Reply> {
    let (member, form) = match gate::member_form(app, req).await? {
        Posted::Member(checked) => {
            let (visit, form) = *checked;
            (Some(visit.who), form)
        }
        Posted::Anonymous(form) => (None, form),
    };
    let forget = form.text("forget") == "1";
    let mut tx = app.store.tx();
    if let Some(m) = &member {
        tx = tx.delete_session(&m.session)?;
    }
    if forget {
        tx = forget_browser(req, tx)?;
    }
    if tx.len() > 0 {
        tx.commit().await?;
    }
    let Some(m) = member else {
        return Ok(no_session(app, req, forget));
    };
    let event = if forget { "logout_forget" } else { "logout" };
    audit(app, req, event, m.user_key());
    Ok(logged_out(app, req, forget))
}

/// "Forget this browser": its trusted-browser item deleted and its device
/// cookie marked forgotten, each in the partition of the account its
/// signed cookie names. Also without a live session (it expired, or ended
/// elsewhere): the cookies are this browser's own, and `SameSite=Lax`
/// keeps them off another site's post.
fn forget_browser<'s>(req: &Req, mut tx: Tx<'s>) -> Result<Tx<'s>> {
    if let Some((account_id, token)) = &req.trusted {
        tx = tx.delete_trusted_by_hash(account_id, &token_hash(token))?;
    }
    if let Some(d) = &req.device {
        tx = tx.forget_device(&d.account_id, &d.id, d.issued_at + DEVICE_SECS)?;
    }
    Ok(tx)
}

/// Logged out: the session cookie dropped, the notice for the next page.
/// Forgetting the browser also drops its trusted-browser and device
/// cookies and clears the site's cookies. Browsers that honour
/// `Clear-Site-Data` ignore the cookies set in the same response (the spec
/// says so; Chromium does), which would lose the "Logged out" notice. A
/// browser navigation therefore gets the header with the page that shows
/// the notice (`Notice::clears_site_data`, see `serve.rs`); any other
/// client gets it here.
fn logged_out(app: &App, req: &Req, forget: bool) -> Reply {
    let notice = if forget {
        Notice::LoggedOutForgotten
    } else {
        Notice::LoggedOut
    };
    let reply = Reply::redirect("/")
        .cookie(cookies::removal(cookies::SESSION, req.secure))
        .cookie(flash::cookie(&app.keys, &[notice], req.secure));
    if !forget {
        return reply;
    }
    reply
        .cookie(cookies::removal(cookies::TRUSTED, req.secure))
        .cookie(cookies::removal(cookies::DEVICE, req.secure))
        .clear_site_data(!req.is_navigation())
}

/// A logout without a live session (it expired, or ended elsewhere): the
/// person is logged out already, so the answer is the usual one, with the
/// stale cookie removed, and no token is asked for. A post without any
/// session cookie (nothing to log out of, and perhaps not from this site:
/// our cookies are `SameSite=Lax`) just goes home, unless it asked to
/// forget the browser.
fn no_session(app: &App, req: &Req, forget: bool) -> Reply {
    if req.session == SessionCookie::Absent && !forget {
        Reply::redirect("/")
    } else {
        logged_out(app, req, forget)
    }
}
