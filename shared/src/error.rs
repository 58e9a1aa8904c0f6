//! The one error type: each kind maps to one status and one message page.

use http::StatusCode;

use crate::crypto::password::HashError;
use crate::forms::FormError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    #[error("request body over 16 KiB")]
    PayloadTooLarge,
    #[error("body is not application/x-www-form-urlencoded")]
    UnsupportedMediaType,
    #[error("bad form: {0}")]
    BadForm(#[from] FormError),
    #[error("cross-site request refused")]
    CrossSite,
    #[error("missing or invalid CSRF token")]
    Csrf,
    #[error("not an HTTP request")]
    BadRequest,
    #[error("not found")]
    NotFound,
    /// With the `Allow` header's value.
    #[error("method not allowed")]
    MethodNotAllowed(String),
    /// A one-time link that is malformed (400), or unknown, used, replaced
    /// or expired (410).
    #[error("invalid {kind:?} link")]
    BadLink { kind: LinkKind, malformed: bool },
    /// The account changed under the request (deleted, its password
    /// changed or reset, its sessions ended): nothing was written; trying
    /// again gives the current answer.
    #[error("conflict: {0}")]
    Conflict(String),
    /// DynamoDB failed or throttled past the SDK's retries: try again.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Ours to fix: a request the SDK refused to build, an item we cannot
    /// read, a template that does not render, hashing that failed.
    #[error("bug: {0}")]
    Bug(String),
}

/// Which kind of one-time link a page is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkKind {
    Reset,
    Confirm,
}

pub(crate) const BAD_RESET_LINK: &str = "This reset link is invalid or has expired.";
pub(crate) const BAD_CONFIRM_LINK: &str = "This confirmation link is invalid or has expired.";

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(why) => AppError::Unavailable(why),
            StoreError::Refused(items) => AppError::Conflict(format!("items {items:?}")),
            // "Taken" is the caller's to handle; reaching here is a bug.
            other => AppError::Bug(other.to_string()),
        }
    }
}

impl From<HashError> for AppError {
    fn from(e: HashError) -> Self {
        AppError::Bug(e.to_string())
    }
}

impl From<tera::Error> for AppError {
    fn from(e: tera::Error) -> Self {
        AppError::Bug(format!("rendering: {e}"))
    }
}

impl AppError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::BadForm(_) | AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::CrossSite | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::BadLink {
                malformed: true, ..
            } => StatusCode::BAD_REQUEST,
            AppError::BadLink { .. } => StatusCode::GONE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Bug(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Where the error page's link leads, and what it says.
    pub(crate) fn back(&self) -> (&'static str, &'static str) {
        match self {
            AppError::BadLink {
                kind: LinkKind::Reset,
                ..
            } => ("/password/forgot", "Ask for a new reset link"),
            AppError::BadLink {
                kind: LinkKind::Confirm,
                ..
            } => ("/account", "Send a new confirmation link from your account"),
            _ => ("/", "Back to the home page"),
        }
    }

    /// Title and message for the person who sees the page.
    pub(crate) fn page(&self) -> (&'static str, String) {
        match self {
            AppError::PayloadTooLarge => (
                "Request too large",
                "The form you sent is larger than 16 KiB. Please shorten it and try again.".into(),
            ),
            AppError::UnsupportedMediaType => (
                "Unsupported form encoding",
                "Forms must be sent as application/x-www-form-urlencoded.".into(),
            ),
            AppError::BadForm(e) => ("Invalid form", e.to_string()),
            AppError::CrossSite => (
                "Request refused",
                "This form was sent from another site, so it was refused. Nothing was changed.".into(),
            ),
            AppError::Csrf => (
                "Form expired",
                "This form has expired or did not come from this site, so nothing was changed. Go back, reload the page and try again.".into(),
            ),
            AppError::BadRequest => (
                "Bad request",
                "This request could not be understood.".into(),
            ),
            AppError::NotFound => ("Page not found", "There is no page at this address.".into()),
            AppError::MethodNotAllowed(_) => (
                "Method not allowed",
                "This page does not accept that kind of request.".into(),
            ),
            AppError::BadLink { kind, .. } => (
                "Link invalid or expired",
                match kind {
                    LinkKind::Reset => BAD_RESET_LINK,
                    LinkKind::Confirm => BAD_CONFIRM_LINK,
                }
                .into(),
            ),
            AppError::Conflict(_) => (
                "Please try again",
                "Your account changed while this request was on its way (its password changed, its sessions were ended, or it was deleted), so nothing was done. Please try again.".into(),
            ),
            // Not "nothing was changed": a write may have landed before the
            // fault. Trying again is safe either way.
            AppError::Unavailable(_) => (
                "Service unavailable",
                "We could not reach our database just now. Please try again in a moment.".into(),
            ),
            AppError::Bug(_) => (
                "Something went wrong",
                "An unexpected error occurred. Please try again.".into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_status() {
        assert_eq!(AppError::PayloadTooLarge.status(), 413);
        assert_eq!(AppError::UnsupportedMediaType.status(), 415);
        assert_eq!(AppError::BadForm(FormError::Malformed).status(), 400);
        assert_eq!(AppError::Csrf.status(), 403);
        assert_eq!(AppError::CrossSite.status(), 403);
        let down = AppError::from(StoreError::Unavailable("x".into()));
        assert_eq!(down.status(), 503);
        assert!(down.page().1.contains("try again"));
        assert!(!down.page().1.contains("Nothing was changed"));
        // A malformed item or a request the SDK refused to build is a bug.
        let bug = AppError::from(StoreError::Bug("malformed item: pk".into()));
        assert_eq!(bug.status(), 500);
        assert_eq!(bug.page().0, "Something went wrong");
    }
}
