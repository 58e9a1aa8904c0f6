//! Every text a page shows a person, besides the templates and the error
//! pages (`error.rs`): form messages, and the notices a redirect carries to
//! the next page.

use serde::{Deserialize, Serialize};

pub(crate) const REQUIRED: &str = "All fields are required.";
pub(crate) const USERNAME_TAKEN: &str = "Username already taken.";
pub(crate) const EMAIL_TAKEN: &str = "Email already registered.";
pub(crate) const BAD_LOGIN: &str = "Incorrect username or password.";
pub(crate) const TOO_MANY: &str =
    "Too many failed login attempts. Please wait 15 minutes before trying again.";
pub(crate) const TOO_MANY_REGISTRATIONS: &str =
    "Too many registration attempts from your network. Please try again later.";
pub(crate) const BAD_USERNAME: &str =
    "Usernames are 3 to 50 characters: letters, digits, _ . and - only.";
pub(crate) const BAD_EMAIL: &str = "Please enter a valid email address (at most 120 characters).";
pub(crate) const INCORRECT_PASSWORD: &str = "Incorrect password.";
pub(crate) const TOO_MANY_CHANGES: &str = "Too many password changes. Try again later.";
pub(crate) const INCORRECT_CODE: &str = "Incorrect code.";
pub(crate) const CODE_USED: &str = "That code was already used. Wait for the next one.";
pub(crate) const PASSKEY_NOT_ADDED: &str = "This passkey could not be added.";
pub(crate) const PASSKEY_FAILED: &str =
    "That passkey did not work. Try again or use your password.";
pub(crate) const PASSKEY_NAME: &str = "A passkey's name is 1 to 60 characters.";
pub(crate) const SETUP_EXPIRED: &str =
    "That set-up has expired. Scan the new code below and try again.";

/// A message for the next page, as a typed value: the flash cookie carries
/// these, and what a notice makes the server do (logout's
/// `Clear-Site-Data`) is decided by its kind, never by its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Notice {
    Registered {
        username: String,
    },
    WelcomeBack {
        username: String,
    },
    LoggedOut,
    /// Logged out, and this browser forgotten (its cookies cleared).
    LoggedOutForgotten,
    LogInFirst,
    SessionEnded,
    OthersEnded,
    PasswordChanged,
    /// The same answer whether or not the address has an account.
    ResetSent,
    PasswordReset,
    EmailConfirmed,
    ConfirmSent,
    AlreadyConfirmed,
    AccountDeleted,
    /// After signing in with a recovery code.
    RecoveryCodesLeft {
        left: usize,
    },
    TwoFactorOff,
    TrustedForgotten,
    PasskeyAdded,
    PasskeyRemoved,
}

/// How a notice looks: the class its paragraph gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Level {
    Success,
    Info,
}

impl Notice {
    pub(crate) fn level(&self) -> Level {
        match self {
            Notice::LogInFirst | Notice::ResetSent => Level::Info,
            _ => Level::Success,
        }
    }

    pub(crate) fn text(&self) -> String {
        match self {
            Notice::Registered { username } => {
                format!("Registration successful, welcome {username}!")
            }
            Notice::WelcomeBack { username } => format!("Welcome back, {username}!"),
            Notice::LoggedOut | Notice::LoggedOutForgotten => "Logged out successfully.".into(),
            Notice::LogInFirst => "Please log in first.".into(),
            Notice::SessionEnded => "Session signed out.".into(),
            Notice::OthersEnded => "Signed out of all other sessions.".into(),
            Notice::PasswordChanged => "Your password has been changed.".into(),
            Notice::ResetSent => "If that address belongs to an account, we have sent it a link to reset the password.".into(),
            Notice::PasswordReset => "Your password has been reset. Please log in.".into(),
            Notice::EmailConfirmed => "Your email address is confirmed.".into(),
            Notice::ConfirmSent => "We have sent a new confirmation link.".into(),
            Notice::AlreadyConfirmed => "Your email address is already confirmed.".into(),
            Notice::AccountDeleted => "Your account has been deleted.".into(),
            Notice::RecoveryCodesLeft { left } => format!("You have {left} recovery codes left."),
            Notice::TwoFactorOff => "Two-factor authentication is off.".into(),
            Notice::TrustedForgotten => "Trusted browser forgotten.".into(),
            Notice::PasskeyAdded => "Passkey added.".into(),
            Notice::PasskeyRemoved => "Passkey removed.".into(),
        }
    }

    /// The page that shows this notice also clears the site's cookies: the
    /// one a browser lands on after logging out (see `web::logout`) or
    /// after deleting its account.
    pub(crate) fn clears_site_data(&self) -> bool {
        matches!(self, Notice::LoggedOutForgotten | Notice::AccountDeleted)
    }
}
