//! GET `/login` (the form, keeping `?next=`) and POST `/login`: throttled,
//! then checked against the account, then a new session. The page also
//! offers a passkey sign-in (`passkey_login.rs` answers it): its request
//! options are made here, without webauthn-rs, so that this function
//! need not link it.

use super::prelude::*;
use super::second_step;
use super::signin::SignIn;
use super::throttle::{self, Counted, Gate};
use crate::crypto::{random_b64, token_hash};
use crate::forms::{self, Form};
use crate::next_url;
use crate::store::{Method, Partition, StoreError, Trusted, User};
use crate::validate;

pub(crate) const PAGE: &str = "login.html";

/// What the form shows besides the layout.
struct Shown<'a> {
    username: &'a str,
    remember: bool,
    next: Option<&'a str>,
    error: Option<&'a str>,
}

/// How long a log-in page's passkey challenge works.
const PASSKEY_SECS: i64 = 5 * 60;

/// The passkey sign-in's request options for one page: a new challenge,
/// kept 5 minutes and used once; no credentials listed (the browser
/// offers the site's passkeys), user verification required. `None` when
/// the site has no address of its own or the challenge could not be kept:
/// the page then offers the password alone.
async fn passkey_options(app: &App) -> Option<String> {
    let rp_id = app.config.site_host()?;
    let challenge = random_b64(32);
    let expires = app.now() + PASSKEY_SECS;
    let hash = token_hash(&challenge);
    if let Err(e) = app.store.put_login_challenge(&hash, expires).await {
        tracing::warn!(error = %e, "log-in page without passkeys");
        return None;
    }
    let options = serde_json::json!({
        "challenge": challenge,
        "rpId": rp_id,
        "allowCredentials": [],
        "userVerification": "required",
        "timeout": PASSKEY_SECS * 1000,
    });
    Some(options.to_string())
}

/// The form again after a refused passkey sign-in: `failed` for the whole
/// form.
pub(super) async fn refused(
    app: &App,
    visit: Visit<'_>,
    next: Option<&str>,
    failed: (StatusCode, &str),
) -> Result<Reply> {
    let f = Shown {
        username: "",
        remember: false,
        next,
        error: Some(failed.1),
    };
    render(app, visit, f, failed.0, Passkeys::Offered).await
}

/// Whether a rendering of the form offers a passkey sign-in: the page
/// does, and so does a refused passkey; a refused password does not (it
/// writes nothing: a guess costs no challenge).
#[derive(PartialEq)]
enum Passkeys {
    Offered,
    Not,
}

async fn render(
    app: &App,
    mut visit: Visit<'_>,
    f: Shown<'_>,
    status: StatusCode,
    passkeys: Passkeys,
) -> Result<Reply> {
    // Sent here to log in first: say so, once.
    if f.next.is_some() && f.error.is_none() && !visit.notices.contains(&Notice::LogInFirst) {
        visit.notices.push(Notice::LogInFirst);
    }
    let mut ctx = Context::new();
    ctx.insert("username", f.username);
    ctx.insert("remember", &f.remember);
    ctx.insert("next", &f.next);
    ctx.insert("next_encoded", &f.next.map(forms::encode));
    ctx.insert("error", &f.error);
    ctx.insert("error_field", &error_field(&f));
    let options = match passkeys {
        Passkeys::Offered => passkey_options(app).await,
        Passkeys::Not => None,
    };
    ctx.insert("passkey_options", &options);
    visit.render(app, PAGE, status, ctx)
}

