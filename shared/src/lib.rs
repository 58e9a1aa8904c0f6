//! The login service's core. Each Lambda binary calls [`lambda::run`] with
//! its [`Function`]'s id, and links only that function's handlers;
//! ARCHITECTURE.md (at the repository root) walks through
//! the rooms below and how a request passes through them.
//!
//! Public: what the function binaries use (`lambda::run`, `Function`), the
//! app as the tests and tools drive it (`App`, `Config`, `Clock`, the route
//! table), and the input parsers the fuzz targets exercise. Test helpers
//! are behind the `test-util` feature (`testing`).
#![warn(unreachable_pub)]

// The request's way through: gateway -> routes -> web (gate, then a page).
mod app;
mod gateway;
pub mod lambda;
mod routes;
mod serve;
mod web;

// What the pages are made of.
mod clock;
mod config;
pub mod cookies;
pub mod crypto;
mod csrf;
mod device;
mod error;
pub mod flash;
pub mod forms;
pub mod mail;
mod messages;
pub mod next_url;
mod qr;
pub mod session;
mod store;
mod validate;
mod views;

#[cfg(feature = "test-util")]
pub mod testing;

pub use app::{App, InitError};
pub use clock::{Clock, SystemClock};
pub use config::{Config, ConfigError};
pub use gateway::event::Response;
pub use mail::Mailer;
pub use routes::{Access, Function, Route, ROUTES};
