//! Configuration, read once per cold start from the environment.

use std::env;

mod mail;
use mail::mail_config;
pub(crate) use mail::MailConfig;

/// OWASP's current minimum for Argon2id: 19 MiB, 2 iterations, 1 lane.
pub(crate) const ARGON2_MIN_MEMORY_KIB: u32 = 19_456;
pub(crate) const ARGON2_MIN_ITERATIONS: u32 = 2;
pub(crate) const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} must be at least {min} bytes long")]
    SecretTooShort { name: &'static str, min: usize },
    #[error("{name} is invalid: {why}")]
    Invalid { name: &'static str, why: String },
}

#[derive(Clone)]
pub struct Config {
    pub users_table: String,
    pub sessions_table: String,
    pub throttle_table: String,
    /// One-time links and mail requests; its stream feeds the mailer.
    pub tokens_table: String,
    /// Endpoint override (local Dynoxide); `None` on AWS.
    pub dynamodb_endpoint: Option<String>,
    pub(crate) region: String,
    /// Signs cookies and keys CSRF tokens.
    pub(crate) secret: Vec<u8>,
    /// A retired secret that still verifies cookies during a rotation.
    pub(crate) previous_secret: Option<Vec<u8>>,
    /// Keys the two-factor data at rest (`DATA_SECRET`): sealed
    /// authenticator secrets, recovery codes' hashes. Unset (local, tests):
    /// derived from `SESSION_SECRET` under its own purpose.
    pub(crate) data_secret: Option<Vec<u8>>,
    /// A retired data secret, which still opens what it sealed.
    pub(crate) data_previous: Option<Vec<u8>>,
    pub(crate) password_min_length: usize,
    pub(crate) login: LoginLimits,
    /// Registration attempts allowed per source IP per hour.
    pub(crate) register_per_ip: u32,
    pub(crate) argon2: Argon2Cost,
    pub(crate) site_name: String,
    pub(crate) mail: MailConfig,
    /// Open the DynamoDB connection during init (`DYNAMODB_WARM_UP=1`).
    pub warm_up: bool,
    /// `LOCAL_PLAIN_HTTP=1`: the local development server, which speaks
    /// plain HTTP: cookies without `Secure` or `__Host-`, no HSTS. Never
    /// set on AWS, where every event came over HTTPS (API Gateway serves
    /// only HTTPS), whatever headers the client sent.
    pub(crate) plain_http: bool,
}

/// Failed logins allowed in one window, per username and per source IP.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoginLimits {
    /// Per username; and per device, for a browser with a device cookie.
    pub(crate) per_user: u32,
    pub(crate) per_ip: u32,
    pub(crate) window_secs: i64,
}

/// Argon2id's cost, never below OWASP's minimum.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Argon2Cost {
    pub(crate) memory_kib: u32,
    pub(crate) iterations: u32,
    pub(crate) parallelism: u32,
}

