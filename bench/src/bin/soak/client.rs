//! One soak client: a person who registers, browses, logs out, mistypes
//! a password, logs in again, and now and then starts a new account; plus
//! an "anchor" browser that stays signed in for the whole run. Every
//! request is logged; an answer that is not what a person expects is a
//! surprise (503s are judged against the outage later).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::http::{form, Browser, Reply};

/// One request as the soak saw it.
#[derive(Debug, Clone)]
pub struct Record {
    /// Unix time the request started, ms.
    pub at_ms: u64,
    pub latency_ms: f64,
    pub route: &'static str,
    /// 0: no HTTP answer at all.
    pub status: u16,
    /// The answer was one of the expected ones (503s aside).
    pub expected: bool,
    /// A 503 that is the app's page saying to try again.
    pub rendered_503: bool,
}

pub type Log = Arc<Mutex<Vec<Record>>>;

/// What a client leaves for the final checks.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Accounts its registrations created (a 303).
    pub created: Vec<String>,
    /// Its browsers still signed in, with the name each should greet.
    pub signed_in: Vec<(Browser, String)>,
    pub surprises: Vec<String>,
}

pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub struct Client {
    id: usize,
    b: Browser,
    log: Log,
    seed: u64,
    name: Option<String>,
    /// A registration form whose POST got no clear answer: sent again.
    pending: Option<String>,
    /// Signed in or out is not known (a state-changing POST got a 503).
    unsure: bool,
    logins: u32,
    out: Outcome,
}

pub const PASSWORD: &str = "soak-password-2026";

