//! Two-factor sign-in's settings, `/account/two-factor`: turning it on
//! (a new secret held server-side for 10 minutes, shown as a QR code and as
//! text; the password and a code of it turn it on and give 10 recovery
//! codes, shown once), new recovery codes, and turning it off. Every
//! change asks for the password (counted like a login) and a code (a wrong
//! one counts as a failed login too), writes one transaction conditioned
//! on the account's generation when the password was confirmed (any
//! password change or reset since moves it), and emails the address on
//! file. Turning it on or off moves the generation on: a password-only
//! sign-in racing it fails, device cookies issued before end (this
//! browser's is renewed), and so, when off, do trusted browsers.

use super::codes::{self, Read};
use super::prelude::*;
use super::{links, reauth, signin, throttle};
use crate::crypto::{recovery, seal, totp};
use crate::qr;
use crate::store::{MailKind, Proof, RowChange, Setup, StoreError, User};

pub(crate) const PAGE: &str = "two_factor.html";

/// How long a set-up page's secret waits for its first code.
const SETUP_SECS: i64 = 10 * 60;

/// What the page shows.
enum Shown<'a> {
    /// Off: the secret to set up, and the form.
    SetUp(&'a totp::Secret),
    /// On: recovery codes left, the forms to renew them and to turn it off.
    On,
    /// The recovery codes, once.
    Codes(&'a [String]),
}

fn render(
    app: &App,
    visit: Visit<'_, Member>,
    user: &User,
    shown: Shown<'_>,
    failed: Option<Failure<'_>>,
) -> Result<Reply> {
    let mut ctx = Context::new();
    ctx.insert("codes_left", &user.recovery.len());
    match shown {
        Shown::SetUp(secret) => {
            let uri = totp::otpauth_uri(&app.config.site_name, &user.username, secret);
            ctx.insert("mode", "setup");
            ctx.insert("qr", &qr::svg_data_uri(&uri));
            ctx.insert("secret", &grouped(&secret.to_base32()));
        }
        Shown::On => ctx.insert("mode", "on"),
        Shown::Codes(codes) => {
            ctx.insert("mode", "codes");
            ctx.insert("codes", codes);
        }
    }
    visit.form_page(app, PAGE, failed, ctx)
}

/// The secret in groups of four, as people copy it.
fn grouped(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    groups.join(" ")
}

/// The signed-in account, as stored (its second factor is not on the row).
async fn account(app: &App, who: &Member) -> Result<User> {
    let found = app.store.get_user(who.user_key()).await?;
    match found.filter(|u| u.account_id == who.account.account_id) {
        Some(user) => Ok(user),
        None => Err(AppError::Conflict("account gone".into()).into()),
    }
}

/// A new secret for the set-up page, held sealed in the account's
/// partition for 10 minutes (never in the form).
async fn new_setup(app: &App, user: &User) -> Result<totp::Secret> {
    let secret = totp::Secret::generate();
    let setup = Setup {
        sealed: seal::seal(&app.keys, secret.as_bytes(), user.account_id.as_bytes()),
        expires_at: app.now() + SETUP_SECS,
    };
    app.store.put_setup(&user.account_id, &setup).await?;
    Ok(secret)
}

pub(crate) async fn page(app: &App, req: &Req) -> Result<Reply> {
    let visit = gate::member(app, req).await?;
    let user = account(app, &visit.who).await?;
    if user.totp.is_some() {
        return render(app, visit, &user, Shown::On, None);
    }
    let secret = new_setup(app, &user).await?;
    render(app, visit, &user, Shown::SetUp(&secret), None)
}

/// The form's password and code, both required (`None`: the form again).
fn password_and_code(form: &crate::forms::Form) -> Option<(&str, &str)> {
    let (password, code) = (form.text("password"), form.text("code"));
    (!password.is_empty()).then_some((password, code))
}

pub(crate) async fn enable(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = gate::member_post(app, req).await?;
    let user = account(app, &visit.who).await?;
    if user.totp.is_some() {
        return render(app, visit, &user, Shown::On, None);
    }
    // The secret the page showed, while it waits; else a new page.
    let setup = app.store.partition(&user.account_id).await?.setup;
    let secret = setup
        .filter(|s| s.expires_at > app.now())
        .and_then(|s| codes::open_secret(app, &user.account_id, &s.sealed).map(|k| (k, s)));
    let Some((secret, setup)) = secret else {
        let secret = new_setup(app, &user).await?;
        let expired = (StatusCode::BAD_REQUEST, messages::SETUP_EXPIRED, None);
        return render(app, visit, &user, Shown::SetUp(&secret), Some(expired));
    };
    let Some((password, code)) = password_and_code(&form) else {
        let failed = (
            StatusCode::BAD_REQUEST,
            messages::REQUIRED,
            Some("password"),
        );
        return render(app, visit, &user, Shown::SetUp(&secret), Some(failed));
    };
    let confirmed = reauth::confirm(app, req, &visit.who, password, "two_factor_on", "password");
    let user = match confirmed.await? {
        Ok(user) => user,
        Err(failed) => return render(app, visit, &user, Shown::SetUp(&secret), Some(failed)),
    };
    let Read::Proof(Proof::Code(step)) = codes::read_code(app, &secret, code, 0) else {
        let failed = wrong_code(app, req, &user).await?;
        return render(app, visit, &user, Shown::SetUp(&secret), Some(failed));
    };
    let (shown, hashes) = recovery_codes(app, &user);
    let tx = app
        .store
        .tx()
        .enable_two_factor(&user, &setup.sealed, step, &hashes)?
        .use_setup(&user.account_id)?
        .change_row(&user.account_id, turned_on())?
        .put_mail(&links::notice(app, MailKind::TwoFactorOn, &user))?
        .delete_counter(&reauth::counter(app, &visit.who))?;
    committed(tx.commit().await)?;
    audit(app, req, "two_factor_on", &user.key);
    // The generation moved on: this browser's device cookie, renewed.
    let changed = User {
        generation: user.generation + 1,
        ..user.clone()
    };
    let device = throttle::device_cookie(app, req, &changed, None);
    Ok(render(app, visit, &user, Shown::Codes(&shown), None)?.cookie(device))
}

pub(crate) async fn new_codes(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = gate::member_post(app, req).await?;
    let user = account(app, &visit.who).await?;
    let Some(sealed) = user.totp.clone() else {
        return Ok(Reply::redirect("/account/two-factor"));
    };
    let Some((password, code)) = password_and_code(&form) else {
        let failed = (
            StatusCode::BAD_REQUEST,
            messages::REQUIRED,
            Some("password"),
        );
        return render(app, visit, &user, Shown::On, Some(failed));
    };
    let confirmed = reauth::confirm(app, req, &visit.who, password, "recovery_codes", "password");
    let user = match confirmed.await? {
        Ok(user) => user,
        Err(failed) => return render(app, visit, &user, Shown::On, Some(failed)),
    };
    let secret = codes::open_secret(app, &user.account_id, &sealed);
    let read = secret.map_or(Read::Wrong, |s| {
        codes::read_code(app, &s, code, user.totp_step)
    });
    let Read::Proof(Proof::Code(step)) = read else {
        let failed = wrong_code_or_used(app, req, &user, &read).await?;
        return render(app, visit, &user, Shown::On, Some(failed));
    };
    let (shown, hashes) = recovery_codes(app, &user);
    let tx = app
        .store
        .tx()
        .new_recovery_codes(&user, step, &hashes)?
        .put_mail(&links::notice(app, MailKind::RecoveryCodesNew, &user))?
        .delete_counter(&reauth::counter(app, &visit.who))?;
    committed(tx.commit().await)?;
    audit(app, req, "recovery_codes_new", &user.key);
    render(app, visit, &user, Shown::Codes(&shown), None)
}

pub(crate) async fn disable(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = gate::member_post(app, req).await?;
    let user = account(app, &visit.who).await?;
    if user.totp.is_none() {
        return Ok(Reply::redirect("/account/two-factor"));
    }
    let password = form.text("password");
    if password.is_empty() {
        let failed = (
            StatusCode::BAD_REQUEST,
            messages::REQUIRED,
            Some("password"),
        );
        return render(app, visit, &user, Shown::On, Some(failed));
    }
    let confirmed = reauth::confirm(app, req, &visit.who, password, "two_factor_off", "password");
    let user = match confirmed.await? {
        Ok(user) => user,
        Err(failed) => return render(app, visit, &user, Shown::On, Some(failed)),
    };
    let recovery_code = Some(form.text("recovery_code"));
    let proof = match codes::read(app, &user, form.text("code"), recovery_code) {
        Read::Proof(proof) => proof,
        read => {
            let failed = wrong_code_or_used(app, req, &user, &read).await?;
            return render(app, visit, &user, Shown::On, Some(failed));
        }
    };
    turn_off(app, &visit.who, &user, &proof).await?;
    audit(app, req, "two_factor_off", &user.key);
    // Device cookies end with the generation: this browser's, renewed.
    let changed = User {
        generation: user.generation + 1,
        ..user
    };
    Ok(Reply::redirect("/account")
        .cookie(throttle::device_cookie(app, req, &changed, None))
        .cookie(visit.flash(app, Notice::TwoFactorOff)))
}

/// Two-factor off, in one transaction: the secret and the codes gone, the
/// generation moved on (trusted browsers and device cookies end), every
/// other session ended (this one carried over), the notice asked for.
async fn turn_off(app: &App, who: &Member, user: &User, proof: &Proof) -> Result<()> {
    let s = &who.session;
    let change = RowChange {
        end_sessions_of: Some(s.epoch),
        next_generation: true,
        two_factor: Some(false),
        ..Default::default()
    };
    let tx = app
        .store
        .tx()
        .disable_two_factor(user, proof)?
        .change_row(&user.account_id, change)?
        .carry_session(s)?
        .put_mail(&links::notice(app, MailKind::TwoFactorOff, user))?
        .delete_counter(&reauth::counter(app, who))?;
    committed(tx.commit().await)?;
    signin::clean_up(app, &user.account_id).await;
    Ok(())
}

/// On: the row says so, and its generation moves on with the account's.
fn turned_on() -> RowChange {
    RowChange {
        two_factor: Some(true),
        next_generation: true,
        ..Default::default()
    }
}

/// Ten new recovery codes: as shown (once), and their keyed hashes.
fn recovery_codes(app: &App, user: &User) -> (Vec<String>, Vec<String>) {
    let shown = recovery::generate();
    let hashes = shown
        .iter()
        .filter_map(|c| recovery::normalize(c))
        .map(|c| recovery::hash(&app.keys, &user.account_id, &c))
        .collect();
    (shown, hashes)
}

/// A wrong code counts as a failed login for the username (and the
/// source), as a wrong password does.
async fn wrong_code(app: &App, req: &Req, user: &User) -> Result<Failure<'static>> {
    let limits = app.config.login;
    let counter = throttle::user_counter(app, &user.key);
    app.store
        .add_failure(&counter, app.now(), limits.window_secs)
        .await?;
    throttle::failed(app, req).await?;
    audit(app, req, "second_factor_failure", &user.key);
    Ok((
        StatusCode::UNAUTHORIZED,
        messages::INCORRECT_CODE,
        Some("code"),
    ))
}

async fn wrong_code_or_used(
    app: &App,
    req: &Req,
    user: &User,
    read: &Read,
) -> Result<Failure<'static>> {
    if *read == Read::Missing {
        return Ok((StatusCode::BAD_REQUEST, messages::REQUIRED, Some("code")));
    }
    let mut failed = wrong_code(app, req, user).await?;
    if *read == Read::Used {
        failed.1 = messages::CODE_USED;
    }
    Ok(failed)
}

/// A refused transaction: the account changed meanwhile (the password, a
/// code used by a parallel request, two-factor turned on or off).
fn committed(outcome: std::result::Result<(), StoreError>) -> Result<()> {
    match outcome {
        Ok(()) => Ok(()),
        Err(StoreError::Refused(_)) => Err(AppError::Conflict("account changed".into()).into()),
        Err(e) => Err(e.into()),
    }
}
