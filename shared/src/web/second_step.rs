//! The second step of a two-factor sign-in. A right password (`login`)
//! starts a pending sign-in: a random token in its own cookie, stored
//! hashed in the account's partition for 5 minutes with what the sign-in
//! asked for (`remember`, the safe `next`). GET/POST `/login/two-factor`
//! then takes a code or a recovery code: right, a session starts (one
//! transaction uses the code's step, or the recovery code, and the pending
//! sign-in up, so of two tabs with one code one gets in). Each try is
//! counted on the pending sign-in before it is answered (5 end it, however
//! parallel); a wrong one also counts as a failed login for the username.
//! Success resets the counter that counted the password. No Argon2 here:
//! the password was checked already.

use cookie::Cookie;

use super::codes::{self, Read};
use super::links;
use super::prelude::*;
use super::signin::SignIn;
use super::throttle::{self, user_counter, Counted};
use crate::cookies;
use crate::crypto::{random_b64, token_hash};
use crate::next_url;
use crate::session;
use crate::store::{MailKind, Method, Partition, Pending, Proof, StoreError, Trusted, User};

pub(crate) const PAGE: &str = "login_two_factor.html";

/// How long a pending sign-in waits for its code.
const PENDING_SECS: i64 = 5 * 60;
/// Codes a pending sign-in takes (each counted before it is checked).
const MAX_TRIES: i64 = 5;
/// How long a trusted browser skips the code.
pub(crate) const TRUST_SECS: i64 = 30 * 24 * 60 * 60;

/// This browser's trusted-browser item in `partition`, if it counts now.
pub(super) fn trusted_here<'p>(
    app: &App,
    req: &Req,
    partition: &'p Partition,
) -> Option<&'p Trusted> {
    let (account_id, token) = req.trusted.as_ref()?;
    let hash = token_hash(token);
    partition
        .trusted_now(app.now())
        .into_iter()
        .find(|t| &t.account_id == account_id && t.token_hash == hash)
}

/// The right password of an account with two-factor sign-in: no session
/// yet, a pending sign-in and `303` to its form.
pub(super) async fn ask_for_code(
    app: &App,
    req: &Req,
    user: &User,
    counted: &Counted,
    remember: bool,
    next: Option<&str>,
) -> Result<Reply> {
    let token = session::new_token();
    let pending = Pending {
        account_id: user.account_id.clone(),
        token_hash: token_hash(&token),
        user_key: user.key.clone(),
        generation: user.generation,
        remember,
        next: next.map(str::to_string),
        attempts: 0,
        counter: counted.counter.clone(),
        expires_at: app.now() + PENDING_SECS,
    };
    app.store.tx().put_pending(&pending)?.commit().await?;
    audit(app, req, "login_second_step", &user.key);
    let value = session::cookie_value(&user.account_id, &token);
    let cookie = cookies::build(cookies::PENDING, value, req.secure, Some(PENDING_SECS));
    Ok(Reply::redirect("/login/two-factor").cookie(cookies::sign(&app.keys, cookie)))
}

/// The request's pending sign-in and its account's partition, if it is
/// there, unexpired, and of the account as it is now.
async fn find(app: &App, req: &Req) -> Result<Option<(Pending, Partition)>> {
    let Some((account_id, token)) = &req.pending else {
        return Ok(None);
    };
    let partition = app.store.partition(account_id).await?;
    let hash = token_hash(token);
    let (now, row) = (app.now(), partition.account.as_ref());
    let found = partition.pending.iter().find(|p| {
        p.token_hash == hash
            && p.expires_at > now
            && row.is_some_and(|r| r.generation == p.generation)
    });
    Ok(found.cloned().map(|p| (p, partition)))
}

/// No pending sign-in (none, expired, ended): back to the password.
fn to_login(req: &Req) -> Reply {
    Reply::redirect("/login").cookie(cookies::removal(cookies::PENDING, req.secure))
}

fn render(app: &App, visit: Visit<'_>, failed: Option<Failure<'_>>) -> Result<Reply> {
    visit.form_page(app, PAGE, failed, Context::new())
}

pub(crate) async fn form(app: &App, req: &Req) -> Result<Reply> {
    let visit = gate::guest(app, req).await?;
    match find(app, req).await? {
        Some(_) => render(app, visit, None),
        None => Ok(to_login(req)),
    }
}

