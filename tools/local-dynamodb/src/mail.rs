//! The local mail path: follows the tokens table's stream (as Lambda's
//! event source mapping does on AWS) and invokes the mailer through
//! `cargo lambda watch`'s Lambda Invoke endpoint with each batch of new
//! records; a record the mailer reports as failed is retried from there
//! (1, 2, 4 s), then written to the dead-letter folder and skipped.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use shared::mail::BatchResponse;
use shared::testing::streams::{deliver, Retry, StreamPoller};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Forwarder {
    pub poller: StreamPoller,
    /// `http://127.0.0.1:PORT/2015-03-31/functions/mailer/invocations`
    pub invoke_url: String,
    pub dead_letters: PathBuf,
}

impl Forwarder {
    /// Polls every 200 ms, forever.
    pub async fn run(mut self) {
        let retry = Retry {
            retries: 3,
            backoff: Duration::from_secs(1),
        };
        loop {
            match self.poller.poll() {
                Ok(records) if !records.is_empty() => {
                    let url = self.invoke_url.clone();
                    let dead =
                        deliver(records, 10, retry, |event| invoke(url.clone(), event)).await;
                    for record in dead {
                        self.dead_letter(&record);
                    }
                }
                Ok(_) => {}
                Err(e) => eprintln!("local-dynamodb: reading the tokens stream: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn dead_letter(&self, record: &Value) {
        let seq = record["dynamodb"]["SequenceNumber"]
            .as_str()
            .unwrap_or("unknown");
        let path = self.dead_letters.join(format!("{seq}.json"));
        let written = std::fs::create_dir_all(&self.dead_letters)
            .and_then(|()| std::fs::write(&path, record.to_string()));
        match written {
            Ok(()) => eprintln!(
                "local-dynamodb: mail given up after retries: {}",
                path.display()
            ),
            Err(e) => eprintln!("local-dynamodb: dead letter {}: {e}", path.display()),
        }
    }
}

/// One Lambda Invoke call (HTTP/1.1, `Connection: close`).
async fn invoke(url: String, event: Value) -> Result<BatchResponse, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("the invoke URL is not http://")?;
    let (host, path) = rest.split_once('/').ok_or("no path in the invoke URL")?;
    let body = event.to_string();
    let mut s = tokio::net::TcpStream::connect(host)
        .await
        .map_err(|e| format!("{host}: {e}"))?;
    let head = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    s.write_all(body.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut raw))
        .await
        .map_err(|_| "the mailer did not answer within 60 s".to_string())?
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no HTTP response")?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(head.lines().next().unwrap_or_default().to_string());
    }
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        unchunk(body)
    } else {
        body.to_string()
    };
    serde_json::from_str(&body).map_err(|e| format!("the mailer's answer: {e}: {body}"))
}

/// A chunked HTTP body's data.
fn unchunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}
