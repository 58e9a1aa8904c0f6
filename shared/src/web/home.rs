//! GET `/`: the index, anonymous or signed in.

use http::StatusCode;
use tera::Context;

use super::gate;
use super::Result;
use crate::app::App;
use crate::gateway::reply::Reply;
use crate::gateway::request::Req;

pub(crate) const PAGE: &str = "index.html";

pub(crate) async fn index(app: &App, req: &Req) -> Result<Reply> {
    let visit = gate::anyone(app, req).await?;
    visit.render(app, PAGE, StatusCode::OK, Context::new())
}
