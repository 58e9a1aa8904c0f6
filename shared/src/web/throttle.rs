//! Throttling: the rules every password check follows (login here; any
//! form that asks for the current password calls `check` and `failed` the
//! same way). The counters are `store/throttle.rs`.
//!
//! 1. A browser with a device cookie that fits the account it tries (issued
//!    to it, under its current generation, within the year) is counted on
//!    that device's own counter (OWASP's device cookie), not on the
//!    username's, and is not held by the source's limit: others' guesses
//!    never lock it out, and its own are limited all the same. Device
//!    cookies come only from successful sign-ins, and a password change,
//!    reset or two-factor change makes every one issued before it stop
//!    fitting, so cookies stockpiled while the password was known buy no
//!    guesses once it is changed.
//! 2. Anyone else: the source's failed-login counter is read first. Over
//!    `LOGIN_IP_LIMIT` the attempt is refused and counted against the
//!    source, and nothing touches the username's counter, so a client over
//!    its limit cannot lock anyone out.
//! 3. The attempt is counted, atomically, before the password is looked
//!    at: on the device's counter, else the username's. Over 5 in 15
//!    minutes it is refused (and counted against the source) without
//!    reading the account or running Argon2id; parallel guesses each get a
//!    distinct count, so none slips past.
//! 4. A wrong password counts against the source. A success resets the
//!    counter the attempt was counted on, in the session's transaction.
//!
//! Registration has its own per-source counter (`registration_allowed`):
//! every attempt counts, `REGISTER_IP_LIMIT` per hour.

use std::net::{IpAddr, Ipv6Addr};

use cookie::Cookie;

use crate::app::App;
use crate::cookies;
use crate::device::{self, Device};
use crate::gateway::request::Req;
use crate::store::User;

use super::Result;

/// What the gate decided about an attempt on an account.
pub(crate) enum Gate {
    /// Go on and check the password; this counter counted the attempt.
    Open(Counted),
    /// Refused: too many attempts.
    Closed(Limit),
}

/// Which limit refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// The source's failed logins (`LOGIN_IP_LIMIT`).
    Source,
    /// The account's: the username's counter, or the device's.
    Account,
}

impl Limit {
    /// The audit event of a refusal.
    pub(crate) fn event(self) -> &'static str {
        match self {
            Limit::Source => "login_ip_limited",
            Limit::Account => "login_locked",
        }
    }
}

/// The counter an admitted attempt was counted on: a success resets it.
pub(crate) struct Counted {
    pub(crate) counter: String,
}

/// The username's failed-login counter: keyed by an HMAC of the name, so
/// the throttle table never holds it in clear.
pub(crate) fn user_counter(app: &App, user_key: &str) -> String {
    format!("user#{}", app.keys.pseudonym(user_key))
}

/// The source's failed-login counter.
fn source_counter(req: &Req) -> String {
    format!("ip#{}", source_key(&req.source_ip))
}

/// The device cookie the request carries, if it fits `user` now.
pub(crate) fn device_for<'r>(app: &App, req: &'r Req, user: Option<&User>) -> Option<&'r Device> {
    let user = user?;
    req.device.as_ref().filter(|d| d.fits(user, app.now()))
}

/// `device_for`, unless its browser asked to forget it ("Log out and
/// forget this browser"): one read, only when a fitting cookie came.
pub(crate) async fn counting_device<'r>(
    app: &App,
    req: &'r Req,
    user: Option<&User>,
) -> Result<Option<&'r Device>> {
    let Some(d) = device_for(app, req, user) else {
        return Ok(None);
    };
    let forgotten = app
        .store
        .device_forgotten(&d.account_id, &d.id, app.now())
        .await?;
    Ok((!forgotten).then_some(d))
}

