//! The gate: every handler's first line. It turns the request into one
//! typed `Visit` (who is signed in, the notices the flash cookie carried,
//! the CSRF token for the page's forms, the cookies the page must set or
//! drop) and, for a POST, the checked form; or it answers at once.
//!
//! The order of a POST's checks is part of the contract: size (413), where
//! it came from (403), encoding (415, 400), then who sent it, then its CSRF
//! token (403).

use cookie::Cookie;
use http::StatusCode;
use tera::Context;

use crate::app::App;
use crate::cookies;
use crate::crypto;
use crate::csrf::{self, Binding};
use crate::error::AppError;
use crate::flash;
use crate::forms::{self, Form, MAX_BODY_BYTES};
use crate::gateway::reply::Reply;
use crate::gateway::request::{Req, SessionCookie};
use crate::messages::Notice;
use crate::store::{AccountRow, Session};
use crate::views::{Chrome, Viewer};

use super::{Result, Stop};

mod signed_in;
pub(crate) use signed_in::live;
use signed_in::lookup;

/// The gate's own answer, which leaves the handler through `?`: a
/// signed-in person on an anonymous form goes home; an anonymous one on a
/// member page goes to log in.
fn answered<T>(reply: Reply) -> Result<T> {
    Err(Stop::Answered(Box::new(reply)))
}

/// A signed-in browser: its live session and its account's row.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) session: Session,
    pub(crate) account: AccountRow,
}

impl Member {
    /// The case-folded username (the users table's key).
    pub(crate) fn user_key(&self) -> &str {
        &self.account.user_key
    }
}

/// One request as the gate read it. `W` is who sent it: `Option<Member>`
/// where anyone may come, `Member` where only members do.
pub(crate) struct Visit<'r, W = Option<Member>> {
    pub(crate) req: &'r Req,
    pub(crate) who: W,
    /// From the flash cookie, for this page to show.
    pub(crate) notices: Vec<Notice>,
    /// For the page's forms (the nav's log-out form included).
    csrf_token: String,
    /// What the page must set or drop: a stale session cookie, a new
    /// browser CSRF cookie.
    cookies: Vec<Cookie<'static>>,
}

/// A failed form: its status, the message, and the field it is about
/// (`None`: the whole form).
pub(crate) type Failure<'a> = (StatusCode, &'a str, Option<&'static str>);

/// Who a visit is from, as the layout and CSRF need it.
pub(crate) trait Who {
    fn member(&self) -> Option<&Member>;
}

impl Who for Option<Member> {
    fn member(&self) -> Option<&Member> {
        self.as_ref()
    }
}

impl Who for Member {
    fn member(&self) -> Option<&Member> {
        Some(self)
    }
}

/// Anonymous pages with forms bind their CSRF token to the browser's
/// `csrf` cookie; other anonymous pages have no forms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Forms {
    None,
    Browser,
}

impl<'r, W: Who> Visit<'r, W> {
    fn new(app: &App, req: &'r Req, who: W, forms: Forms) -> Self {
        let mut cookies = Vec::new();
        let stale = req.session != SessionCookie::Absent && who.member().is_none();
        if stale {
            cookies.push(cookies::removal(cookies::SESSION, req.secure));
        }
        let csrf_token = match who.member() {
            Some(m) => csrf::token(&app.keys, Binding::Session(&m.session.token_hash)),
            None if forms == Forms::Browser => {
                let browser = req.browser.clone().unwrap_or_else(|| {
                    let fresh = crypto::random_b64(16);
                    cookies.push(cookies::build(
                        cookies::CSRF,
                        fresh.clone(),
                        req.secure,
                        None,
                    ));
                    fresh
                });
                csrf::token(&app.keys, Binding::Browser(&browser))
            }
            None => String::new(),
        };
        Visit {
            req,
            notices: req.flash.clone().unwrap_or_default(),
            who,
            csrf_token,
            cookies,
        }
    }

