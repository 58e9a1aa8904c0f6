//! Where a built message goes: SES v2 (`SendEmail` with the raw bytes) on
//! AWS, or, with `MAIL_OUTBOX` set, one `.eml` file in that folder (the
//! local site: nothing leaves the machine).
//!
//! One SES attempt per message: the SDK's own retries could send a message
//! twice (a timed-out call that SES had accepted), and Lambda retries the
//! record anyway. A failure is either permanent for this message (SES
//! refused it, or the sending identity or account cannot send: retrying
//! within the record's hour would not help) or temporary (throttling, a
//! fault, a timeout: the record is retried).

use std::path::PathBuf;

use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};

use crate::config::Config;
use crate::crypto::random_b64;
use crate::store;

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendError {
    /// Sending it again would fail the same way: logged and dropped.
    Permanent(String),
    /// Worth another try later (Lambda retries the record).
    Temporary(String),
}

pub(crate) enum Sender {
    Ses {
        client: aws_sdk_sesv2::Client,
        from: String,
    },
    Outbox(PathBuf),
}

impl Sender {
    pub(crate) fn new(config: &Config) -> Result<Sender, store::RootsError> {
        if let Some(dir) = &config.mail.outbox {
            return Ok(Sender::Outbox(dir.clone()));
        }
        Ok(Sender::Ses {
            client: ses_client(config)?,
            from: config.mail.from.clone(),
        })
    }

    /// Sends (or files) one message, in one attempt.
    pub(crate) async fn send(&self, to: &str, kind: &str, bytes: Vec<u8>) -> Result<(), SendError> {
        match self {
            Sender::Ses { client, from } => {
                let raw = RawMessage::builder()
                    .data(Blob::new(bytes))
                    .build()
                    .map_err(|e| SendError::Permanent(e.to_string()))?;
                client
                    .send_email()
                    .from_email_address(from)
                    .destination(Destination::builder().to_addresses(to).build())
                    .content(EmailContent::builder().raw(raw).build())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(classify)
            }
            Sender::Outbox(dir) => write_eml(dir, kind, &bytes).map_err(SendError::Temporary),
        }
    }
}

/// Which SES failures are permanent for the message. SES refused it
/// (`MessageRejected`, `BadRequest`: its content or address), or the
/// sender cannot send at all (`MailFromDomainNotVerified`, `NotFound`,
/// `AccountSuspended`, `SendingPaused`): these need a person, not a retry.
/// Throttling, quotas, faults and timeouts are temporary.
fn classify(e: aws_sdk_sesv2::error::SdkError<SendEmailError>) -> SendError {
    let text = aws_sdk_sesv2::error::DisplayErrorContext(&e).to_string();
    let permanent = e.as_service_error().is_some_and(|s| {
        matches!(
            s,
            SendEmailError::MessageRejected(_)
                | SendEmailError::BadRequestException(_)
                | SendEmailError::MailFromDomainNotVerifiedException(_)
                | SendEmailError::NotFoundException(_)
                | SendEmailError::AccountSuspendedException(_)
                | SendEmailError::SendingPausedException(_)
        )
    });
    if permanent {
        SendError::Permanent(text)
    } else {
        SendError::Temporary(text)
    }
}

/// The SES client, from the same parts as the DynamoDB client (region and
/// credentials from Lambda's environment, rustls on ring trusting the
/// Amazon roots, the same timeouts), but one attempt per call.
fn ses_client(config: &Config) -> Result<aws_sdk_sesv2::Client, store::RootsError> {
    use aws_sdk_sesv2::config::{BehaviorVersion, Region};
    let endpoint = config.mail.ses_endpoint.as_deref();
    let mut b = aws_sdk_sesv2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .http_client(store::http_client()?)
        .retry_config(aws_sdk_sesv2::config::retry::RetryConfig::standard().with_max_attempts(1))
        .timeout_config(store::timeouts());
    if let Some(e) = endpoint {
        b = b.endpoint_url(e);
    }
    if let Some(c) = store::credentials(endpoint.is_some()) {
        b = b.credentials_provider(c);
    }
    Ok(aws_sdk_sesv2::Client::from_conf(b.build()))
}

/// Writes the message whole (a temporary name, then a rename), so a reader
/// never sees half a file.
fn write_eml(dir: &std::path::Path, kind: &str, bytes: &[u8]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let name = format!("{millis}-{kind}-{}.eml", random_b64(6));
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join(&name)).map_err(|e| format!("{name}: {e}"))
}
