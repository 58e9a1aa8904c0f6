//! The integration tests, in one binary (the SDK and Dynoxide link once):
//! the contract route by route with the real handlers, real API Gateway v2
//! events and a real DynamoDB-compatible server (Dynoxide) over HTTP; the
//! audit log; the deployment files against the route table; the shipped
//! event fixtures; arbitrary input; the DynamoDB warm-up. The helpers are
//! `shared::testing` (the `test-util` feature).

mod atomic;
mod audit;
mod bad_input;
mod conventions;
mod csrf;
mod csrf_sessions;
mod deletion_final;
mod deployment;
mod device_cookies;
mod devices;
mod dynamodb_calls;
mod escaping;
mod events;
mod faults;
mod grants;
mod grants_lifecycle;
mod grants_passkeys;
mod grants_two_factor;
mod grants_written;
mod guards;
mod lifecycle;
mod mail;
mod mail_caps;
mod mailbox;
mod pages;
mod passkeys;
mod password;
mod recovery;
mod registration;
mod reset;
mod robustness;
mod sessions;
mod stale_sessions;
mod template_mail;
mod throttle_faults;
mod throttling;
mod timeouts;
mod trusted_browsers;
mod two_factor;
mod validation;
mod verifications;
mod warm_up;

/// A file of the checkout these tests run from. Looked up at run time (cargo
/// and nextest set CARGO_MANIFEST_DIR), not with `env!`: a test binary that
/// another clone built into a shared target/ would read that clone.
pub(crate) fn repo_file(rel: &str) -> std::path::PathBuf {
    let manifest =
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    std::path::Path::new(&manifest).join("..").join(rel)
}
