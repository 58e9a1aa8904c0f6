//! The routes. Each takes the app and the request and returns a reply or a
//! typed error; `App::handle` turns either into a response.

use cookie::Cookie;
use http::{Method, StatusCode};
use tera::Context;

use crate::app::{App, Function};
use crate::cookies;
use crate::csrf::{self, Binding};
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::{self, Form, MAX_BODY_BYTES};
use crate::next_url;
use crate::password;
use crate::request::Req;
use crate::responses::Reply;
use crate::session;
use crate::store::{Session, StoreError, User};
use crate::validate;
use crate::views::{describe_browser, Chrome, Viewer};

pub const MSG_REQUIRED: &str = "All fields are required.";
pub const MSG_USERNAME_TAKEN: &str = "Username already taken.";
pub const MSG_EMAIL_TAKEN: &str = "Email already registered.";
pub const MSG_BAD_LOGIN: &str = "Incorrect username or password.";
pub const MSG_LOGGED_OUT: &str = "Logged out successfully.";
pub const MSG_LOG_IN_FIRST: &str = "Please log in first.";
pub const MSG_SESSION_ENDED: &str = "Session signed out.";
pub const MSG_OTHERS_ENDED: &str = "Signed out of all other sessions.";
pub const MSG_TOO_MANY: &str =
    "Too many failed login attempts. Please wait 15 minutes before trying again.";

type Result<T> = std::result::Result<T, AppError>;

pub async fn route(app: &App, function: Function, req: &Req) -> Result<Reply> {
    use Function::*;
    let get = req.method == Method::GET;
    let post = req.method == Method::POST;
    match (function, req.path.as_str()) {
        (Home, "/") if get => index(app, req).await,
        (Home, "/account") if get => account(app, req).await,
        (Home, "/account/sessions/revoke") if post => revoke(app, req, false).await,
        (Home, "/account/sessions/revoke-others") if post => revoke(app, req, true).await,
        (Login, "/login") if get => login_form(app, req).await,
        (Login, "/login") if post => login(app, req).await,
        (Register, "/register") if get => register_form(app, req).await,
        (Register, "/register") if post => register(app, req).await,
        (Logout, "/logout") if get => logout_confirm(app, req).await,
        (Logout, "/logout") if post => logout(app, req).await,
        (Home, "/" | "/account") => Err(AppError::MethodNotAllowed("GET")),
        (Home, "/account/sessions/revoke" | "/account/sessions/revoke-others") => {
            Err(AppError::MethodNotAllowed("POST"))
        }
        (Login, "/login") | (Register, "/register") | (Logout, "/logout") => {
            Err(AppError::MethodNotAllowed("GET, POST"))
        }
        _ => Err(AppError::NotFound),
    }
}

// ---------------------------------------------------------------- visitor

/// Who sent the request: a live session, or nobody. `stale` is set when the
/// browser sent a session cookie that is tampered, expired or ended, so the
/// reply can drop it.
struct Visitor {
    session: Option<Session>,
    stale: bool,
}

/// `(user_key, token)` from a correctly signed session cookie.
fn session_cookie(app: &App, req: &Req) -> Option<(String, String)> {
    let value = app.keys.verify(req.cookie(cookies::SESSION)?)?;
    let (user_key, token) = session::parse_cookie_value(&value)?;
    Some((user_key.to_string(), token.to_string()))
}

async fn visitor(app: &App, req: &Req) -> Result<Visitor> {
    let had_cookie = req.cookie(cookies::SESSION).is_some();
    let Some((user_key, token)) = session_cookie(app, req) else {
        return Ok(Visitor {
            session: None,
            stale: had_cookie,
        });
    };
    let found = app
        .store
        .get_session(&user_key, &session::token_hash(&token))
        .await?;
    Ok(live(app, found).await?.map_or(
        Visitor {
            session: None,
            stale: true,
        },
        |s| Visitor {
            session: Some(s),
            stale: false,
        },
    ))
}

