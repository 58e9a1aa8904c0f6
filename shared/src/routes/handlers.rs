//! What answers a route (`Handler`), and which handlers a binary links:
//! its own function's, chosen at compile time from the route table.

use std::future::Future;
use std::pin::Pin;

use super::{Function, TABLE};
use crate::app::App;
use crate::error::AppError;
use crate::gateway::reply::Reply;
use crate::gateway::request::Req;
use crate::web::{
    account, delete, email, home, login, logout, passkey_login, passkeys, password, register,
    reset, second_step, two_factor, Stop,
};

/// Declares `Handler`, one variant per handler, and the one match that
/// runs it. Each arm is guarded by whether the binary links the handler
/// (`Handler::linked`, decided at compile time): a function's binary
/// carries its own handlers only, and the code only they reach (the
/// passkey function, for one, no two-factor, QR or registration code).
/// (A table of boxed `fn` pointers would need no variant, but it made the
/// SDK's request pipeline compile twice into every function: +300 KB per
/// binary, measured.)
macro_rules! handlers {
    (|$app:ident, $req:ident| { $($variant:ident => $answer:expr,)* }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Handler { $($variant,)* }

        impl Handler {
            /// Every handler, in declaration order.
            #[cfg(test)]
            const EVERY: &[Handler] = &[$(Handler::$variant,)*];

            /// The handler's future, on the heap: the match's future would be
            /// as large as the largest handler's (tens of KiB with the SDK's
            /// futures inside) on a 2 MiB stack. And not awaited here: an
            /// async match would keep every arm's resume point, and with it
            /// every handler's code, even where the guard is false.
            fn answer<'a, const LINKED: u8>($app: &'a App, $req: &'a Req, handler: Handler) -> Answer<'a> {
                match handler {
                    $(Handler::$variant if const { Handler::$variant.linked(LINKED) } => Box::pin($answer),)*
                    // Another function's route: `dispatch` never asks for one.
                    _ => Box::pin(std::future::ready(Err(AppError::NotFound.into()))),
                }
            }
        }
    };
}

handlers!(|app, req| {
    HomeIndex => home::index(app, req),
    AccountShow => account::show(app, req),
    AccountRevoke => account::revoke(app, req),
    AccountRevokeOthers => account::revoke_others(app, req),
    LoginForm => login::form(app, req),
    LoginSubmit => login::submit(app, req),
    RegisterForm => register::form(app, req),
    RegisterSubmit => register::submit(app, req),
    LogoutConfirm => logout::confirm(app, req),
    LogoutSubmit => logout::submit(app, req),
    PasswordForm => password::form(app, req),
    PasswordSubmit => password::submit(app, req),
    ForgotForm => reset::forgot_form(app, req),
    ForgotSubmit => reset::forgot_submit(app, req),
    ResetOpen => reset::open(app, req),
    ResetSubmit => reset::submit(app, req),
    DeleteConfirm => delete::confirm(app, req),
    DeleteSubmit => delete::submit(app, req),
    EmailVerify => email::verify(app, req),
    EmailResend => email::resend(app, req),
    ForgetTrusted => account::forget_trusted(app, req),
    TwoFactorPage => two_factor::page(app, req),
    TwoFactorEnable => two_factor::enable(app, req),
    TwoFactorCodes => two_factor::new_codes(app, req),
    TwoFactorDisable => two_factor::disable(app, req),
    SecondStepForm => second_step::form(app, req),
    SecondStepSubmit => second_step::submit(app, req),
    PasskeysPage => passkeys::page(app, req),
    PasskeyAdd => passkeys::add(app, req),
    PasskeyRemove => passkeys::remove(app, req),
    PasskeySignIn => passkey_login::sign_in(app, req),
});

/// A handler's answer, to come.
type Answer<'a> = Pin<Box<dyn Future<Output = Result<Reply, Stop>> + Send + 'a>>;

/// What a caller that serves every function links: every handler (tests,
/// the bench, the local tools).
pub(crate) const ALL: u8 = u8::MAX;

impl Handler {
    pub(super) async fn call<const LINKED: u8>(
        self,
        app: &App,
        req: &Req,
    ) -> Result<Reply, AppError> {
        Self::answer::<LINKED>(app, req, self)
            .await
            .or_else(Stop::into_result)
    }

    /// The function whose route this handler answers (the table says; a
    /// handler in no route does not compile).
    const fn function(self) -> Function {
        let mut i = 0;
        while i < TABLE.len() {
            if TABLE[i].handler as u8 == self as u8 {
                return TABLE[i].function;
            }
            i += 1;
        }
        panic!("a handler that answers no route")
    }

    /// Whether the binary of function `linked` (or `ALL`) carries it.
    const fn linked(self, linked: u8) -> bool {
        linked == ALL || self.function().id() == linked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::ROUTES;

    #[test]
    fn each_binary_links_its_own_handlers_and_no_other() {
        for (i, f) in Function::EVERY.into_iter().enumerate() {
            assert_eq!(usize::from(f.id()), i, "Function::EVERY is out of order");
            assert_eq!(Function::from_id(f.id()), f);
        }
        for &handler in Handler::EVERY {
            let mut routes = ROUTES.iter().filter(|r| r.handler == handler);
            let own = routes.next().expect("a handler with a route").function;
            assert!(routes.next().is_none(), "{handler:?} answers two routes");
            for f in Function::EVERY {
                assert_eq!(handler.linked(f.id()), f == own, "{handler:?} in {f:?}");
            }
            assert!(handler.linked(ALL));
        }
    }
}
