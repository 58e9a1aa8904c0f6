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

pub(crate) const PAGE: &str = "logout.html";

pub(crate) async fn confirm(app: &App, req: &Req) -> Result<Reply> {
    let visit = gate::member(app, req).await?;
    visit.page(app, PAGE)
}

pub(crate) async fn submit(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = match gate::member_form(app, req).await? {
        Posted::Member(checked) => *checked,
        Posted::Anonymous => return Ok(no_session(app, req)),
    };
    let m = &visit.who;
    let forget = form.text("forget") == "1";
    let mut tx = app.store.tx().delete_session(&m.session)?;
    if forget {
        let account_id = &m.account.account_id;
        if let Some((_, token)) = req.trusted.as_ref().filter(|(a, _)| a == account_id) {
            tx = tx.delete_trusted_by_hash(account_id, &token_hash(token))?;
        }
        if let Some(d) = req.device.as_ref().filter(|d| &d.account_id == account_id) {
            tx = tx.forget_device(account_id, &d.id, d.issued_at + DEVICE_SECS)?;
        }
    }
    tx.commit().await?;
    audit(
        app,
        req,
        if forget { "logout_forget" } else { "logout" },
        m.user_key(),
    );
    Ok(logged_out(app, req, forget))
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
/// our cookies are `SameSite=Lax`) just goes home.
fn no_session(app: &App, req: &Req) -> Reply {
    if req.session == SessionCookie::Absent {
        Reply::redirect("/")
    } else {
        logged_out(app, req, false)
    }
}
