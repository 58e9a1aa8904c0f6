//! The route table: the one place a route is declared. Dispatch, the 404
//! and the 405 with its `Allow` header, which templates each function
//! parses at init, and the page a visitor sent to log in comes back to all
//! come from it; tests hold template.yaml, the local router in Cargo.toml,
//! the README's table, docs/behaviour.md, the event fixtures and the
//! end-to-end run to it, and check each route's answers against who may
//! see it.

use crate::app::App;
use crate::error::AppError;
use crate::gateway::reply::Reply;
use crate::gateway::request::Req;
use crate::web::{
    account, delete, home, login, logout, password, register, reset, second_step, two_factor,
    PASSKEYS_PAGE,
};

mod handlers;
pub(crate) use handlers::{Handler, ALL};

/// Which Lambda function is running: each serves only its own routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `/`, `/account` and the session sign-out forms.
    Home,
    Login,
    Register,
    Logout,
    /// Changing the password, and the forgotten-password links (Argon2).
    Password,
    /// Deleting the account (Argon2, to check the password).
    Delete,
    /// Confirming the email address (no Argon2).
    Email,
    /// Two-factor sign-in's settings: turning it on and off, new recovery
    /// codes (Argon2, to check the password).
    TwoFactor,
    /// The second step of a two-factor sign-in (no Argon2: the password
    /// was checked by `login`).
    TwoStep,
    /// Passkeys: their settings (Argon2, to check the password) and the
    /// sign-in with one. The only function that links webauthn-rs.
    Passkey,
}

/// Who may see a route. The handler's gate call does the admitting; the
/// tests hold every route's answers to this (an anonymous GET of a
/// members' page goes to log in, a signed-in one of a guests' form goes
/// home, and so on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Signed in or not.
    Anyone,
    /// Signed in: anyone else is sent to log in, then back.
    Members,
    /// Not signed in (the log-in and registration forms): a signed-in
    /// person goes home.
    Guests,
    /// The holder of a one-time link (its token in the query or its cookie).
    LinkHolder,
    /// A sign-in waiting for its second factor (its cookie): anyone else
    /// is sent to log in, a signed-in person home.
    SecondStep,
}

/// One route: who serves it, what answers it, the page it renders, who
/// may see it.
#[derive(Debug)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: Function,
    /// The template the handler renders, if any: its function parses it at
    /// init.
    pub page: Option<&'static str>,
    pub access: Access,
    handler: Handler,
}

const fn route(
    method: &'static str,
    path: &'static str,
    function: Function,
    handler: Handler,
    page: Option<&'static str>,
    access: Access,
) -> Route {
    Route {
        method,
        path,
        function,
        page,
        access,
        handler,
    }
}

impl Route {
    /// The page a visitor sent to log in from this route comes back to:
    /// the page itself, or, for a form's post, the page that has the form:
    /// the nearest page up its path (`/account/two-factor/disable` comes
    /// back to `/account/two-factor`, the session forms to `/account`).
    pub fn back(&self) -> &'static str {
        let mut path = self.path;
        loop {
            let page = ROUTES
                .iter()
                .find(|r| r.method == "GET" && r.path == path && r.page.is_some());
            if let Some(page) = page {
                return page.path;
            }
            match path.rsplit_once('/') {
                Some((up, _)) if !up.is_empty() => path = up,
                _ => return "/",
            }
        }
    }
}

use Access::{Anyone, Guests, LinkHolder, Members, SecondStep};
use Function::{
    Delete, Email, Home, Login, Logout, Passkey, Password, Register, TwoFactor, TwoStep,
};

/// Every route. template.yaml, the Cargo.toml router and the README must
/// say the same: tests check each against this table.
pub static ROUTES: &[Route] = TABLE;

