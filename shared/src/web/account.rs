//! GET `/account` (who you are, where you are signed in) and the forms that
//! end sessions: POST `/account/sessions/revoke` (one, by its public id)
//! and `/account/sessions/revoke-others` (all but this one).

use http::StatusCode;
use tera::Context;

use super::gate::{self, Admission};
use super::{audit, Result};
use crate::app::App;
use crate::crypto::token_hash;
use crate::gateway::reply::Reply;
use crate::gateway::request::{Req, SessionCookie};
use crate::messages::Notice;
use crate::store::Session;
use crate::views::describe_browser;

pub(crate) const PAGE: &str = "account.html";

/// Where an anonymous visitor of these routes returns after logging in.
const BACK: &str = "/account";

#[derive(serde::Serialize)]
struct SessionRow {
    id: String,
    browser: String,
    source_ip: String,
    started: String,
    last_seen: String,
    remember: bool,
    current: bool,
}

pub(crate) async fn show(app: &App, req: &Req) -> Result<Reply> {
    let SessionCookie::Signed { user_key, token } = &req.session else {
        return Ok(gate::to_login(app, req, BACK));
    };
    // One strongly consistent Query returns this session and the list, so
    // the page costs one read (the gate's GetItem would be a second).
    let hash = token_hash(token);
    // The account's one flag the page shows, read beside the list (in
    // parallel: the page waits for one round trip, not two).
    let (all, confirmed) = tokio::join!(
        app.store.list_sessions(user_key),
        app.store.email_confirmed(user_key)
    );
    let (all, confirmed) = (all?, confirmed?.unwrap_or(false));
    let current = all.iter().find(|s| s.token_hash == hash).cloned();
    let Some(current) = gate::live(app, current).await? else {
        return Ok(gate::to_login(app, req, BACK));
    };
    let now = app.now();
    let mut rows: Vec<&Session> = all.iter().filter(|s| s.expires_at > now).collect();
    rows.sort_by_key(|s| (s.token_hash != hash, -s.last_seen));
    let rows: Vec<SessionRow> = rows.into_iter().map(|s| row(s, &current)).collect();
    let mut ctx = Context::new();
    ctx.insert("sessions", &rows);
    ctx.insert("email_confirmed", &confirmed);
    gate::member_visit(app, req, current).render(app, PAGE, StatusCode::OK, ctx)
}

fn row(s: &Session, current: &Session) -> SessionRow {
    let is_current = s.token_hash == current.token_hash;
    SessionRow {
        id: s.public_id.clone(),
        browser: describe_browser(&s.user_agent),
        source_ip: if s.source_ip.is_empty() {
            "unknown".into()
        } else {
            s.source_ip.clone()
        },
        started: crate::clock::date_time(s.created_at),
        // This session's activity may have just been recorded.
        last_seen: crate::clock::date_time(if is_current {
            current.last_seen
        } else {
            s.last_seen
        }),
        remember: s.remember,
        current: is_current,
    }
}

/// Which sessions a form ends.
#[derive(Clone, Copy)]
enum Ending {
    /// The one whose public id the form names (an unknown or foreign id
    /// matches nothing: same answer).
    One,
    AllButThis,
}

pub(crate) async fn revoke(app: &App, req: &Req) -> Result<Reply> {
    end_sessions(app, req, Ending::One).await
}

pub(crate) async fn revoke_others(app: &App, req: &Req) -> Result<Reply> {
    end_sessions(app, req, Ending::AllButThis).await
}

async fn end_sessions(app: &App, req: &Req, ending: Ending) -> Result<Reply> {
    let (visit, form) = match gate::member_post(app, req, BACK).await? {
        Admission::Admitted(checked) => checked,
        Admission::Answered(reply) => return Ok(reply),
    };
    let current = &visit.who;
    let sessions = app.store.list_sessions(&current.user_key).await?;
    let (event, notice, ended_current) = match ending {
        Ending::One => {
            let target = form.text("session");
            let found = sessions
                .iter()
                .find(|s| !target.is_empty() && s.public_id == target);
            if let Some(s) = found {
                app.store.delete_session(&s.user_key, &s.token_hash).await?;
            }
            let ended_current = found.is_some_and(|s| s.token_hash == current.token_hash);
            ("revoke_session", Notice::SessionEnded, ended_current)
        }
        Ending::AllButThis => {
            let others: Vec<&Session> = sessions
                .iter()
                .filter(|s| s.token_hash != current.token_hash)
                .collect();
            ("revoke_others", end_others(app, &others).await?, false)
        }
    };
    audit(app, req, event, &current.user_key);
    let reply = Reply::redirect(BACK).cookie(visit.flash(app, notice));
    Ok(if ended_current {
        reply.cookie(visit.drop_session())
    } else {
        reply
    })
}

/// Ends `others` in all-or-nothing chunks. If DynamoDB fails part-way, the
/// page says how many were ended (a 503 only when none was).
async fn end_others(app: &App, others: &[&Session]) -> Result<Notice> {
    let (ended, outcome) = app.store.delete_sessions(others).await;
    match outcome {
        Ok(()) => Ok(Notice::OthersEnded),
        Err(e) if ended == 0 => Err(e.into()),
        Err(e) => {
            let left = others.len() - ended;
            tracing::error!(error = %e, ended, left, "sign out everywhere else stopped part-way");
            Ok(Notice::OthersPartlyEnded { ended, left })
        }
    }
}
