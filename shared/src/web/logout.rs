//! GET `/logout` (a confirm page) and POST `/logout` (ends the session).

use http::StatusCode;
use tera::Context;

use super::gate::{self, Admission};
use super::{audit, Result};
use crate::app::App;
use crate::gateway::reply::Reply;
use crate::gateway::request::Req;
use crate::messages::Notice;

pub(crate) const PAGE: &str = "logout.html";

pub(crate) async fn confirm(app: &App, req: &Req) -> Result<Reply> {
    let visit = match gate::member(app, req, "/logout").await? {
        Admission::Admitted(visit) => visit,
        Admission::Answered(reply) => return Ok(reply),
    };
    visit.render(app, PAGE, StatusCode::OK, Context::new())
}

pub(crate) async fn submit(app: &App, req: &Req) -> Result<Reply> {
    let (visit, _form) = gate::post(app, req).await?;
    if let Some(s) = &visit.who {
        app.store.delete_session(&s.user_key, &s.token_hash).await?;
        audit(app, req, "logout", &s.user_key);
    }
    // Browsers that honour `Clear-Site-Data` ignore the cookies set in the
    // same response (the spec says so; Chromium does), which would lose the
    // "Logged out" notice. A browser navigation therefore gets the header
    // with the page that shows the notice (`Notice::clears_site_data`, see
    // `serve.rs`); any other client gets it here.
    Ok(Reply::redirect("/")
        .cookie(visit.drop_session())
        .cookie(visit.flash(app, Notice::LoggedOut))
        .clear_site_data(!req.is_navigation()))
}