    /// A form's page: `ctx`, and when the form failed, its message beside
    /// the field it is about (`aria-invalid`) and its status (else `200`).
    pub(crate) fn form_page(
        self,
        app: &App,
        template: &str,
        failed: Option<Failure<'_>>,
        mut ctx: Context,
    ) -> Result<Reply> {
        ctx.insert("error", &failed.map(|f| f.1));
        ctx.insert("error_field", &failed.and_then(|f| f.2));
        let status = failed.map_or(StatusCode::OK, |f| f.0);
        self.render(app, template, status, ctx)
    }

    /// The page `template` with the layout's values only, `200`.
    pub(crate) fn page(self, app: &App, template: &str) -> Result<Reply> {
        self.render(app, template, StatusCode::OK, Context::new())
    }

    /// The page `template` with the layout's values and `ctx`, carrying the
    /// cookies the visit must set or drop.
    pub(crate) fn render(
        self,
        app: &App,
        template: &str,
        status: StatusCode,
        ctx: Context,
    ) -> Result<Reply> {
        let chrome = Chrome {
            viewer: self.who.member().map(viewer),
            csrf_token: self.csrf_token,
            notices: self.notices,
        };
        let html = app.views.render(template, &chrome, ctx)?;
        Ok(Reply::page(status, html).cookies(self.cookies))
    }

    /// The signed cookie that shows `notice` on the next page.
    pub(crate) fn flash(&self, app: &App, notice: Notice) -> Cookie<'static> {
        self.flash_all(app, vec![notice])
    }

    /// The signed cookie that shows `notices` on the next page.
    pub(crate) fn flash_all(&self, app: &App, notices: Vec<Notice>) -> Cookie<'static> {
        flash::cookie(&app.keys, &notices, self.req.secure)
    }

    /// The cookie that signs this browser out.
    pub(crate) fn drop_session(&self) -> Cookie<'static> {
        cookies::removal(cookies::SESSION, self.req.secure)
    }
}

fn viewer(m: &Member) -> Viewer {
    Viewer {
        username: m.account.username.clone(),
        email: m.account.email.clone(),
        member_since: crate::clock::date(m.account.member_since),
    }
}

/// `303` to the login page, which then sends the person back to the page
/// the route names (`Route::back`); drops the session cookie the request
/// carried, if any.
pub(crate) fn to_login(app: &App, req: &Req) -> Reply {
    let reply = Reply::redirect(format!("/login?next={}", forms::encode(req.back)))
        .cookie(flash::cookie(&app.keys, &[Notice::LogInFirst], req.secure));
    if req.session == SessionCookie::Absent {
        reply
    } else {
        reply.cookie(cookies::removal(cookies::SESSION, req.secure))
    }
}

// ------------------------------------------------------------------ pages

/// A page anyone may see.
pub(crate) async fn anyone<'r>(app: &App, req: &'r Req) -> Result<Visit<'r>> {
    let who = lookup(app, req).await?;
    Ok(Visit::new(app, req, who, Forms::None))
}

/// A page anyone may see that has a form for the anonymous too (forgot
/// password, the reset form): an anonymous browser gets its CSRF cookie.
pub(crate) async fn anyone_form<'r>(app: &App, req: &'r Req) -> Result<Visit<'r>> {
    let who = lookup(app, req).await?;
    Ok(Visit::new(app, req, who, Forms::Browser))
}

/// A page for members; anyone else is sent to log in, then back.
pub(crate) async fn member<'r>(app: &App, req: &'r Req) -> Result<Visit<'r, Member>> {
    match lookup(app, req).await? {
        Some(m) => Ok(member_visit(app, req, m)),
        None => answered(to_login(app, req)),
    }
}

/// A member's visit whose session the handler found itself (`/account`
/// reads it from the list of sessions, in one call).
pub(crate) fn member_visit<'r>(app: &App, req: &'r Req, m: Member) -> Visit<'r, Member> {
    Visit::new(app, req, m, Forms::None)
}

