//! GET `/logout` (a confirm page) and POST `/logout` (ends the session).

use super::gate::Posted;
use super::prelude::*;
use crate::cookies;
use crate::flash;
use crate::gateway::request::SessionCookie;

pub(crate) const PAGE: &str = "logout.html";

pub(crate) async fn confirm(app: &App, req: &Req) -> Result<Reply> {
    let visit = gate::member(app, req).await?;
    visit.page(app, PAGE)
}

pub(crate) async fn submit(app: &App, req: &Req) -> Result<Reply> {
    let visit = match gate::member_form(app, req).await? {
        Posted::Member(checked) => checked.0,
        Posted::Anonymous => return Ok(no_session(app, req)),
    };
    let m = &visit.who;
    app.store.delete_session(&m.session).await?;
    audit(app, req, "logout", m.user_key());
    Ok(logged_out(app, req))
}

/// Logged out: the session cookie dropped, the notice for the next page.
/// Browsers that honour `Clear-Site-Data` ignore the cookies set in the
/// same response (the spec says so; Chromium does), which would lose the
/// "Logged out" notice. A browser navigation therefore gets the header
/// with the page that shows the notice (`Notice::clears_site_data`, see
/// `serve.rs`); any other client gets it here.
fn logged_out(app: &App, req: &Req) -> Reply {
    Reply::redirect("/")
        .cookie(cookies::removal(cookies::SESSION, req.secure))
        .cookie(flash::cookie(&app.keys, &[Notice::LoggedOut], req.secure))
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
        logged_out(app, req)
    }
}
