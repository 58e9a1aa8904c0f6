//! The SDK clients' common parts: built straight from the Lambda
//! environment, with an HTTPS client that trusts only the Amazon roots.
//! The DynamoDB client is here; the mailer's SES client (`mail/send.rs`)
//! is built from the same parts.

use aws_sdk_dynamodb::Client;

use crate::config::Config;

/// The DynamoDB client, built straight from the Lambda environment rather
/// than aws-config's default provider chain (which probes profiles, SSO and
/// IMDS at cold start): region and credentials from the variables Lambda
/// sets. Timeouts and retries are sized so a throttled or unreachable
/// DynamoDB ends in a 503 page well inside the function timeout.
pub(crate) fn client(config: &Config) -> Result<Client, RootsError> {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Region};

    let mut builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .http_client(http_client()?)
        .retry_config(retry())
        .timeout_config(timeouts());
    if let Some(endpoint) = &config.dynamodb_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    if let Some(c) = credentials(config.dynamodb_endpoint.is_some()) {
        builder = builder.credentials_provider(c);
    }
    Ok(Client::from_conf(builder.build()))
}

/// At most 3 attempts, backing off from 50 to 500 ms: a failing service
/// ends in a rendered 503 page (or a retried mail) well inside the timeout.
pub(crate) fn retry() -> aws_sdk_dynamodb::config::retry::RetryConfig {
    use std::time::Duration;
    aws_sdk_dynamodb::config::retry::RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(500))
}

/// 1 s to connect, 2 s per attempt, 5 s per operation.
pub(crate) fn timeouts() -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
    use std::time::Duration;
    aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build()
}

/// The credentials Lambda hands the process (its execution role), or, for
/// a local endpoint (Dynoxide, the SES stub), any. `None` (logged): every
/// call fails, and each request gets the 503 page.
pub(crate) fn credentials(local: bool) -> Option<aws_sdk_dynamodb::config::Credentials> {
    use aws_sdk_dynamodb::config::Credentials;
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => Some(Credentials::new(
            id,
            secret,
            var("AWS_SESSION_TOKEN"),
            None,
            "environment",
        )),
        _ if local => Some(Credentials::new("local", "local", None, None, "local")),
        _ => {
            tracing::error!("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set");
            None
        }
    }
}

/// The Amazon Trust Services roots that DynamoDB's certificates chain to.
const AMAZON_ROOTS: &str = include_str!("../../certs/amazon-trust-services.pem");

/// The bundled roots did not load: the function must not start.
#[derive(Debug, thiserror::Error)]
#[error("the bundled Amazon root certificates do not load: {0}")]
pub(crate) struct RootsError(String);

/// The roots in `pem`, checked exactly as the HTTP client will load them
/// (`CertificateDer::pem_slice_iter`, then `RootCertStore::add`), which it
/// does only at the first request, and with a panic on a bad one. So a
/// broken bundle stops the function at init, where Lambda reports it; and
/// nothing falls back to the system's roots.
fn amazon_roots(pem: &[u8]) -> Result<usize, RootsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| RootsError(format!("PEM: {e:?}")))?;
    let mut store = rustls::RootCertStore::empty();
    for cert in certs {
        store
            .add(cert)
            .map_err(|e| RootsError(format!("certificate: {e}")))?;
    }
    match store.len() {
        0 => Err(RootsError("no certificate in the bundle".into())),
        n => Ok(n),
    }
}

/// HTTPS with rustls and ring, trusting only the Amazon Trust Services roots,
/// so a cold start neither reads and parses the ~140 system certificates
/// (about 4 ms, most of this service's init) nor starts aws-lc.
/// `DYNAMODB_TRUST_SYSTEM_ROOTS=1` trusts the system's roots instead, for an
/// endpoint behind another CA.
pub(crate) fn http_client() -> Result<aws_sdk_dynamodb::config::SharedHttpClient, RootsError> {
    https(AMAZON_ROOTS.as_bytes())
}

fn https(pem: &[u8]) -> Result<aws_sdk_dynamodb::config::SharedHttpClient, RootsError> {
    use aws_smithy_http_client::{tls, Builder};
    let trust = if std::env::var("DYNAMODB_TRUST_SYSTEM_ROOTS").is_ok_and(|v| v == "1") {
        tls::TrustStore::default()
    } else {
        amazon_roots(pem)?;
        tls::TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(pem)
    };
    // Building the context only stores the trust store; it cannot fail.
    let context = tls::TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| RootsError(e.to_string()))?;
    Ok(Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .tls_context(context)
        .build_https())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_roots_load() {
        assert_eq!(amazon_roots(AMAZON_ROOTS.as_bytes()).unwrap(), 5);
    }

    #[test]
    fn broken_roots_stop_the_start() {
        let truncated = &AMAZON_ROOTS[..AMAZON_ROOTS.len() / 3];
        let garbled = AMAZON_ROOTS.replacen("MII", "M!I", 1);
        let not_a_cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        for pem in ["", "garbage", truncated, &garbled, not_a_cert] {
            assert!(amazon_roots(pem.as_bytes()).is_err(), "{pem:.40}");
            assert!(https(pem.as_bytes()).is_err(), "{pem:.40}");
        }
    }
}