pub(crate) async fn submit(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = gate::guest_post(app, req).await?;
    let Some((pending, partition)) = find(app, req).await? else {
        return Ok(to_login(req));
    };
    let found = app.store.get_user(&pending.user_key).await?;
    let same = |u: &User| {
        u.account_id == pending.account_id && u.generation == pending.generation && u.totp.is_some()
    };
    let Some(user) = found.filter(same) else {
        app.store.end_pending(&pending).await?;
        return Ok(to_login(req));
    };
    let read = codes::read(
        app,
        &user,
        form.text("code"),
        Some(form.text("recovery_code")),
    );
    let proof = match &read {
        Read::Proof(proof) => Some(proof.clone()),
        Read::Missing => {
            let failed = (StatusCode::BAD_REQUEST, messages::REQUIRED, Some("code"));
            return render(app, visit, Some(failed));
        }
        Read::Wrong | Read::Used => None,
    };
    // Counted before it is answered: of parallel tries, at most 5 get an
    // answer, the others are sent to log in again.
    let Some(tries) = app.store.pending_attempt(&pending, MAX_TRIES).await? else {
        return Ok(to_login(req));
    };
    let Some(proof) = proof else {
        return wrong(app, req, visit, &pending, tries, &user, read).await;
    };
    // Asked to trust this browser: its token, for the item and the cookie.
    let trust = form.checked("trust").then(session::new_token);
    let done = complete(
        app,
        req,
        &user,
        &partition,
        &pending,
        &proof,
        trust.as_deref(),
    );
    let Some(cookie) = done.await? else {
        // The code's step was used by a parallel sign-in meanwhile.
        return wrong(app, req, visit, &pending, tries, &user, Read::Used).await;
    };
    audit(app, req, "login_success", &user.key);
    let mut notices = vec![Notice::WelcomeBack {
        username: user.username.clone(),
    }];
    if let Proof::Recovery(_) = proof {
        let left = user.recovery.len().saturating_sub(1);
        notices.push(Notice::RecoveryCodesLeft { left });
    }
    let next = next_url::target(pending.next.as_deref().and_then(next_url::safe_next));
    let mut reply = Reply::redirect(next)
        .cookie(cookie)
        .cookie(cookies::removal(cookies::PENDING, req.secure))
        .cookie(throttle::device_cookie(
            app,
            req,
            &user,
            Some(&pending.counter),
        ))
        .cookie(visit.flash_all(app, notices));
    if let Some(token) = trust {
        let value = session::cookie_value(&user.account_id, &token);
        let c = cookies::build(cookies::TRUSTED, value, req.secure, Some(TRUST_SECS));
        reply = reply.cookie(cookies::sign(&app.keys, c));
    }
    Ok(reply)
}

/// A wrong (or used) code, the pending sign-in's `tries`-th: a failed
/// login for the username too; the fifth ends the pending sign-in (the
/// password is needed again), as does the username's limit.
async fn wrong(
    app: &App,
    req: &Req,
    visit: Visit<'_>,
    pending: &Pending,
    tries: i64,
    user: &User,
    read: Read,
) -> Result<Reply> {
    let limits = app.config.login;
    let counter = user_counter(app, &user.key);
    let count = app
        .store
        .add_failure(&counter, app.now(), limits.window_secs)
        .await?;
    throttle::failed(app, req).await?;
    audit(app, req, "second_step_failure", &user.key);
    if tries >= MAX_TRIES || count > limits.per_user {
        app.store.end_pending(pending).await?;
    }
    let message = match read {
        Read::Used => messages::CODE_USED,
        _ => messages::INCORRECT_CODE,
    };
    render(
        app,
        visit,
        Some((StatusCode::UNAUTHORIZED, message, Some("code"))),
    )
}

/// The session: one transaction uses the second factor and the pending
/// sign-in up, writes the session (and, asked, the trusted browser), and
/// resets the counter that counted the password. `None`: the second
/// factor was used up by a parallel request first.
async fn complete(
    app: &App,
    req: &Req,
    user: &User,
    partition: &Partition,
    pending: &Pending,
    proof: &Proof,
    trust: Option<&str>,
) -> Result<Option<Cookie<'static>>> {
    let method = match proof {
        Proof::Code(_) => Method::PasswordAndCode,
        Proof::Recovery(_) => Method::PasswordAndRecoveryCode,
    };
    let sign_in = SignIn::new(app, req, user, partition, pending.remember, method)?;
    // The second factor first: a refusal at item 0 is its own.
    let mut tx = app
        .store
        .tx()
        .use_second_factor(user, proof)?
        .use_pending(pending)?
        .delete_counter(&pending.counter)?;
    if let Proof::Recovery(_) = proof {
        tx = tx.put_mail(&links::notice(app, MailKind::RecoveryCodeUsed, user))?;
    }
    if let Some(token) = trust {
        tx = tx.put_trusted(&trusted_browser(app, req, user, token))?;
    }
    let tx = sign_in.writes(tx)?;
    match sign_in.commit(app, req, &user.key, tx).await {
        Ok(cookie) => Ok(Some(cookie)),
        Err(StoreError::Refused(items)) if items == [0] => Ok(None),
        Err(StoreError::Refused(_)) => Err(AppError::Conflict("sign-in changed".into()).into()),
        Err(e) => Err(e.into()),
    }
}

/// The trusted-browser item for this browser, whose cookie holds `token`.
fn trusted_browser(app: &App, req: &Req, user: &User, token: &str) -> Trusted {
    let now = app.now();
    Trusted {
        account_id: user.account_id.clone(),
        token_hash: token_hash(token),
        public_id: random_b64(12),
        generation: user.generation,
        created_at: now,
        last_used: now,
        expires_at: now + TRUST_SECS,
        user_agent: req.user_agent.clone(),
    }
}