impl Client {
    pub fn new(id: usize, addr: &str, log: Log) -> Self {
        Client {
            id,
            b: Browser::new(addr),
            log,
            seed: (unix_ms() ^ (id as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1,
            name: None,
            pending: None,
            unsure: false,
            logins: 0,
            out: Outcome::default(),
        }
    }

    fn coin(&mut self, one_in: u64) -> bool {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed.is_multiple_of(one_in)
    }

    /// Sends, logs, and returns the answer when its status is expected.
    async fn hit(
        &mut self,
        route: &'static str,
        path: &str,
        body: Option<String>,
        ok: &[u16],
    ) -> Option<Reply> {
        self.send(route, path, body, ok).await.1
    }

    /// `hit`, with the status whatever it was (0: no HTTP answer).
    async fn send(
        &mut self,
        route: &'static str,
        path: &str,
        body: Option<String>,
        ok: &[u16],
    ) -> (u16, Option<Reply>) {
        let method = if body.is_some() { "POST" } else { "GET" };
        let at_ms = unix_ms();
        let started = Instant::now();
        let reply = self.b.send(method, path, body.as_deref()).await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let status = reply.as_ref().map_or(0, |r| r.status);
        let rendered_503 = reply
            .as_ref()
            .is_ok_and(|r| r.status == 503 && r.body.contains("try again"));
        let expected = ok.contains(&status);
        if !expected && status != 503 {
            let why = match &reply {
                Ok(r) => r
                    .body
                    .lines()
                    .find(|l| l.contains("error") || l.contains("flash"))
                    .unwrap_or("")
                    .trim()
                    .to_string(),
                Err(e) => e.clone(),
            };
            self.out
                .surprises
                .push(format!("client {}: {route} {status} {why}", self.id));
        }
        let record = Record {
            at_ms,
            latency_ms,
            route,
            status,
            expected,
            rendered_503,
        };
        self.log.lock().expect("log").push(record);
        if status == 503 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        (status, reply.ok().filter(|_| expected))
    }

    /// Runs until `deadline`, then says what it left.
    pub async fn run(mut self, deadline: Instant) -> Outcome {
        let mut anchor = Client::new(self.id + 1000, &self.b.addr, self.log.clone());
        while anchor.name.is_none() && Instant::now() < deadline {
            anchor.register().await;
        }
        let mut steps = 0u64;
        while Instant::now() < deadline {
            steps += 1;
            if steps.is_multiple_of(10) {
                anchor.greeted().await;
            }
            match (&self.name, self.b.signed_in() || self.unsure) {
                (None, _) => self.register().await,
                (Some(_), false) => self.login().await,
                (Some(_), true) => self.browse().await,
            }
        }
        let mut out = std::mem::take(&mut self.out);
        if let (Some(name), true, false) = (&self.name, self.b.signed_in(), self.unsure) {
            out.signed_in.push((self.b.clone(), name.clone()));
        }
        if let Some(name) = anchor.name.clone() {
            out.signed_in.push((anchor.b.clone(), name));
        }
        out.created.extend(anchor.out.created);
        out.surprises.extend(anchor.out.surprises);
        out
    }

    async fn register(&mut self) {
        let body = match self.pending.take() {
            Some(body) => body,
            None => {
                let Some(page) = self.hit("GET /register", "/register", None, &[200]).await else {
                    return;
                };
                let name = format!(
                    "soak{}x{}x{}",
                    self.id,
                    unix_ms() % 1_000_000,
                    self.out.created.len()
                );
                let (csrf, rid) = (
                    page.input("csrf_token").unwrap_or_default(),
                    page.input("request_id").unwrap_or_default(),
                );
                let email = format!("{name}@example.com");
                let fields = [
                    ("username", name.as_str()),
                    ("email", &email),
                    ("password", PASSWORD),
                    ("csrf_token", &csrf),
                    ("request_id", &rid),
                ];
                form(&fields)
            }
        };
        let name = body
            .split('&')
            .next()
            .and_then(|p| p.strip_prefix("username="))
            .unwrap_or("")
            .to_string();
        match self
            .send("POST /register", "/register", Some(body.clone()), &[303])
            .await
        {
            (_, Some(_)) => {
                self.out.created.push(name.clone());
                self.name = Some(name);
                self.logins = 0;
                self.unsure = false;
            }
            // "Try again": the same form again, as a person would.
            (503 | 0, None) => self.pending = Some(body),
            _ => {}
        }
    }

    async fn login(&mut self) {
        let Some(name) = self.name.clone() else {
            return;
        };
        let Some(page) = self.hit("GET /login", "/login", None, &[200]).await else {
            return;
        };
        let csrf = page.input("csrf_token").unwrap_or_default();
        if self.coin(2) {
            let wrong = form(&[
                ("username", &name),
                ("password", "not-the-password"),
                ("csrf_token", &csrf),
            ]);
            if self
                .hit("POST /login (wrong)", "/login", Some(wrong), &[401])
                .await
                .is_none()
            {
                return;
            }
        }
        let remember = if self.coin(2) { "on" } else { "" };
        let right = form(&[
            ("username", &name),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
            ("remember", remember),
        ]);
        if self
            .hit("POST /login", "/login", Some(right), &[303])
            .await
            .is_some()
        {
            self.logins += 1;
        }
    }

    /// The home page: greeted by name when signed in. Settles an unsure state.
    async fn greeted(&mut self) -> Option<Reply> {
        let page = self.hit("GET /", "/", None, &[200]).await?;
        let name = self.name.clone().unwrap_or_default();
        let hello = page.body.contains(&format!("Hello, {name}"));
        if self.unsure {
            self.unsure = false;
        } else if self.b.signed_in() && !hello {
            self.out.surprises.push(format!(
                "client {}: signed in as {name}, but / does not say so",
                self.id
            ));
        }
        if !hello {
            self.b.cookies.retain(|(n, _)| n != "session");
        }
        Some(page)
    }

    async fn browse(&mut self) {
        if self.greeted().await.is_none() || !self.b.signed_in() {
            return;
        }
        let Some(page) = self.hit("GET /account", "/account", None, &[200]).await else {
            return;
        };
        if !self.coin(2) {
            return;
        }
        let csrf = page.input("csrf_token").unwrap_or_default();
        let logout = form(&[("csrf_token", &csrf)]);
        if self
            .hit("POST /logout", "/logout", Some(logout), &[303])
            .await
            .is_none()
        {
            self.unsure = true;
            return;
        }
        // After a few logins, a new person: a new account.
        if self.logins >= 3 {
            self.name = None;
        }
    }
}
