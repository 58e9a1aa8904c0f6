//! GET `/register` (the form, with a one-time request id) and POST
//! `/register`: checks, the account created whole or not at all, signed in.

use cookie::Cookie;

use super::links;
use super::prelude::*;
use super::signin::{self, SignIn};
use super::throttle::{self, Counted, Gate};
use crate::crypto::{self, password};
use crate::forms::Form;
use crate::store::{AccountRow, MailKind, Method, StoreError, User};
use crate::validate;

pub(crate) const PAGE: &str = "register.html";

/// What the form shows besides the layout.
struct Shown<'a> {
    username: &'a str,
    email: &'a str,
    request_id: &'a str,
    error: Option<&'a str>,
}

fn render(app: &App, visit: Visit<'_>, f: Shown<'_>, status: StatusCode) -> Result<Reply> {
    let mut ctx = Context::new();
    ctx.insert("username", f.username);
    ctx.insert("email", f.email);
    ctx.insert("request_id", f.request_id);
    ctx.insert("error", &f.error);
    ctx.insert("error_field", &error_field(&f));
    ctx.insert("password_min", &app.config.password_min_length);
    visit.render(app, PAGE, status, ctx)
}

/// The field an error is about, marked `aria-invalid` with the message
/// beside it (a password-rule message is about the password).
fn error_field(f: &Shown<'_>) -> Option<&'static str> {
    Some(match f.error? {
        messages::REQUIRED if f.username.is_empty() => "username",
        messages::REQUIRED if f.email.is_empty() => "email",
        messages::BAD_USERNAME | messages::USERNAME_TAKEN => "username",
        messages::BAD_EMAIL | messages::EMAIL_TAKEN => "email",
        _ => "password",
    })
}

pub(crate) async fn form(app: &App, req: &Req) -> Result<Reply> {
    let visit = gate::guest(app, req).await?;
    let id = crypto::random_b64(16);
    let f = Shown {
        username: "",
        email: "",
        request_id: &id,
        error: None,
    };
    render(app, visit, f, StatusCode::OK)
}

/// The form's fields, trimmed where a person would not mean the spaces.
struct Fields<'a> {
    username: &'a str,
    email: &'a str,
    password: &'a str,
    /// The form's one-time id, when it is one we could have issued.
    request_id: Option<&'a str>,
}

impl<'a> Fields<'a> {
    fn read(form: &'a Form) -> Self {
        Fields {
            username: form.text("username").trim(),
            email: form.text("email").trim(),
            password: form.text("password"),
            request_id: Some(form.text("request_id")).filter(|id| crypto::is_random_b64_16(id)),
        }
    }

    /// Why the form cannot make an account, before any storage is asked.
    fn problem(&self, app: &App) -> Option<(StatusCode, String)> {
        let unprocessable = |why: &str| Some((StatusCode::UNPROCESSABLE_ENTITY, why.to_string()));
        if self.username.is_empty() || self.email.is_empty() || self.password.is_empty() {
            return Some((StatusCode::BAD_REQUEST, messages::REQUIRED.into()));
        }
        if !validate::is_username(self.username) {
            return unprocessable(messages::BAD_USERNAME);
        }
        if !validate::is_email(self.email) {
            return unprocessable(messages::BAD_EMAIL);
        }
        let min = app.config.password_min_length;
        password::policy_error(self.password, self.username, min)
            .map(|why| (StatusCode::UNPROCESSABLE_ENTITY, why))
    }
}

pub(crate) async fn submit(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = gate::guest_post(app, req).await?;
    let fields = Fields::read(&form);
    // A re-rendered form keeps its id, or gets a fresh one.
    let fresh_id;
    let form_id = match fields.request_id {
        Some(id) => id,
        None => {
            fresh_id = crypto::random_b64(16);
            &fresh_id
        }
    };
    let fail = |visit, status, message: &str| {
        let f = Shown {
            username: fields.username,
            email: fields.email,
            request_id: form_id,
            error: Some(message),
        };
        render(app, visit, f, status)
    };
    if let Some((status, why)) = fields.problem(app) {
        return fail(visit, status, &why);
    }
    // Counted before any account is looked up or any password hashed.
    if !throttle::registration_allowed(app, req).await? {
        audit(
            app,
            req,
            "register_ip_limited",
            &validate::username_key(fields.username),
        );
        let status = StatusCode::TOO_MANY_REQUESTS;
        return fail(visit, status, messages::TOO_MANY_REGISTRATIONS);
    }
    let (user, cookie) = match create(app, req, &fields).await? {
        Created::Ok(signed_in) => *signed_in,
        Created::Taken(message) => return fail(visit, StatusCode::CONFLICT, message),
    };
    audit(app, req, "register", &user.key);
    let welcome = Notice::Registered {
        username: user.username.clone(),
    };
    Ok(Reply::redirect("/")
        .cookie(cookie)
        .cookie(throttle::device_cookie(app, req, &user, None))
        .cookie(visit.flash(app, welcome)))
}