/// The session if it has not expired (checked on every read: DynamoDB's TTL
/// deletes days late), recording activity at most once per 5 minutes.
async fn live(app: &App, found: Option<Session>) -> Result<Option<Session>> {
    let now = app.now();
    let Some(mut s) = found.filter(|s| s.expires_at > now) else {
        return Ok(None);
    };
    if session::needs_touch(s.last_seen, now) {
        s.last_seen = now;
        s.expires_at = session::expires_at(s.created_at, now, s.remember);
        app.store
            .touch_session(&s.user_key, &s.token_hash, now, s.expires_at)
            .await?;
    }
    Ok(Some(s))
}

fn viewer(s: &Session) -> Viewer {
    Viewer {
        username: s.username.clone(),
        email: s.email.clone(),
        member_since: crate::clock::date(s.member_since),
    }
}

/// The layout's values. Anonymous pages with forms (`browser_token`) bind
/// their CSRF token to the browser's `csrf` cookie, set here when missing.
fn chrome(
    app: &App,
    req: &Req,
    v: &Visitor,
    browser_token: bool,
) -> (Chrome, Vec<Cookie<'static>>) {
    let mut set = Vec::new();
    if v.stale {
        set.push(cookies::removal(cookies::SESSION, req.secure));
    }
    let csrf_token = match &v.session {
        Some(s) => csrf::token(&app.keys, Binding::Session(&s.token_hash)),
        None if browser_token => {
            let value = match browser_cookie(req) {
                Some(v) => v.to_string(),
                None => {
                    let v = session::random_b64(16);
                    set.push(cookies::build(cookies::CSRF, v.clone(), req.secure, None));
                    v
                }
            };
            csrf::token(&app.keys, Binding::Browser(&value))
        }
        None => String::new(),
    };
    let chrome = Chrome {
        viewer: v.session.as_ref().map(viewer),
        csrf_token,
        flashes: flash::read(&app.keys, req.cookie(cookies::FLASH)),
    };
    (chrome, set)
}

