//! Just enough HTTP/1.1 for the soak's browsers: one request per
//! connection (`Connection: close`), a cookie jar, the status, the
//! `Location`, and the body (plain or chunked).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response as the soak needs it.
#[derive(Debug, Default)]
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Reply {
    /// The value of the first `<input>` named `name`.
    pub fn input(&self, name: &str) -> Option<String> {
        let wanted = format!("name=\"{name}\"");
        self.body.split("<input").skip(1).find_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            if !tag.contains(&wanted) {
                return None;
            }
            let start = tag.find(" value=\"")? + " value=\"".len();
            let end = tag[start..].find('"')? + start;
            Some(tag[start..end].to_string())
        })
    }
}

/// A browser: where the site is, and its cookies.
#[derive(Debug, Clone)]
pub struct Browser {
    pub addr: String,
    pub cookies: Vec<(String, String)>,
}

/// `application/x-www-form-urlencoded` for `fields`.
pub fn form(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Browser {
    pub fn new(addr: &str) -> Self {
        Browser {
            addr: addr.to_string(),
            cookies: Vec::new(),
        }
    }

    pub fn signed_in(&self) -> bool {
        self.cookies.iter().any(|(n, _)| n == "session")
    }

    /// Sends a request; `Err` for a transport failure (no HTTP answer).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<Reply, String> {
        let exchange = self.exchange(method, path, body);
        match tokio::time::timeout(Duration::from_secs(60), exchange).await {
            Ok(r) => r,
            Err(_) => Err("no answer within 60 s".into()),
        }
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<Reply, String> {
        let mut stream = TcpStream::connect(&self.addr)
            .await
            .map_err(|e| e.to_string())?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: soak\r\n",
            self.addr
        );
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            head.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        let body = body.unwrap_or("");
        if method == "POST" {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        head.push_str(body);
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .await
            .map_err(|e| e.to_string())?;
        self.parse(&raw)
    }

    fn parse(&mut self, raw: &[u8]) -> Result<Reply, String> {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no end of headers")?;
        let head = String::from_utf8_lossy(&raw[..split]);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or("no status")?;
        let mut reply = Reply {
            status,
            ..Reply::default()
        };
        let mut chunked = false;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "location" => reply.location = Some(value.to_string()),
                "set-cookie" => self.keep(value),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                _ => {}
            }
        }
        let body = &raw[split + 4..];
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_vec()
        };
        reply.body = String::from_utf8_lossy(&body).into_owned();
        Ok(reply)
    }

    /// Keeps (or drops) a cookie as a browser would.
    fn keep(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let expired = parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
        self.cookies.retain(|(n, _)| n != name.trim());
        if !expired && !value.is_empty() {
            self.cookies
                .push((name.trim().to_string(), value.to_string()));
        }
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || body.len() < end + 2 + size {
            break;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[(end + 4 + size).min(body.len())..];
    }
    out
}