/// What creating the account came to.
enum Created {
    /// Created now, or by this same form a moment ago: signed in, with the
    /// session cookie.
    Ok(Box<(User, Cookie<'static>)>),
    /// The username or the email belongs to another account.
    Taken(&'static str),
}

async fn create(app: &App, req: &Req, f: &Fields<'_>) -> Result<Created> {
    let key = validate::username_key(f.username);
    let email_key = validate::email_key(f.email);
    // Taken names and addresses are answered before Argon2id runs: one
    // read, which a successful registration pays too (README, "Availability
    // before hashing").
    let found = app.store.availability(&key, &email_key).await?;
    if let Some(existing) = found.user {
        return again(app, req, existing, &email_key, f).await;
    }
    if found.email_taken {
        return Ok(Created::Taken(messages::EMAIL_TAKEN));
    }
    // Over its address's hourly cap, the account gets no welcome email (its
    // confirmation can be resent from /account later).
    let welcome = links::address_allows(app, &email_key).await?;
    let mut user = User {
        key: key.clone(),
        account_id: crypto::random_b64(16),
        generation: 1,
        username: f.username.to_string(),
        email: f.email.to_string(),
        password_hash: app.hasher.hash(f.password).await?,
        created_at: app.now(),
        registration_id: f.request_id.map(str::to_string),
        email_confirmed: false,
        reset_hash: None,
        confirm_hash: None,
        totp: None,
        totp_step: 0,
        recovery: Vec::new(),
    };
    // The account, its address, its sessions' row, its first session, and
    // the welcome email with its confirmation link: one transaction, so a
    // fault leaves all of it or none, and no account exists without its
    // link (when it gets one).
    let row = AccountRow::new(&user);
    let mut extra = app.store.tx().put_account_row(&row)?;
    if welcome {
        let (link, mail) = links::new_link(app, MailKind::Welcome, Some(&user));
        user.confirm_hash = Some(link.hash);
        extra = extra.put_mail(&mail)?;
    }
    let (session, cookie) = signin::fresh(
        app,
        req,
        &user.account_id,
        row.epoch,
        false,
        Method::Password,
    );
    let extra = extra.put_session(&session)?;
    match app.store.create_user(&user, &email_key, extra).await {
        Ok(()) => Ok(Created::Ok(Box::new((user, cookie)))),
        // Taken since the read: a racing registration, perhaps this same
        // form submitted twice.
        Err(StoreError::UsernameTaken) => match app.store.get_user(&key).await? {
            Some(existing) => again(app, req, existing, &email_key, f).await,
            None => Ok(Created::Taken(messages::USERNAME_TAKEN)),
        },
        Err(StoreError::EmailTaken) => Ok(Created::Taken(messages::EMAIL_TAKEN)),
        Err(e) => Err(e.into()),
    }
}

/// The name is taken: by this very form, resubmitted (then sign in), or not.
async fn again(
    app: &App,
    req: &Req,
    existing: User,
    email_key: &str,
    f: &Fields<'_>,
) -> Result<Created> {
    let Some((user, counted)) = retried(app, req, existing, email_key, f).await? else {
        return Ok(Created::Taken(messages::USERNAME_TAKEN));
    };
    // Signed in like a login (the counter that counted it reset), and only
    // while the account still holds this form's id: a deletion (or a
    // first sign-in) in between refuses it.
    let partition = app.store.partition(&user.account_id).await?;
    let sign_in = SignIn::new(app, req, &user, &partition, false, Method::Password)?;
    let id = f.request_id.unwrap_or_default();
    let tx = sign_in
        .writes(app.store.tx())?
        .delete_counter(&counted.counter)?
        .check_registration(&user, id)?;
    match tx.commit().await {
        Ok(()) => {}
        Err(StoreError::Refused(_)) => {
            return Err(AppError::Conflict("account changed".into()).into())
        }
        Err(e) => return Err(e.into()),
    }
    sign_in.committed(app).await;
    Ok(Created::Ok(Box::new((user, sign_in.cookie))))
}

/// How long after the account was created its registration form may be
/// submitted again (a double click, a retry on a flaky network).
const RESUBMIT_SECS: i64 = 10 * 60;

/// Whether a "taken" username was taken by this very form, submitted again
/// soon after: same one-time form id, same email, same password. Then that
/// submission signs in too. Only within 10 minutes of the account's
/// creation and until its first sign-in (which removes the id), and the
/// password check counts like a login attempt on the name
/// (`throttle::check`), so holding the form id is no unthrottled way to
/// test passwords.
async fn retried(
    app: &App,
    req: &Req,
    existing: User,
    email_key: &str,
    f: &Fields<'_>,
) -> Result<Option<(User, Counted)>> {
    let Some(id) = f.request_id else {
        return Ok(None);
    };
    // An account with two-factor sign-in on never signs in on a password
    // alone, a resubmitted form's included.
    let same_form = existing.totp.is_none()
        && existing.registration_id.as_deref() == Some(id)
        && validate::email_key(&existing.email) == email_key
        && app.now() - existing.created_at <= RESUBMIT_SECS;
    if !same_form {
        return Ok(None);
    }
    let device = throttle::counting_device(app, req, Some(&existing)).await?;
    let counted = match throttle::check(app, req, &existing.key, device).await? {
        Gate::Open(counted) => counted,
        Gate::Closed(limit) => {
            audit(app, req, limit.event(), &existing.key);
            return Ok(None);
        }
    };
    if app
        .hasher
        .verify(Some(&existing.password_hash), f.password)
        .await
    {
        return Ok(Some((existing, counted)));
    }
    throttle::failed(app, req).await?;
    audit(app, req, "login_failure", &existing.key);
    Ok(None)
}
