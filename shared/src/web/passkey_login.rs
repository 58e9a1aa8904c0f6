//! POST `/login/passkey`: a sign-in with a passkey, no username or
//! password typed. The assertion answers a challenge that a log-in page
//! offered (used up first: each works once, for 5 minutes); its user
//! handle names the account, its credential one of that account's
//! passkeys; webauthn-rs checks the signature, origin, relying party and
//! user verification; the counter must go up (or stay 0). A user-verified
//! passkey is both factors: no second step. Every refusal gets one answer
//! and counts on the source's failed-login counter, which is checked
//! first.

use super::prelude::*;
use super::signin::SignIn;
use super::{login, throttle};
use crate::crypto::passkey::RelyingParty;
use crate::crypto::token_hash;
use crate::next_url;
use crate::store::{Method, Partition, Passkey, StoreError, User};

/// What an assertion proved: the account, its partition, the passkey and
/// the counter it showed.
struct Proven {
    user: User,
    partition: Partition,
    passkey: Passkey,
    counter: i64,
}

pub(crate) async fn sign_in(app: &App, req: &Req) -> Result<Reply> {
    let rp = super::passkeys::relying_party(app)?;
    let (visit, form) = gate::guest_post(app, req).await?;
    let next = form
        .get("next")
        .and_then(next_url::safe_next)
        .or_else(|| login::query_next(req));
    if throttle::source_closed(app, req).await? {
        throttle::failed(app, req).await?;
        audit(app, req, "passkey_login_locked", "");
        let too_many = (StatusCode::TOO_MANY_REQUESTS, messages::TOO_MANY);
        return login::refused(app, visit, next, too_many).await;
    }
    let proven = match verified(app, rp, form.text("credential")).await? {
        Some(p) => p,
        None => return refused(app, req, visit, next).await,
    };
    let remember = form.checked("remember");
    let Some(cookie) = start_session(app, req, &proven, remember).await? else {
        return refused(app, req, visit, next).await;
    };
    let user = &proven.user;
    audit(app, req, "login_success_passkey", &user.key);
    let welcome = Notice::WelcomeBack {
        username: user.username.clone(),
    };
    Ok(Reply::redirect(next_url::target(next))
        .cookie(cookie)
        .cookie(throttle::device_cookie(app, req, user, None))
        .cookie(visit.flash(app, welcome)))
}

/// Any refusal: one answer, one more failure against the source.
async fn refused(app: &App, req: &Req, visit: Visit<'_>, next: Option<&str>) -> Result<Reply> {
    throttle::failed(app, req).await?;
    audit(app, req, "passkey_login_failure", "");
    let failed = (StatusCode::UNAUTHORIZED, messages::PASSKEY_FAILED);
    login::refused(app, visit, next, failed).await
}

/// The account a passkey assertion proves, or `None`.
async fn verified(app: &App, rp: &RelyingParty, credential: &str) -> Result<Option<Proven>> {
    let Some(assertion) = rp.read_assertion(credential) else {
        return Ok(None);
    };
    let hash = token_hash(&assertion.challenge);
    if !app.store.take_login_challenge(&hash, app.now()).await? {
        return Ok(None);
    }
    let partition = app.store.partition(&assertion.account_id).await?;
    let Some(row) = &partition.account else {
        return Ok(None);
    };
    let found = partition
        .passkeys
        .iter()
        .find(|p| p.cred_id == assertion.cred_id);
    let Some(passkey) = found.cloned() else {
        return Ok(None);
    };
    let Some(counter) = rp.finish_sign_in(&assertion, &passkey.key, passkey.counter) else {
        return Ok(None);
    };
    let user = app.store.get_user(&row.user_key).await?;
    let Some(user) = user.filter(|u| u.account_id == row.account_id) else {
        return Ok(None);
    };
    Ok(Some(Proven {
        user,
        partition,
        passkey,
        counter,
    }))
}

/// The session, in one transaction with the passkey's new counter (only
/// while it is there and the counter goes up: `None` otherwise) and the
/// account's check (not deleted or being deleted).
async fn start_session(
    app: &App,
    req: &Req,
    p: &Proven,
    remember: bool,
) -> Result<Option<cookie::Cookie<'static>>> {
    let user = &p.user;
    let sign_in = SignIn::new(app, req, user, &p.partition, remember, Method::Passkey)?;
    let tx = app
        .store
        .tx()
        .use_passkey(&p.passkey, p.counter, app.now())?;
    let tx = if user.registration_id.is_some() {
        tx.forget_registration(user)?
    } else {
        tx.check_unchanged(user)?
    };
    let tx = sign_in.writes(tx)?;
    match sign_in.commit(app, req, &user.key, tx).await {
        Ok(cookie) => Ok(Some(cookie)),
        Err(StoreError::Refused(items)) if items == [0] => Ok(None),
        Err(StoreError::Refused(_)) => Err(AppError::Conflict("account changed".into()).into()),
        Err(e) => Err(e.into()),
    }
}
