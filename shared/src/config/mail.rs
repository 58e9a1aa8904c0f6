//! Mail's configuration: the caps on link requests, how long links work,
//! and what the mailer needs (`MAIL_FROM`, `SITE_URL`, the outbox, an SES
//! endpoint override).

use super::{number, ConfigError};

/// Mail: the caps on reset and confirmation requests, and what the mailer
/// needs to build and send a message.
#[derive(Debug, Clone)]
pub(crate) struct MailConfig {
    /// Reset and confirmation requests per source IP per window.
    pub(crate) per_ip: u32,
    /// Reset and confirmation emails per address per window, the welcome
    /// email included.
    pub(crate) per_address: u32,
    pub(crate) window_secs: i64,
    /// How long links work: a reset link 1 hour, a confirmation link 7 days.
    pub(crate) reset_secs: i64,
    pub(crate) confirm_secs: i64,
    /// The `From` address (`MAIL_FROM`; SES's verified identity on AWS).
    pub(crate) from: String,
    /// The site's own address, for absolute links (`SITE_URL`).
    pub(crate) site_url: Option<String>,
    /// Write `.eml` files here instead of sending (`MAIL_OUTBOX`, local).
    pub(crate) outbox: Option<std::path::PathBuf>,
    /// SES endpoint override (tests: a stub speaking the SES v2 API).
    pub(crate) ses_endpoint: Option<String>,
}

pub(super) fn mail_config(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<MailConfig, ConfigError> {
    let opt = |k: &str| {
        get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let from = opt("MAIL_FROM").unwrap_or_else(|| "no-reply@localhost".into());
    if from.matches('@').count() != 1 || from.contains(['<', '>', ' ']) {
        return Err(ConfigError::Invalid {
            name: "MAIL_FROM",
            why: format!("{from:?} is not a bare address (name@domain)"),
        });
    }
    let site_url = opt("SITE_URL").map(|u| u.trim_end_matches('/').to_string());
    if let Some(u) = &site_url {
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                name: "SITE_URL",
                why: format!("{u:?} is not an http(s) URL"),
            });
        }
    }
    Ok(MailConfig {
        per_ip: number(get, "MAIL_IP_LIMIT", 20, 1, 1_000_000)?,
        per_address: 3,
        window_secs: 60 * 60,
        reset_secs: 60 * 60,
        confirm_secs: 7 * 24 * 60 * 60,
        from,
        site_url,
        outbox: opt("MAIL_OUTBOX").map(std::path::PathBuf::from),
        ses_endpoint: opt("SES_ENDPOINT"),
    })
}
