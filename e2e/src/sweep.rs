//! Every GET page the route table lists is visited, checked with axe and
//! seen at 375 px: the flows check the pages they pass through, and this
//! last flow visits the ones they did not, as the visitor the route's
//! access names. A new page needs no line here; only a link holder's page
//! needs a flow that follows its link.

use std::collections::BTreeSet;
use std::sync::Mutex;

use shared::{Access, Route, ROUTES};

use super::*;

/// The paths axe passed, and the paths seen at phone width.
pub(crate) static AXED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
pub(crate) static NARROW: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Notes that the page at `path` (query dropped) passed a check.
pub(crate) fn checked(set: &Mutex<BTreeSet<String>>, path: &str) {
    let path = path.split('?').next().unwrap_or(path).to_string();
    set.lock().unwrap_or_else(|e| e.into_inner()).insert(path);
}

fn was(set: &Mutex<BTreeSet<String>>, path: &str) -> bool {
    set.lock().unwrap_or_else(|e| e.into_inner()).contains(path)
}

/// The pages of the route table: its GET routes that render one.
fn pages() -> impl Iterator<Item = &'static Route> {
    ROUTES
        .iter()
        .filter(|r| r.method == "GET" && r.page.is_some())
}

pub(crate) async fn every_page_in_the_route_table(cx: &Ctx) -> Result {
    let mut problems = Vec::new();
    for r in pages() {
        if was(&AXED, r.path) && was(&NARROW, r.path) {
            continue;
        }
        if r.access == Access::LinkHolder {
            problems.push(format!(
                "GET {} is a link holder's page and no flow opened it: add a flow to \
                 e2e/src/lifecycle.rs that follows its link from the outbox",
                r.path
            ));
            continue;
        }
        if r.access == Access::SecondStep {
            problems.push(format!(
                "GET {} is the second step of a sign-in and no flow opened it: add it to \
                 the flow in e2e/src/two_factor.rs",
                r.path
            ));
            continue;
        }
        if let Err(e) = visit(cx, r).await {
            problems.push(format!("GET {}: {e}", r.path));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Opens the page as its visitor (signed in for a members' page, else
/// anonymous), checks it with axe and at phone width, screenshots it.
async fn visit(cx: &Ctx, r: &Route) -> Result {
    let b = Browser::open(&cx.profile(), 1280, 900).await?;
    let outcome = async {
        if r.access == Access::Members {
            let user = cx.user("Visitor");
            b.register(&user, &format!("{user}@example.com"), PASSWORD)
                .await?;
        }
        b.goto(r.path).await?;
        let at = b.path().await?;
        if at.split('?').next() != Some(r.path) {
            return Err(format!("landed on {at}"));
        }
        b.accessible(&cx.axe).await?;
        let name = r.path.trim_start_matches('/').replace('/', "-");
        b.shoot(&format!("{name}-page")).await
    }
    .await;
    b.close().await?;
    outcome
}
