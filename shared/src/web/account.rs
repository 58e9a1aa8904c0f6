//! GET `/account` (who you are, where you are signed in, which browsers
//! skip the code) and the forms that end sessions: POST
//! `/account/sessions/revoke` (one, by its public id) and
//! `/account/sessions/revoke-others` (all but this one); and POST
//! `/account/trusted-browsers/forget` (one trusted browser, by its public
//! id).

use super::prelude::*;
use super::signin;
use crate::crypto::token_hash;
use crate::gateway::request::SessionCookie;
use crate::store::{RowChange, Session, StoreError, Trusted};
use crate::views::describe_browser;

pub(crate) const PAGE: &str = "account.html";

/// Where the sign-out forms lead back to.
const ACCOUNT: &str = "/account";

#[derive(serde::Serialize)]
struct SessionRow {
    id: String,
    browser: String,
    source_ip: String,
    started: String,
    last_seen: String,
    remember: bool,
    current: bool,
    /// How it signed in.
    method: &'static str,
}

#[derive(serde::Serialize)]
struct TrustedRow {
    id: String,
    browser: String,
    since: String,
    last_used: String,
}

fn trusted_row(t: &Trusted) -> TrustedRow {
    TrustedRow {
        id: t.public_id.clone(),
        browser: describe_browser(&t.user_agent),
        since: crate::clock::date(t.created_at),
        last_used: crate::clock::date_time(t.last_used),
    }
}

pub(crate) async fn show(app: &App, req: &Req) -> Result<Reply> {
    let SessionCookie::Signed { account_id, token } = &req.session else {
        return Ok(gate::to_login(app, req));
    };
    // One strongly consistent Query of the account's partition returns
    // this session, the account's row (with the confirmed flag) and the
    // list, so the page costs one read (the gate's would be a second).
    let hash = token_hash(token);
    let partition = app.store.partition(account_id).await?;
    let current = partition
        .sessions
        .iter()
        .find(|s| s.token_hash == hash)
        .cloned();
    let Some(member) = gate::live(app, partition.account.clone(), current).await? else {
        return Ok(gate::to_login(app, req));
    };
    let confirmed = member.account.email_confirmed;
    let mut rows = partition.live(app.now());
    rows.sort_by_key(|s| (s.token_hash != hash, -s.last_seen));
    let rows: Vec<SessionRow> = rows.into_iter().map(|s| row(s, &member.session)).collect();
    let mut trusted = partition.trusted_now(app.now());
    trusted.sort_by_key(|t| -t.last_used);
    let trusted: Vec<TrustedRow> = trusted.into_iter().map(trusted_row).collect();
    let mut ctx = Context::new();
    ctx.insert("sessions", &rows);
    ctx.insert("trusted", &trusted);
    ctx.insert("email_confirmed", &confirmed);
    ctx.insert("two_factor", &member.account.two_factor);
    // Passkeys need the site's own address (their relying party).
    ctx.insert("passkeys", &app.config.site_host().is_some());
    gate::member_visit(app, req, member).render(app, PAGE, StatusCode::OK, ctx)
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
        method: s.method.label(),
    }
}

/// POST `/account/trusted-browsers/forget`: the browser the form names
/// (among the person's own) is asked for a code again; an unknown or
/// foreign id matches nothing and gets the same answer.
pub(crate) async fn forget_trusted(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = gate::member_post(app, req).await?;
    let target = form.text("browser");
    let partition = app.store.partition(&visit.who.session.account_id).await?;
    let found = partition
        .trusted
        .iter()
        .find(|t| !target.is_empty() && t.public_id == target);
    if let Some(t) = found {
        app.store.tx().delete_trusted(t)?.commit().await?;
    }
    audit(app, req, "trusted_browser_forget", visit.who.user_key());
    Ok(Reply::redirect(ACCOUNT).cookie(visit.flash(app, Notice::TrustedForgotten)))
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
    let (visit, form) = gate::member_post(app, req).await?;
    let current = &visit.who;
    let (event, notice, ended_current) = match ending {
        Ending::One => {
            let target = form.text("session");
            let partition = app.store.partition(&current.session.account_id).await?;
            let found = partition
                .sessions
                .iter()
                .find(|s| !target.is_empty() && s.public_id == target);
            if let Some(s) = found {
                app.store.delete_session(s).await?;
            }
            let ended_current = found.is_some_and(|s| s.token_hash == current.session.token_hash);
            ("revoke_session", Notice::SessionEnded, ended_current)
        }
        Ending::AllButThis => {
            end_others(app, current).await?;
            ("revoke_others", Notice::OthersEnded, false)
        }
    };
    audit(app, req, event, current.user_key());
    let reply = Reply::redirect(ACCOUNT).cookie(visit.flash(app, notice));
    Ok(if ended_current {
        reply.cookie(visit.drop_session())
    } else {
        reply
    })
}

/// Ends every session but this one, however many: one transaction moves
/// the account's epoch on and carries this session into the new one (only
/// if it still stands). Then the dead items are cleaned up.
async fn end_others(app: &App, current: &Member) -> Result<()> {
    let s = &current.session;
    let tx = app
        .store
        .tx()
        .change_row(
            &s.account_id,
            RowChange {
                end_sessions_of: Some(s.epoch),
                ..Default::default()
            },
        )?
        .carry_session(s)?;
    match tx.commit().await {
        Ok(()) => {}
        // Ended meanwhile (this session, or all of them by another flow).
        Err(StoreError::Refused(_)) => {
            return Err(AppError::Conflict("sessions changed".into()).into())
        }
        Err(e) => return Err(e.into()),
    }
    signin::clean_up(app, &s.account_id).await;
    Ok(())
}
