//! The login service's core. Each Lambda binary builds an [`App`] once per
//! cold start and hands every request to [`App::handle`]; everything else
//! lives here, one module per concern.

pub mod app;
pub mod clock;
pub mod config;
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod event;
pub mod flash;
pub mod forms;
pub mod handlers;
pub mod lambda;
pub mod next_url;
pub mod password;
pub mod request;
pub mod responses;
pub mod session;
pub mod store;
pub mod validate;
pub mod views;

pub use app::{App, Function, ROUTES};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Config;
pub use error::AppError;
