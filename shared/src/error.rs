//! The one error type: each kind maps to one status and one message page.

use http::StatusCode;

use crate::forms::FormError;
use crate::password::HashError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
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
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    #[error("storage: {0}")]
    Storage(#[from] StoreError),
    #[error("password hashing: {0}")]
    Hash(#[from] HashError),
    #[error("rendering: {0}")]
    Render(#[from] tera::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::BadForm(_) | AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::CrossSite | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Hash(_) | AppError::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Title and message for the person who sees the page.
    pub fn page(&self) -> (&'static str, String) {
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
            AppError::Storage(_) => (
                "Service unavailable",
                "We could not reach our database just now. Nothing was changed. Please try again in a moment.".into(),
            ),
            AppError::Hash(_) | AppError::Render(_) => (
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
        assert_eq!(
            AppError::Storage(StoreError::Unavailable("x".into())).status(),
            503
        );
        assert!(AppError::Storage(StoreError::Unavailable("x".into()))
            .page()
            .1
            .contains("try again"));
    }
}