/// `ROUTES`, as a constant: what decides at compile time which handlers a
/// binary links.
#[rustfmt::skip]
const TABLE: &[Route] = &[
    route("GET",  "/",                                Home,     Handler::HomeIndex,            Some(home::PAGE),        Anyone),
    route("GET",  "/account",                         Home,     Handler::AccountShow,          Some(account::PAGE),     Members),
    route("POST", "/account/sessions/revoke",         Home,     Handler::AccountRevoke,        None,                    Members),
    route("POST", "/account/sessions/revoke-others",  Home,     Handler::AccountRevokeOthers,  None,                    Members),
    route("POST", "/account/trusted-browsers/forget", Home,     Handler::ForgetTrusted,        None,                    Members),
    route("GET",  "/login",                           Login,    Handler::LoginForm,            Some(login::PAGE),       Guests),
    route("POST", "/login",                           Login,    Handler::LoginSubmit,          Some(login::PAGE),       Guests),
    route("GET",  "/login/two-factor",                TwoStep,  Handler::SecondStepForm,       Some(second_step::PAGE), SecondStep),
    route("POST", "/login/two-factor",                TwoStep,  Handler::SecondStepSubmit,     Some(second_step::PAGE), SecondStep),
    route("GET",  "/register",                        Register, Handler::RegisterForm,         Some(register::PAGE),    Guests),
    route("POST", "/register",                        Register, Handler::RegisterSubmit,       Some(register::PAGE),    Guests),
    route("GET",  "/logout",                          Logout,   Handler::LogoutConfirm,        Some(logout::PAGE),      Members),
    route("POST", "/logout",                          Logout,   Handler::LogoutSubmit,         None,                    Members),
    route("GET",  "/account/password",                Password, Handler::PasswordForm,         Some(password::PAGE),    Members),
    route("POST", "/account/password",                Password, Handler::PasswordSubmit,       Some(password::PAGE),    Members),
    route("GET",  "/password/forgot",                 Password, Handler::ForgotForm,           Some(reset::FORGOT_PAGE), Anyone),
    route("POST", "/password/forgot",                 Password, Handler::ForgotSubmit,         Some(reset::FORGOT_PAGE), Anyone),
    route("GET",  "/password/reset",                  Password, Handler::ResetOpen,            Some(reset::RESET_PAGE), LinkHolder),
    route("POST", "/password/reset",                  Password, Handler::ResetSubmit,          Some(reset::RESET_PAGE), LinkHolder),
    route("GET",  "/account/delete",                  Delete,   Handler::DeleteConfirm,        Some(delete::PAGE),      Members),
    route("POST", "/account/delete",                  Delete,   Handler::DeleteSubmit,         Some(delete::PAGE),      Members),
    route("GET",  "/email/verify",                    Email,    Handler::EmailVerify,          None,                    LinkHolder),
    route("POST", "/account/email/resend",            Email,    Handler::EmailResend,          None,                    Members),
    route("GET",  "/account/two-factor",              TwoFactor, Handler::TwoFactorPage,       Some(two_factor::PAGE),  Members),
    route("POST", "/account/two-factor",              TwoFactor, Handler::TwoFactorEnable,     Some(two_factor::PAGE),  Members),
    route("POST", "/account/two-factor/recovery-codes", TwoFactor, Handler::TwoFactorCodes,    Some(two_factor::PAGE),  Members),
    route("POST", "/account/two-factor/disable",      TwoFactor, Handler::TwoFactorDisable,    Some(two_factor::PAGE),  Members),
    route("GET",  "/account/passkeys",                Passkey,  Handler::PasskeysPage,         Some(PASSKEYS_PAGE),     Members),
    route("POST", "/account/passkeys",                Passkey,  Handler::PasskeyAdd,           Some(PASSKEYS_PAGE),     Members),
    route("POST", "/account/passkeys/remove",         Passkey,  Handler::PasskeyRemove,        Some(PASSKEYS_PAGE),     Members),
    route("POST", "/login/passkey",                   Passkey,  Handler::PasskeySignIn,        Some(login::PAGE),       Guests),
];

