//! GET `/`: the index, anonymous or signed in.

use super::prelude::*;

pub(crate) const PAGE: &str = "index.html";

pub(crate) async fn index(app: &App, req: &Req) -> Result<Reply> {
    let visit = gate::anyone(app, req).await?;
    visit.page(app, PAGE)
}