/// Counts an attempt on the account `user_key`, or refuses it (rules 1-3);
/// `device`: the request's device cookie, if it fits that account.
pub(crate) async fn check(
    app: &App,
    req: &Req,
    user_key: &str,
    device: Option<&Device>,
) -> Result<Gate> {
    let limits = app.config.login;
    let now = app.now();
    if device.is_none() {
        let source = source_counter(req);
        if app.store.get_counter(&source).await?.live(now) >= limits.per_ip {
            app.store
                .add_failure(&source, now, limits.window_secs)
                .await?;
            return Ok(Gate::Closed(Limit::Source));
        }
    }
    let counter = match device {
        Some(d) => d.counter(),
        None => user_counter(app, user_key),
    };
    let count = app
        .store
        .add_failure(&counter, now, limits.window_secs)
        .await?;
    if count > limits.per_user {
        failed(app, req).await?;
        return Ok(Gate::Closed(Limit::Account));
    }
    Ok(Gate::Open(Counted { counter }))
}

/// Whether the source is at its failed-login limit: a passkey sign-in,
/// which names no username, is held to it alone.
pub(crate) async fn source_closed(app: &App, req: &Req) -> Result<bool> {
    let counter = app.store.get_counter(&source_counter(req)).await?;
    Ok(counter.live(app.now()) >= app.config.login.per_ip)
}

/// A wrong password (or a refused attempt): one more against the source.
pub(crate) async fn failed(app: &App, req: &Req) -> Result<()> {
    let limits = app.config.login;
    app.store
        .add_failure(&source_counter(req), app.now(), limits.window_secs)
        .await?;
    Ok(())
}

/// Counts a registration attempt against its source; `false` once the
/// source has made more than `REGISTER_IP_LIMIT` in the hour. Counted
/// before any account is looked up or any password hashed.
pub(crate) async fn registration_allowed(app: &App, req: &Req) -> Result<bool> {
    let counter = format!("reg#{}", source_key(&req.source_ip));
    let count = app
        .store
        .add_failure(&counter, app.now(), REGISTER_WINDOW_SECS)
        .await?;
    Ok(count <= app.config.register_per_ip)
}

/// The registration limit's window.
const REGISTER_WINDOW_SECS: i64 = 60 * 60;

/// The device cookie for a browser that just signed in to `user`: the one
/// whose counter (`counted_on`) counted the sign-in, issued again now, or a
/// new one.
pub(crate) fn device_cookie(
    app: &App,
    req: &Req,
    user: &User,
    counted_on: Option<&str>,
) -> Cookie<'static> {
    let now = app.now();
    // The same device id only for the device that counted this sign-in
    // (so never for one its browser asked to forget).
    let device = match device_for(app, req, Some(user)) {
        Some(d) if counted_on == Some(d.counter().as_str()) => d.renewed(now),
        _ => Device::new(user, now),
    };
    cookies::sign(
        &app.keys,
        cookies::build(
            cookies::DEVICE,
            device.cookie_value(),
            req.secure,
            Some(device::DEVICE_SECS),
        ),
    )
}

/// What a source is counted as: an IPv4 address as it is, and an IPv6
/// address as its /64, the block one subscriber gets, so nobody escapes a
/// limit by hopping through addresses of their own block.
pub(crate) fn source_key(ip: &str) -> String {
    match ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
        // API Gateway always sends an address; anything else stays as is.
        Err(_) => ip.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::source_key;

    #[test]
    fn ipv6_sources_are_their_64_and_ipv4_stays_whole() {
        assert_eq!(source_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(source_key("::ffff:203.0.113.7"), "203.0.113.7");
        let block = "2001:db8:1:2::/64";
        for ip in [
            "2001:db8:1:2::1",
            "2001:DB8:1:2:ffff:ffff:ffff:ffff",
            "2001:db8:1:2:a:b:c:d",
        ] {
            assert_eq!(source_key(ip), block, "{ip}");
        }
        assert_eq!(source_key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(source_key("::1"), "::/64");
        assert_eq!(source_key(""), "");
    }
}