/// The browser's CSRF cookie value, if well-formed.
fn browser_cookie(req: &Req) -> Option<&str> {
    req.cookie(cookies::CSRF).map(|c| c.value()).filter(|v| {
        v.len() == 22
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn page(
    app: &App,
    template: &str,
    status: StatusCode,
    chrome: &Chrome,
    ctx: Context,
    set: Vec<Cookie<'static>>,
) -> Result<Reply> {
    let mut reply = Reply::page(status, app.views.render(template, chrome, ctx)?);
    reply.cookies.extend(set);
    Ok(reply)
}

fn flash_cookie(app: &App, req: &Req, messages: &[Flash]) -> Cookie<'static> {
    flash::cookie(&app.keys, messages, req.secure)
}

/// `303` to the login page, which then sends the person back to `next`.
fn to_login(app: &App, req: &Req, next: &str, stale: bool) -> Reply {
    let mut reply = Reply::redirect(format!("/login?next={}", forms::encode(next)))
        .cookie(flash_cookie(app, req, &[Flash::info(MSG_LOG_IN_FIRST)]));
    if stale {
        reply
            .cookies
            .push(cookies::removal(cookies::SESSION, req.secure));
    }
    reply
}

// ------------------------------------------------------------ form posts

/// The checks every POST passes before anything else: size (413) first,
/// then where it came from (403), then its encoding (415, 400).
fn read_form(req: &Req) -> Result<Form> {
    // A base64 body that does not decode is malformed input, after the size check.
    let body = req.body.as_deref();
    if body.is_some_and(|b| b.len() > MAX_BODY_BYTES) {
        return Err(AppError::PayloadTooLarge);
    }
    if req.is_cross_site() {
        return Err(AppError::CrossSite);
    }
    if !forms::is_form_content_type(req.header("content-type")) {
        return Err(AppError::UnsupportedMediaType);
    }
    Ok(forms::parse(body.ok_or(forms::FormError::Malformed)?)?)
}

/// The start of the anonymous forms' POSTs (login, register): the checked
/// form and who sent it, or `303` home when the browser is signed in already.
async fn anonymous_post(
    app: &App,
    req: &Req,
) -> Result<std::result::Result<(Form, Visitor), Reply>> {
    let form = read_form(req)?;
    let v = visitor(app, req).await?;
    if v.session.is_some() {
        return Ok(Err(Reply::redirect("/")));
    }
    check_csrf(app, req, &v, &form)?;
    Ok(Ok((form, v)))
}

/// The form's CSRF token must match this session, or (anonymous) this
/// browser's `csrf` cookie.
fn check_csrf(app: &App, req: &Req, v: &Visitor, form: &Form) -> Result<()> {
    let submitted = form.text(csrf::FIELD);
    let ok = match &v.session {
        Some(s) => csrf::verify(&app.keys, Binding::Session(&s.token_hash), submitted),
        None => browser_cookie(req)
            .is_some_and(|b| csrf::verify(&app.keys, Binding::Browser(b), submitted)),
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// A structured audit line: never a password, token, cookie or plain
/// username (an HMAC of the case-folded name stands in for it).
fn audit(app: &App, req: &Req, event: &str, user_key: &str) {
    tracing::info!(
        target: "audit",
        event,
        request_id = %req.request_id,
        source_ip = %req.source_ip,
        user = %app.keys.pseudonym(user_key),
        "audit"
    );
}

/// A new session for `user` (a new token at every login: no fixation) and
/// the cookie that carries it.
fn new_session(app: &App, req: &Req, user: &User, remember: bool) -> (Session, Cookie<'static>) {
    let now = app.now();
    let token = session::new_token();
    let s = Session {
        user_key: user.key.clone(),
        token_hash: session::token_hash(&token),
        public_id: session::new_public_id(),
        username: user.username.clone(),
        email: user.email.clone(),
        member_since: user.created_at,
        created_at: now,
        last_seen: now,
        expires_at: session::expires_at(now, now, remember),
        remember,
        user_agent: req.user_agent.clone(),
        source_ip: req.source_ip.clone(),
    };
    let value = session::cookie_value(&user.key, &token);
    let max_age = remember.then_some(session::REMEMBER_SECS);
    let cookie = app
        .keys
        .sign(cookies::build(cookies::SESSION, value, req.secure, max_age));
    (s, cookie)
}

// ------------------------------------------------------------------ home

async fn index(app: &App, req: &Req) -> Result<Reply> {
    let v = visitor(app, req).await?;
    let (chrome, set) = chrome(app, req, &v, false);
    page(
        app,
        "index.html",
        StatusCode::OK,
        &chrome,
        Context::new(),
        set,
    )
}

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

async fn account(app: &App, req: &Req) -> Result<Reply> {
    let had_cookie = req.cookie(cookies::SESSION).is_some();
    let Some((user_key, token)) = session_cookie(app, req) else {
        return Ok(to_login(app, req, "/account", had_cookie));
    };
    // One strongly consistent Query returns this session and the list.
    let hash = session::token_hash(&token);
    let all = app.store.list_sessions(&user_key).await?;
    let now = app.now();
    let current = all.iter().find(|s| s.token_hash == hash).cloned();
    let Some(current) = live(app, current).await? else {
        return Ok(to_login(app, req, "/account", true));
    };
    let mut rows: Vec<&Session> = all.iter().filter(|s| s.expires_at > now).collect();
    rows.sort_by_key(|s| (s.token_hash != hash, -s.last_seen));
    let rows: Vec<SessionRow> = rows
        .into_iter()
        .map(|s| {
            let is_current = s.token_hash == hash;
            SessionRow {
                id: s.public_id.clone(),
                browser: describe_browser(&s.user_agent),
                source_ip: if s.source_ip.is_empty() {
                    "unknown".into()
                } else {
                    s.source_ip.clone()
                },
                started: crate::clock::date_time(s.created_at),
                last_seen: crate::clock::date_time(if is_current {
                    current.last_seen
                } else {
                    s.last_seen
                }),
                remember: s.remember,
                current: is_current,
            }
        })
        .collect();
    let v = Visitor {
        session: Some(current),
        stale: false,
    };
    let (chrome, set) = chrome(app, req, &v, false);
    let mut ctx = Context::new();
    ctx.insert("sessions", &rows);
    page(app, "account.html", StatusCode::OK, &chrome, ctx, set)
}

/// Ends one of the person's sessions (by public id) or all but this one.
async fn revoke(app: &App, req: &Req, others: bool) -> Result<Reply> {
    let form = read_form(req)?;
    let v = visitor(app, req).await?;
    check_csrf(app, req, &v, &form)?;
    let Some(current) = v.session else {
        return Ok(to_login(app, req, "/account", v.stale));
    };
    let target = form.text("session");
    let sessions = app.store.list_sessions(&current.user_key).await?;
    let mut ended_current = false;
    for s in &sessions {
        let end = if others {
            s.token_hash != current.token_hash
        } else {
            // An unknown or foreign id matches nothing: same answer.
            !target.is_empty() && s.public_id == target
        };
        if end {
            app.store.delete_session(&s.user_key, &s.token_hash).await?;
            ended_current |= s.token_hash == current.token_hash;
        }
    }
    audit(
        app,
        req,
        if others {
            "revoke_others"
        } else {
            "revoke_session"
        },
        &current.user_key,
    );
    let message = if others {
        MSG_OTHERS_ENDED
    } else {
        MSG_SESSION_ENDED
    };
    let mut reply =
        Reply::redirect("/account").cookie(flash_cookie(app, req, &[Flash::success(message)]));
    if ended_current {
        reply
            .cookies
            .push(cookies::removal(cookies::SESSION, req.secure));
    }
    Ok(reply)
}

// ----------------------------------------------------------------- login

struct LoginForm<'a> {
    username: &'a str,
    remember: bool,
    next: Option<&'a str>,
    error: Option<&'a str>,
}

fn login_page(
    app: &App,
    req: &Req,
    v: &Visitor,
    f: LoginForm<'_>,
    status: StatusCode,
) -> Result<Reply> {
    let (mut chrome, set) = chrome(app, req, v, true);
    if f.next.is_some()
        && f.error.is_none()
        && !chrome.flashes.iter().any(|m| m.text == MSG_LOG_IN_FIRST)
    {
        chrome.flashes.push(Flash::info(MSG_LOG_IN_FIRST));
    }
    let mut ctx = Context::new();
    ctx.insert("username", f.username);
    ctx.insert("remember", &f.remember);
    ctx.insert("next", &f.next);
    ctx.insert("next_encoded", &f.next.map(forms::encode));
    ctx.insert("error", &f.error);
    page(app, "login.html", status, &chrome, ctx, set)
}

fn query_next(req: &Req) -> Option<&str> {
    req.query
        .get("next")
        .map(String::as_str)
        .and_then(next_url::safe_next)
}

async fn login_form(app: &App, req: &Req) -> Result<Reply> {
    let v = visitor(app, req).await?;
    if v.session.is_some() {
        return Ok(Reply::redirect("/"));
    }
    let f = LoginForm {
        username: "",
        remember: false,
        next: query_next(req),
        error: None,
    };
    login_page(app, req, &v, f, StatusCode::OK)
}

async fn login(app: &App, req: &Req) -> Result<Reply> {
    let (form, v) = match anonymous_post(app, req).await? {
        Ok(checked) => checked,
        Err(home) => return Ok(home),
    };
    let username = form.text("username").trim();
    let password = form.text("password");
    let remember = form.checked("remember");
    let next = form
        .get("next")
        .and_then(next_url::safe_next)
        .or_else(|| query_next(req));
    let fail = |status: StatusCode, message: &str| {
        let f = LoginForm {
            username,
            remember,
            next,
            error: Some(message),
        };
        login_page(app, req, &v, f, status)
    };
    if username.is_empty() || password.is_empty() {
        return fail(StatusCode::BAD_REQUEST, MSG_REQUIRED);
    }
    let key = validate::username_key(username);
    let now = app.now();
    let window = app.config.login_window_secs;
    let user_counter = format!("user#{}", app.keys.pseudonym(&key));
    let ip_counter = format!("ip#{}", req.source_ip);
    // Count the attempt before evaluating it, atomically: of any number of
    // parallel guesses, at most the limit are ever checked.
    let attempts = app.store.add_failure(&user_counter, now, window).await?;
    if attempts > app.config.login_user_limit {
        audit(app, req, "login_locked", &key);
        return fail(StatusCode::TOO_MANY_REQUESTS, MSG_TOO_MANY);
    }
    let (user, counters) = app
        .store
        .get_user_and_counters(&key, &[&ip_counter])
        .await?;
    if counters
        .first()
        .is_some_and(|c| c.live(now) >= app.config.login_ip_limit)
    {
        audit(app, req, "login_ip_limited", &key);
        return fail(StatusCode::TOO_MANY_REQUESTS, MSG_TOO_MANY);
    }
    // An unknown user is verified against a dummy hash: same work, same time.
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    let user = match user {
        Some(u) if app.hasher.verify(stored, password).await => u,
        other => {
            if other.is_none() {
                app.hasher.verify(None, password).await;
            }
            app.store.add_failure(&ip_counter, now, window).await?;
            audit(app, req, "login_failure", &key);
            return fail(StatusCode::UNAUTHORIZED, MSG_BAD_LOGIN);
        }
    };
    if app.hasher.needs_rehash(&user.password_hash) {
        // Best effort: the login succeeds even if the upgrade does not.
        match app.hasher.hash(password).await {
            Ok(h) => {
                if let Err(e) = app.store.update_password_hash(&user.key, &h).await {
                    tracing::warn!(error = %e, "password rehash not stored");
                }
            }
            Err(e) => tracing::warn!(error = %e, "password rehash failed"),
        }
    }
    let (session, cookie) = new_session(app, req, &user, remember);
    app.store
        .put_session_and_reset(&session, &[&user_counter])
        .await?;
    audit(app, req, "login_success", &key);
    let welcome = Flash::success(format!("Welcome back, {}!", user.username));
    Ok(Reply::redirect(next_url::target(next))
        .cookie(cookie)
        .cookie(flash_cookie(app, req, &[welcome])))
}

// -------------------------------------------------------------- register

struct RegisterForm<'a> {
    username: &'a str,
    email: &'a str,
    request_id: &'a str,
    error: Option<&'a str>,
}

fn register_page(
    app: &App,
    req: &Req,
    v: &Visitor,
    f: RegisterForm<'_>,
    status: StatusCode,
) -> Result<Reply> {
    let (chrome, set) = chrome(app, req, v, true);
    let mut ctx = Context::new();
    ctx.insert("username", f.username);
    ctx.insert("email", f.email);
    ctx.insert("request_id", f.request_id);
    ctx.insert("error", &f.error);
    ctx.insert("password_min", &app.config.password_min_length);
    page(app, "register.html", status, &chrome, ctx, set)
}

fn valid_request_id(id: &str) -> bool {
    id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn register_form(app: &App, req: &Req) -> Result<Reply> {
    let v = visitor(app, req).await?;
    if v.session.is_some() {
        return Ok(Reply::redirect("/"));
    }
    let id = session::random_b64(16);
    let f = RegisterForm {
        username: "",
        email: "",
        request_id: &id,
        error: None,
    };
    register_page(app, req, &v, f, StatusCode::OK)
}

async fn register(app: &App, req: &Req) -> Result<Reply> {
    let (form, v) = match anonymous_post(app, req).await? {
        Ok(checked) => checked,
        Err(home) => return Ok(home),
    };
    let username = form.text("username").trim();
    let email = form.text("email").trim();
    let password = form.text("password");
    let request_id = Some(form.text("request_id")).filter(|id| valid_request_id(id));
    let fresh_id;
    let form_id = match request_id {
        Some(id) => id,
        None => {
            fresh_id = session::random_b64(16);
            &fresh_id
        }
    };
    let fail = |status: StatusCode, message: &str| {
        let f = RegisterForm {
            username,
            email,
            request_id: form_id,
            error: Some(message),
        };
        register_page(app, req, &v, f, status)
    };
    if username.is_empty() || email.is_empty() || password.is_empty() {
        return fail(StatusCode::BAD_REQUEST, MSG_REQUIRED);
    }
    if !validate::is_username(username) {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Usernames are 3 to 50 characters: letters, digits, _ . and - only.",
        );
    }
    if !validate::is_email(email) {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please enter a valid email address (at most 120 characters).",
        );
    }
    if let Some(why) = password::policy_error(password, username, app.config.password_min_length) {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, &why);
    }
    let key = validate::username_key(username);
    let email_key = validate::email_key(email);
    let user = User {
        key: key.clone(),
        username: username.to_string(),
        email: email.to_string(),
        password_hash: app.hasher.hash(password).await?,
        created_at: app.now(),
        registration_id: request_id.map(str::to_string),
    };
    let user = match app.store.create_user(&user, &email_key).await {
        Ok(()) => user,
        Err(StoreError::UsernameTaken) => {
            match retried(app, &key, &email_key, request_id, password).await? {
                Some(existing) => existing,
                None => return fail(StatusCode::CONFLICT, MSG_USERNAME_TAKEN),
            }
        }
        Err(StoreError::EmailTaken) => return fail(StatusCode::CONFLICT, MSG_EMAIL_TAKEN),
        Err(e) => return Err(e.into()),
    };
    let (session, cookie) = new_session(app, req, &user, false);
    app.store.put_session(&session).await?;
    audit(app, req, "register", &key);
    let welcome = Flash::success(format!(
        "Registration successful, welcome {}!",
        user.username
    ));
    Ok(Reply::redirect("/")
        .cookie(cookie)
        .cookie(flash_cookie(app, req, &[welcome])))
}