impl std::fmt::Debug for Config {
    // Never print the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("users_table", &self.users_table)
            .field("sessions_table", &self.sessions_table)
            .field("throttle_table", &self.throttle_table)
            .field("tokens_table", &self.tokens_table)
            .field("dynamodb_endpoint", &self.dynamodb_endpoint)
            .field("region", &self.region)
            .field("password_min_length", &self.password_min_length)
            .field("login", &self.login)
            .field("mail", &self.mail)
            .field("register_per_ip", &self.register_per_ip)
            .field("warm_up", &self.warm_up)
            .field("plain_http", &self.plain_http)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| env::var(k).ok())
    }

    /// Builds the configuration from any key/value lookup (the environment,
    /// or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let text = |k: &str, default: &str| {
            get(k)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        let secret = get("SESSION_SECRET")
            .filter(|s| !s.is_empty())
            .ok_or(ConfigError::Missing("SESSION_SECRET"))?
            .into_bytes();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ConfigError::SecretTooShort {
                name: "SESSION_SECRET",
                min: MIN_SECRET_BYTES,
            });
        }
        let previous_secret = match get("SESSION_SECRET_PREVIOUS").filter(|s| !s.is_empty()) {
            Some(p) if p.len() < MIN_SECRET_BYTES => {
                return Err(ConfigError::SecretTooShort {
                    name: "SESSION_SECRET_PREVIOUS",
                    min: MIN_SECRET_BYTES,
                })
            }
            p => p.map(String::into_bytes),
        };
        let data_secret = optional_secret(&get, "DATA_SECRET")?;
        let data_previous = optional_secret(&get, "DATA_SECRET_PREVIOUS")?;
        let password_min_length = number(&get, "PASSWORD_MIN_LENGTH", 8, 8, 128)?;
        Ok(Config {
            users_table: text("USERS_TABLE", "users"),
            sessions_table: text("SESSIONS_TABLE", "sessions"),
            throttle_table: text("THROTTLE_TABLE", "throttle"),
            tokens_table: text("TOKENS_TABLE", "tokens"),
            dynamodb_endpoint: get("DYNAMODB_ENDPOINT").filter(|v| !v.trim().is_empty()),
            region: get("AWS_REGION")
                .or_else(|| get("AWS_DEFAULT_REGION"))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "us-east-1".to_string()),
            secret,
            previous_secret,
            data_secret,
            data_previous,
            password_min_length: password_min_length as usize,
            login: LoginLimits {
                per_user: 5,
                per_ip: number(&get, "LOGIN_IP_LIMIT", 100, 1, 1_000_000)?,
                window_secs: 15 * 60,
            },
            register_per_ip: number(&get, "REGISTER_IP_LIMIT", 20, 1, 1_000_000)?,
            argon2: argon2_cost(&get)?,
            site_name: text("SITE_NAME", "The Blog"),
            mail: mail_config(&get)?,
            warm_up: flag(&get, "DYNAMODB_WARM_UP")?,
            plain_http: flag(&get, "LOCAL_PLAIN_HTTP")?,
        })
    }
}

/// A secret that may be unset, but when set is at least 32 bytes.
fn optional_secret(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<Vec<u8>>, ConfigError> {
    match get(name).filter(|s| !s.is_empty()) {
        Some(s) if s.len() < MIN_SECRET_BYTES => Err(ConfigError::SecretTooShort {
            name,
            min: MIN_SECRET_BYTES,
        }),
        s => Ok(s.map(String::into_bytes)),
    }
}

impl Config {
    /// Every key, derived once: the cookie secret's (and its retired one's)
    /// and the data secret's.
    /// The host of the site's own address (`SITE_URL`): the passkeys'
    /// relying-party id. `None` without one.
    pub(crate) fn site_host(&self) -> Option<&str> {
        let url = self.mail.site_url.as_deref()?;
        let rest = url.split_once("://")?.1;
        let authority = rest.split(['/', '?', '#']).next()?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        (!host.is_empty()).then_some(host)
    }

    pub(crate) fn keys(&self) -> crate::crypto::Keys {
        let keys = crate::crypto::Keys::new(&self.secret, self.previous_secret.as_deref());
        match &self.data_secret {
            Some(data) => keys.with_data(data, self.data_previous.as_deref()),
            None => keys,
        }
    }
}

fn argon2_cost(get: &impl Fn(&str) -> Option<String>) -> Result<Argon2Cost, ConfigError> {
    Ok(Argon2Cost {
        memory_kib: number(
            get,
            "ARGON2_MEMORY_KIB",
            ARGON2_MIN_MEMORY_KIB,
            ARGON2_MIN_MEMORY_KIB,
            4 * 1024 * 1024,
        )?,
        iterations: number(
            get,
            "ARGON2_ITERATIONS",
            ARGON2_MIN_ITERATIONS,
            ARGON2_MIN_ITERATIONS,
            64,
        )?,
        parallelism: number(get, "ARGON2_PARALLELISM", 1, 1, 16)?,
    })
}

fn flag(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match get(name).as_deref().map(str::trim) {
        None | Some("" | "0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(other) => Err(ConfigError::Invalid {
            name,
            why: format!("{other:?} is not 1 or 0"),
        }),
    }
}