/// An anonymous form (log in, register); a signed-in person goes home.
pub(crate) async fn guest<'r>(app: &App, req: &'r Req) -> Result<Visit<'r>> {
    match lookup(app, req).await? {
        Some(_) => answered(Reply::redirect("/")),
        None => Ok(Visit::new(app, req, None, Forms::Browser)),
    }
}

// ------------------------------------------------------------------ posts

/// A member's form as posted: checked, and, when it comes with a live
/// session, its token verified. Without one the post can change nothing
/// (an expired or ended session, a stale cookie: anonymous, never an
/// error), so its token is not asked for; the handler answers.
pub(crate) enum Posted<'r> {
    Member(Box<(Visit<'r, Member>, Form)>),
    /// No live session: the form, unchecked (nothing is left to protect).
    Anonymous(Form),
}

/// A form anyone may post whose page is shown again when it fails (forgot
/// password, the reset form): as `post`, with an anonymous browser's CSRF
/// binding kept for the page.
pub(crate) async fn form_post<'r>(app: &App, req: &'r Req) -> Result<(Visit<'r>, Form)> {
    let form = read_form(req)?;
    let who = lookup(app, req).await?;
    check_csrf(app, req, who.as_ref(), &form)?;
    Ok((Visit::new(app, req, who, Forms::Browser), form))
}

/// A member's form (`Posted`).
pub(crate) async fn member_form<'r>(app: &App, req: &'r Req) -> Result<Posted<'r>> {
    let form = read_form(req)?;
    let Some(member) = lookup(app, req).await? else {
        return Ok(Posted::Anonymous(form));
    };
    check_csrf(app, req, Some(&member), &form)?;
    Ok(Posted::Member(Box::new((
        member_visit(app, req, member),
        form,
    ))))
}

/// A member's form; anyone else goes to log in, then back to the page
/// that has the form.
pub(crate) async fn member_post<'r>(app: &App, req: &'r Req) -> Result<(Visit<'r, Member>, Form)> {
    match member_form(app, req).await? {
        Posted::Member(checked) => Ok(*checked),
        Posted::Anonymous(_) => answered(to_login(app, req)),
    }
}

/// An anonymous form's post (log in, register); a signed-in person goes
/// home before the token is checked.
pub(crate) async fn guest_post<'r>(app: &App, req: &'r Req) -> Result<(Visit<'r>, Form)> {
    let form = read_form(req)?;
    if lookup(app, req).await?.is_some() {
        return answered(Reply::redirect("/"));
    }
    check_csrf(app, req, None, &form)?;
    Ok((Visit::new(app, req, None, Forms::Browser), form))
}

/// The checks every POST passes before anything else: size (413) first,
/// then where it came from (403), then its encoding (415, 400).
fn read_form(req: &Req) -> Result<Form> {
    // A base64 body that does not decode is malformed input, after the size check.
    let body = req.body.as_deref();
    if body.is_some_and(|b| b.len() > MAX_BODY_BYTES) {
        return Err(AppError::PayloadTooLarge.into());
    }
    if req.is_cross_site() {
        return Err(AppError::CrossSite.into());
    }
    if !forms::is_form_content_type(req.header("content-type")) {
        return Err(AppError::UnsupportedMediaType.into());
    }
    Ok(forms::parse(body.ok_or(forms::FormError::Malformed)?)?)
}

/// The form's CSRF token must match this session, or (anonymous) this
/// browser's `csrf` cookie.
fn check_csrf(app: &App, req: &Req, member: Option<&Member>, form: &Form) -> Result<()> {
    let submitted = form.text(csrf::FIELD);
    let ok = match member {
        Some(m) => csrf::verify(
            &app.keys,
            Binding::Session(&m.session.token_hash),
            submitted,
        ),
        None => req
            .browser
            .as_deref()
            .is_some_and(|b| csrf::verify(&app.keys, Binding::Browser(b), submitted)),
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::Csrf.into())
    }
}