/// Whether a "taken" username was taken by this very form, submitted twice
/// (a double click, a retry on a flaky network): same one-time form id,
/// same email, same password. Then the second submission succeeds too.
async fn retried(
    app: &App,
    key: &str,
    email_key: &str,
    request_id: Option<&str>,
    password: &str,
) -> Result<Option<User>> {
    let Some(id) = request_id else {
        return Ok(None);
    };
    let Some(existing) = app.store.get_user(key).await? else {
        return Ok(None);
    };
    let same_form = existing.registration_id.as_deref() == Some(id)
        && validate::email_key(&existing.email) == email_key
        && app
            .hasher
            .verify(Some(&existing.password_hash), password)
            .await;
    Ok(same_form.then_some(existing))
}

// ---------------------------------------------------------------- logout

async fn logout_confirm(app: &App, req: &Req) -> Result<Reply> {
    let v = visitor(app, req).await?;
    if v.session.is_none() {
        return Ok(to_login(app, req, "/logout", v.stale));
    }
    let (chrome, set) = chrome(app, req, &v, false);
    page(
        app,
        "logout.html",
        StatusCode::OK,
        &chrome,
        Context::new(),
        set,
    )
}

async fn logout(app: &App, req: &Req) -> Result<Reply> {
    let form = read_form(req)?;
    let v = visitor(app, req).await?;
    check_csrf(app, req, &v, &form)?;
    if let Some(s) = &v.session {
        app.store.delete_session(&s.user_key, &s.token_hash).await?;
        audit(app, req, "logout", &s.user_key);
    }
    let mut reply = Reply::redirect("/")
        .cookie(cookies::removal(cookies::SESSION, req.secure))
        .cookie(flash_cookie(app, req, &[Flash::success(MSG_LOGGED_OUT)]));
    // Browsers that honour `Clear-Site-Data` ignore the cookies set in the
    // same response (the spec says so; Chromium does), which would lose the
    // "Logged out" message. A browser navigation therefore gets the header
    // with the page that shows the message (see `App::handle`); any other
    // client gets it here.
    reply.clear_site_cookies = !req.is_navigation();
    Ok(reply)
}