impl Function {
    /// Every function, in declaration order (`id`).
    pub const EVERY: [Function; 10] = [
        Home, Login, Register, Logout, Password, Delete, Email, TwoFactor, TwoStep, Passkey,
    ];

    /// The function as a const generic parameter: its binary is built with
    /// `lambda::run::<{ Function::X.id() }>`, which links its handlers only.
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// The function with this `id` (a bad one does not compile where it is
    /// a constant).
    pub(crate) const fn from_id(id: u8) -> Function {
        Self::EVERY[id as usize]
    }

    /// The function API Gateway routes `path` to.
    pub fn for_path(path: &str) -> Option<Function> {
        ROUTES.iter().find(|r| r.path == path).map(|r| r.function)
    }

    /// The pages this function renders (besides the layout and error page).
    pub fn pages(self) -> Vec<&'static str> {
        let mut pages: Vec<&'static str> = ROUTES
            .iter()
            .filter(|r| r.function == self)
            .filter_map(|r| r.page)
            .collect();
        pages.sort_unstable();
        pages.dedup();
        pages
    }

    /// The binary's name (template.yaml's `BuildProperties: Binary`).
    pub fn name(self) -> &'static str {
        match self {
            Home => "home",
            Login => "login",
            Register => "register",
            Logout => "logout",
            Password => "password",
            Delete => "delete",
            Email => "email",
            TwoFactor => "twofactor",
            TwoStep => "twostep",
            Passkey => "passkey",
        }
    }
}

/// Runs the route `function` serves at this method and path; `404` when it
/// serves no such path, `405` with `Allow` when not with this method.
/// `LINKED`: the handlers the binary carries (`function`'s own, or `ALL`).
pub(crate) async fn dispatch<const LINKED: u8>(
    app: &App,
    function: Function,
    req: &mut Req,
) -> Result<Reply, AppError> {
    let here = ROUTES
        .iter()
        .filter(|r| r.function == function && r.path == req.path);
    let mut allowed = Vec::new();
    for route in here {
        if route.method == req.method.as_str() {
            req.back = route.back();
            return route.handler.call::<LINKED>(app, req).await;
        }
        allowed.push(route.method);
    }
    if allowed.is_empty() {
        Err(AppError::NotFound)
    } else {
        Err(AppError::MethodNotAllowed(allowed.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views;

    #[test]
    fn every_page_ships_and_every_route_is_unique() {
        for r in ROUTES {
            if let Some(page) = r.page {
                assert!(views::exists(page), "{} {}: no {page}", r.method, r.path);
                assert!(!views::ALWAYS.contains(&page));
                assert!(r.function.pages().contains(&page));
            }
            let same = ROUTES
                .iter()
                .filter(|o| o.method == r.method && o.path == r.path)
                .count();
            assert_eq!(same, 1, "{} {} twice", r.method, r.path);
            // One path, one function: API Gateway and the local router
            // route by path.
            assert_eq!(Function::for_path(r.path), Some(r.function));
            // A path is seen by one kind of visitor, whatever the method.
            let access = ROUTES.iter().filter(|o| o.path == r.path).map(|o| o.access);
            assert!(
                access.clone().all(|a| a == r.access),
                "{}: {:?}",
                r.path,
                access.collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn a_visitor_sent_to_log_in_comes_back_to_the_page_or_its_form() {
        let back = |m: &str, p: &str| {
            let r = ROUTES.iter().find(|r| r.method == m && r.path == p);
            r.expect("a route").back()
        };
        assert_eq!(back("GET", "/account"), "/account");
        assert_eq!(back("POST", "/account/password"), "/account/password");
        assert_eq!(back("POST", "/account/delete"), "/account/delete");
        assert_eq!(back("POST", "/account/sessions/revoke"), "/account");
        assert_eq!(back("POST", "/account/email/resend"), "/account");
        assert_eq!(
            back("POST", "/account/two-factor/disable"),
            "/account/two-factor"
        );
        assert_eq!(back("GET", "/email/verify"), "/");
    }
}