fn number(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    let Some(raw) = get(name).filter(|v| !v.trim().is_empty()) else {
        return Ok(default);
    };
    let n: u32 = raw.trim().parse().map_err(|_| ConfigError::Invalid {
        name,
        why: format!("{raw:?} is not a whole number"),
    })?;
    if n < min || n > max {
        return Err(ConfigError::Invalid {
            name,
            why: format!("{n} is outside {min}..={max}"),
        });
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn refuses_to_start_without_a_long_enough_secret() {
        assert_eq!(
            cfg(&[]).unwrap_err(),
            ConfigError::Missing("SESSION_SECRET")
        );
        assert!(matches!(
            cfg(&[("SESSION_SECRET", "short")]),
            Err(ConfigError::SecretTooShort { .. })
        ));
        assert!(matches!(
            cfg(&[("SESSION_SECRET", SECRET), ("SESSION_SECRET_PREVIOUS", "x")]),
            Err(ConfigError::SecretTooShort { .. })
        ));
    }

    #[test]
    fn defaults_and_overrides() {
        let c = cfg(&[("SESSION_SECRET", SECRET)]).unwrap();
        assert_eq!(c.users_table, "users");
        assert_eq!(c.password_min_length, 8);
        assert_eq!(c.argon2.memory_kib, ARGON2_MIN_MEMORY_KIB);
        assert_eq!(c.login.per_ip, 100);
        assert_eq!(c.mail.per_ip, 20);
        assert_eq!(c.tokens_table, "tokens");
        assert!(c.mail.outbox.is_none() && c.mail.site_url.is_none());
        assert_eq!(c.register_per_ip, 20);
        assert!(cfg(&[("SESSION_SECRET", SECRET), ("REGISTER_IP_LIMIT", "0")]).is_err());
        assert!(!c.warm_up);
        assert!(!c.plain_http, "HTTPS unless told otherwise");
        let c = cfg(&[
            ("SESSION_SECRET", SECRET),
            ("USERS_TABLE", "u"),
            ("PASSWORD_MIN_LENGTH", "15"),
            ("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"),
            ("DYNAMODB_WARM_UP", "1"),
            ("LOCAL_PLAIN_HTTP", "1"),
        ])
        .unwrap();
        assert!(c.warm_up && c.plain_http);
        assert_eq!(c.users_table, "u");
        assert_eq!(c.password_min_length, 15);
        assert_eq!(
            c.dynamodb_endpoint.as_deref(),
            Some("http://127.0.0.1:8000")
        );
    }

    #[test]
    fn argon2_parameters_cannot_go_below_owasp_minimum() {
        assert!(cfg(&[("SESSION_SECRET", SECRET), ("ARGON2_MEMORY_KIB", "4096")]).is_err());
        assert!(cfg(&[("SESSION_SECRET", SECRET), ("ARGON2_ITERATIONS", "1")]).is_err());
        assert!(cfg(&[("SESSION_SECRET", SECRET), ("PASSWORD_MIN_LENGTH", "6")]).is_err());
        assert!(cfg(&[("SESSION_SECRET", SECRET), ("MAIL_FROM", "Blog <a@b.co>")]).is_err());
        assert!(cfg(&[("SESSION_SECRET", SECRET), ("SITE_URL", "blog.example")]).is_err());
    }

    #[test]
    fn the_relying_party_is_the_host_of_the_site_url() {
        let host = |url: &str| {
            let c = cfg(&[("SESSION_SECRET", SECRET), ("SITE_URL", url)]).unwrap();
            c.site_host().map(str::to_string)
        };
        assert_eq!(host("http://localhost:9000").as_deref(), Some("localhost"));
        assert_eq!(
            host("https://blog.example.com/").as_deref(),
            Some("blog.example.com")
        );
        assert_eq!(
            host("https://a.example:8443/x?y#z").as_deref(),
            Some("a.example")
        );
        assert!(cfg(&[("SESSION_SECRET", SECRET)])
            .unwrap()
            .site_host()
            .is_none());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let c = cfg(&[("SESSION_SECRET", SECRET)]).unwrap();
        assert!(!format!("{c:?}").contains(SECRET));
    }
}