/// The field an error is about, marked `aria-invalid` with the message
/// beside it; `None` for an error about the whole form.
fn error_field(f: &Shown<'_>) -> Option<&'static str> {
    match f.error? {
        messages::REQUIRED if f.username.is_empty() => Some("username"),
        messages::REQUIRED | messages::BAD_LOGIN => Some("password"),
        _ => None,
    }
}

pub(super) fn query_next(req: &Req) -> Option<&str> {
    req.query
        .get("next")
        .map(String::as_str)
        .and_then(next_url::safe_next)
}

pub(crate) async fn form(app: &App, req: &Req) -> Result<Reply> {
    let visit = gate::guest(app, req).await?;
    let f = Shown {
        username: "",
        remember: false,
        next: query_next(req),
        error: None,
    };
    render(app, visit, f, StatusCode::OK, Passkeys::Offered).await
}

/// How a login attempt ended.
enum Attempt {
    /// The right password; the counter that counted the attempt.
    Accepted(Box<(User, Counted)>),
    Refused(Refusal),
}

/// Why a login attempt failed, as the form says it.
enum Refusal {
    Required,
    TooMany,
    BadLogin,
}

impl Refusal {
    fn status_and_text(&self) -> (StatusCode, &'static str) {
        match self {
            Refusal::Required => (StatusCode::BAD_REQUEST, messages::REQUIRED),
            Refusal::TooMany => (StatusCode::TOO_MANY_REQUESTS, messages::TOO_MANY),
            Refusal::BadLogin => (StatusCode::UNAUTHORIZED, messages::BAD_LOGIN),
        }
    }
}

pub(crate) async fn submit(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = gate::guest_post(app, req).await?;
    let next = form
        .get("next")
        .and_then(next_url::safe_next)
        .or_else(|| query_next(req));
    let (user, counted) = match check(app, req, &form).await? {
        Attempt::Accepted(accepted) => *accepted,
        Attempt::Refused(refusal) => {
            let (status, text) = refusal.status_and_text();
            let f = Shown {
                username: form.text("username").trim(),
                remember: form.checked("remember"),
                next,
                error: Some(text),
            };
            return render(app, visit, f, status, Passkeys::Not).await;
        }
    };
    let remember = form.checked("remember");
    let partition = app.store.partition(&user.account_id).await?;
    // With two-factor sign-in on, the right password asks for the code,
    // unless this browser is trusted by this account.
    let trusted = match &user.totp {
        None => None,
        Some(_) => match second_step::trusted_here(app, req, &partition) {
            Some(t) => Some(t.clone()),
            None => {
                let asked = second_step::ask_for_code(app, req, &user, &counted, remember, next);
                return asked.await;
            }
        },
    };
    let cookie = start_session(app, req, &user, &partition, &counted, remember, trusted).await?;
    audit(app, req, "login_success", &user.key);
    let welcome = Notice::WelcomeBack {
        username: user.username.clone(),
    };
    Ok(Reply::redirect(next_url::target(next))
        .cookie(cookie)
        .cookie(throttle::device_cookie(
            app,
            req,
            &user,
            Some(&counted.counter),
        ))
        .cookie(visit.flash(app, welcome)))
}

/// The new session, in one transaction with the reset of the counter that
/// counted this attempt, and only if the account is still the one whose
/// password was verified (not deleted, no password change or reset since)
/// and its sessions' epoch unchanged; the first sign-in also retires the
/// registration form's id (`web::register::retried`); a trusted browser's
/// last use is recorded. Its cookie.
async fn start_session(
    app: &App,
    req: &Req,
    user: &User,
    partition: &Partition,
    counted: &Counted,
    remember: bool,
    trusted: Option<Trusted>,
) -> Result<cookie::Cookie<'static>> {
    let method = match trusted {
        Some(_) => Method::TrustedBrowser,
        None => Method::Password,
    };
    let sign_in = SignIn::new(app, req, user, partition, remember, method)?;
    let mut tx = sign_in
        .writes(app.store.tx())?
        .delete_counter(&counted.counter)?;
    if let Some(t) = &trusted {
        tx = tx.touch_trusted(t, app.now())?;
    }
    let tx = if user.registration_id.is_some() {
        tx.forget_registration(user)?
    } else {
        tx.check_unchanged(user)?
    };
    match sign_in.commit(app, req, &user.key, tx).await {
        Ok(cookie) => Ok(cookie),
        Err(StoreError::Refused(_)) => Err(AppError::Conflict("account changed".into()).into()),
        Err(e) => Err(e.into()),
    }
}

/// The account for the form's username and password, or why not. The
/// throttle comes first (`throttle.rs` has the rules): the attempt is
/// counted before it is evaluated, atomically, so of any number of
/// parallel guesses at most the limit are ever checked, and a refused
/// attempt reads no account and runs no Argon2id.
async fn check(app: &App, req: &Req, form: &Form) -> Result<Attempt> {
    let username = form.text("username").trim();
    let password = form.text("password");
    if username.is_empty() || password.is_empty() {
        return Ok(Attempt::Refused(Refusal::Required));
    }
    let key = validate::username_key(username);
    // A device cookie counts only for the account as it is now (its
    // generation): with one, the account is read first to tell.
    let early = match &req.device {
        Some(_) => Some(app.store.get_user(&key).await?),
        None => None,
    };
    let device =
        throttle::counting_device(app, req, early.as_ref().and_then(Option::as_ref)).await?;
    let counted = match throttle::check(app, req, &key, device).await? {
        Gate::Open(counted) => counted,
        Gate::Closed(limit) => {
            audit(app, req, limit.event(), &key);
            return Ok(Attempt::Refused(Refusal::TooMany));
        }
    };
    let user = match early {
        Some(user) => user,
        None => app.store.get_user(&key).await?,
    };
    // An unknown user is verified against a dummy hash: same work, same time.
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    match user {
        Some(u) if app.hasher.verify(stored, password).await => {
            upgrade_hash(app, &u, password).await;
            Ok(Attempt::Accepted(Box::new((u, counted))))
        }
        other => {
            if other.is_none() {
                app.hasher.verify(None, password).await;
            }
            throttle::failed(app, req).await?;
            audit(app, req, "login_failure", &key);
            Ok(Attempt::Refused(Refusal::BadLogin))
        }
    }
}

/// Re-hashes a password stored with weaker Argon2 settings than today's,
/// only while the stored hash is still the one just verified (a reset
/// racing this login wins). Best effort: the login succeeds even if the
/// upgrade does not.
async fn upgrade_hash(app: &App, user: &User, password: &str) {
    if !app.hasher.needs_rehash(&user.password_hash) {
        return;
    }
    match app.hasher.hash(password).await {
        Ok(h) => {
            if let Err(e) = app.store.rehash_password(user, &h).await {
                tracing::warn!(error = %e, "password rehash not stored");
            }
        }
        Err(e) => tracing::warn!(error = %e, "password rehash failed"),
    }
}
