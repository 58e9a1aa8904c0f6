//! End-to-end tests in a real headless Chromium, driven through ChromeDriver
//! (fantoccini), against the local site started exactly as the README's
//! first command starts it (`scripts/serve`), from the moment it says "site
//! at": nothing here warms it up first, and the first page must load at once.
//! Runs axe-core on each page (no serious or critical violations allowed)
//! and saves a screenshot of each page at desktop and phone width into
//! `target/e2e-screenshots/` (under `CARGO_TARGET_DIR` when set), or into
//! `docs/screenshots/` with `--refresh-docs` (or `E2E_REFRESH_DOCS=1`).
//!
//! The browser and its driver: `CHROME` and `CHROMEDRIVER` when set, else
//! what `scripts/browser` finds.
//!
//! Prints one line per flow and `e2e: N passed, N failed`; exits non-zero on
//! any failure.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

mod lifecycle;
use lifecycle::{
    change_password_signs_out_the_other_browser, delete_the_account, forgot_reset_then_log_in,
    OUTBOX,
};

type Result<T = ()> = std::result::Result<T, String>;

const SITE_PORT: u16 = 9320;
const DYNAMODB_PORT: u16 = 8320;
const DRIVER_PORT: u16 = 9515;
const PASSWORD: &str = "e2e-password-that-is-long-7";
/// How long the first page may take once `scripts/serve` says "site at".
const FIRST_PAGE_SECS: u64 = 5;
/// How long `scripts/serve` may take to say "site at" (a fresh clone
/// compiles the AWS SDK first).
const SERVE_SECS: u64 = 1800;

/// The browser binary, set once in `run`.
static CHROME: OnceLock<String> = OnceLock::new();

/// The checkout being tested. At run time (`cargo run` sets
/// CARGO_MANIFEST_DIR), not with `env!`: a binary that another clone built
/// into a shared target/ would otherwise test that clone, or fail to find
/// its files.
fn root() -> PathBuf {
    let manifest =
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    Path::new(&manifest)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn base() -> String {
    format!("http://127.0.0.1:{SITE_PORT}")
}

/// Where screenshots wait while the site runs.
fn shots_tmp() -> PathBuf {
    std::env::temp_dir().join(format!("login-e2e-shots-{}", std::process::id()))
}

/// Where screenshots go once the site has stopped: `docs/screenshots/` when
/// asked to refresh them, else `target/e2e-screenshots/`, so that a test run
/// leaves the work tree as it found it.
fn shots_dir() -> PathBuf {
    let refresh = std::env::args().any(|a| a == "--refresh-docs")
        || std::env::var("E2E_REFRESH_DOCS").is_ok_and(|v| v == "1");
    if refresh {
        return root().join("docs/screenshots");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    root().join(target).join("e2e-screenshots")
}

/// `CHROME` and `CHROMEDRIVER` from the environment, else from
/// `scripts/browser` (which looks for an installed pair; it installs
/// nothing unless asked, and says what to install when it finds none).
async fn browser_paths() -> Result<(String, String)> {
    if let (Ok(chrome), Ok(driver)) = (std::env::var("CHROME"), std::env::var("CHROMEDRIVER")) {
        return Ok((chrome, driver));
    }
    let out = Command::new(root().join("scripts/browser"))
        .stderr(Stdio::inherit())
        .output()
        .await
        .map_err(|e| format!("scripts/browser: {e}"))?;
    if !out.status.success() {
        return Err("no browser (scripts/browser said why above)".into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::to_string)
            .ok_or_else(|| format!("scripts/browser printed no {key}"))
    };
    Ok((get("CHROME=")?, get("CHROMEDRIVER=")?))
}

/// Waits until `log` says "site at", while `site` runs.
async fn wait_for_site(site: &mut Child, log: &Path) -> Result {
    let deadline = Instant::now() + Duration::from_secs(SERVE_SECS);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains("serve: site at") {
            return Ok(());
        }
        if let Ok(Some(status)) = site.try_wait() {
            return Err(format!("scripts/serve exited ({status}):\n{text}"));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "scripts/serve did not say \"site at\" within {SERVE_SECS} s:\n{text}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Whether a plain HTTP GET of `path` on 127.0.0.1:`port` answers 2xx or 3xx.
async fn http_ok(port: u16, path: &str) -> bool {
    let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).await.is_err() {
        return false;
    }
    // Only the status line matters; some servers keep the connection open.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 256];
    let read_status = async {
        while buf.len() < 12 {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), read_status).await;
    // A page or a redirect: the server is up and the function answered.
    [b"HTTP/1.1 2", b"HTTP/1.1 3", b"HTTP/1.0 2", b"HTTP/1.0 3"]
        .iter()
        .any(|p| buf.starts_with(*p))
}

async fn wait_for_port(port: u16, path: &str, secs: u64) -> Result {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if http_ok(port, path).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!("nothing answered on port {port} within {secs} s"))
}

/// Starts `cmd` in its own process group so that the whole tree can be stopped.
fn spawn_group(cmd: &mut Command) -> std::io::Result<Child> {
    cmd.process_group(0).kill_on_drop(true).spawn()
}

async fn stop_group(child: &mut Child, signal: &str) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{pid}")])
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_err()
        {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status()
                .await;
            let _ = child.wait().await;
        }
    }
}

/// A browser with its own profile directory, which survives `close` so that
/// a restart can reuse it.
struct Browser {
    client: Client,
}

impl Browser {
    async fn open(profile: &Path, width: u32, height: u32) -> Result<Browser> {
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--disable-quic".into(),
            "--password-store=basic".into(),
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={width},{height}"),
        ];
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROME.get().map(String::as_str).unwrap_or_default(),
                "args": args
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{DRIVER_PORT}"))
            .await
            .map_err(err)?;
        Ok(Browser { client })
    }

    async fn close(self) -> Result {
        self.client.close().await.map_err(err)
    }

    async fn goto(&self, path: &str) -> Result {
        self.client
            .goto(&format!("{}{path}", base()))
            .await
            .map_err(err)
    }

    async fn path(&self) -> Result<String> {
        let url = self.client.current_url().await.map_err(err)?;
        let mut p = url.path().to_string();
        if let Some(q) = url.query() {
            p.push('?');
            p.push_str(q);
        }
        Ok(p)
    }

    async fn text(&self) -> Result<String> {
        self.client
            .find(Locator::Css("body"))
            .await
            .map_err(err)?
            .text()
            .await
            .map_err(err)
    }

    /// Waits until the page's text contains `needle`.
    async fn expect_text(&self, needle: &str) -> Result {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text().await.unwrap_or_default();
            if text.contains(needle) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "page {} never showed {needle:?}; it shows: {}",
                    self.path().await?,
                    text.chars().take(400).collect::<String>()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn lacks_text(&self, needle: &str) -> Result {
        let text = self.text().await?;
        if text.contains(needle) {
            return Err(format!("page {} shows {needle:?}", self.path().await?));
        }
        Ok(())
    }

    async fn fill(&self, css: &str, value: &str) -> Result {
        let el = self.client.find(Locator::Css(css)).await.map_err(err)?;
        el.clear().await.map_err(err)?;
        el.send_keys(value).await.map_err(err)
    }

    async fn click(&self, css: &str) -> Result {
        self.client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("{css}: {e}"))?
            .click()
            .await
            .map_err(err)
    }

    async fn register(&self, username: &str, email: &str, password: &str) -> Result {
        self.goto("/register").await?;
        self.fill("#username", username).await?;
        self.fill("#email", email).await?;
        self.fill("#password", password).await?;
        self.click("main form button[type=submit]").await
    }

    async fn login(&self, username: &str, password: &str, remember: bool) -> Result {
        if !self.path().await?.starts_with("/login") {
            self.goto("/login").await?;
        }
        self.fill("#username", username).await?;
        self.fill("#password", password).await?;
        if remember {
            self.click("#remember").await?;
        }
        self.click("main form button[type=submit]").await
    }

    async fn logout(&self) -> Result {
        self.goto("/").await?;
        self.click("main form[action='/logout'] button").await?;
        self.expect_text("Logged out successfully.").await?;
        if self.path().await? != "/" {
            return Err(format!("logged out, but landed on {}", self.path().await?));
        }
        // Clear-Site-Data has removed every cookie of the site.
        let left = self.client.get_all_cookies().await.map_err(err)?;
        if !left.is_empty() {
            let names: Vec<_> = left.iter().map(|c| c.name().to_string()).collect();
            return Err(format!("cookies left after logout: {names:?}"));
        }
        Ok(())
    }

    /// Runs axe-core on the page; serious and critical violations fail.
    async fn accessible(&self, axe: &str) -> Result {
        self.client
            .execute(&format!("{axe}\nreturn true;"), vec![])
            .await
            .map_err(err)?;
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' +
                          v.nodes.map(n => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await
            .map_err(err)?;
        let list = found.as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            Ok(())
        } else {
            Err(format!("axe on {}: {list:?}", self.path().await?))
        }
    }

    /// The page's `[scrollWidth, innerWidth]` once the layout has taken the
    /// new window width `w` (the viewport within the window's frame):
    /// polled, with a deadline, rather than waited for.
    async fn viewport_at(&self, w: u64) -> Result<(u64, u64)> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let viewport = self
                .client
                .execute(
                    "return [document.documentElement.scrollWidth, window.innerWidth];",
                    vec![],
                )
                .await
                .map_err(err)?;
            let (scroll, inner) = (
                viewport[0].as_u64().unwrap_or(0),
                viewport[1].as_u64().unwrap_or(0),
            );
            if inner > 0 && inner <= w && inner + 100 >= w {
                return Ok((scroll, inner));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the viewport is {inner}px, 5 s after the window became {w}px"
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Saves a screenshot at desktop and phone width and checks that the
    /// phone layout does not scroll sideways.
    async fn shoot(&self, name: &str) -> Result {
        // Written outside the work tree while the site runs: `cargo lambda
        // watch` restarts the functions when files in the tree change.
        let dir = shots_tmp();
        std::fs::create_dir_all(&dir).map_err(err)?;
        for (label, w, h) in [("desktop", 1280u32, 900u32), ("phone", 375, 812)] {
            self.client.set_window_size(w, h).await.map_err(err)?;
            let (scroll, inner) = self.viewport_at(u64::from(w)).await?;
            if label == "phone" && scroll > inner {
                return Err(format!(
                    "{name}: {scroll}px wide at a {inner}px viewport (horizontal scroll)"
                ));
            }
            let png = self.client.screenshot().await.map_err(err)?;
            std::fs::write(dir.join(format!("{name}-{label}.png")), png).map_err(err)?;
        }
        self.client.set_window_size(1280, 900).await.map_err(err)
    }
}

struct Ctx {
    axe: String,
    profiles: PathBuf,
    n: std::sync::atomic::AtomicU32,
}

impl Ctx {
    fn profile(&self) -> PathBuf {
        let n = self.n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.profiles.join(format!("profile-{n}"))
    }
    fn user(&self, prefix: &str) -> String {
        format!(
            "{prefix}{}",
            self.n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        )
    }
}

// ------------------------------------------------------------------ flows

async fn register_greet_account_logout(cx: &Ctx) -> Result {
    let b = Browser::open(&cx.profile(), 1280, 900).await?;
    let r = async {
        b.goto("/").await?;
        b.accessible(&cx.axe).await?;
        b.shoot("home-anonymous").await?;
        b.goto("/register").await?;
        b.accessible(&cx.axe).await?;
        b.shoot("register").await?;
        let user = cx.user("Reader");
        b.register(&user, &format!("{user}@example.com"), PASSWORD)
            .await?;
        b.expect_text(&format!("Registration successful, welcome {user}!"))
            .await?;
        b.expect_text(&format!("Hello, {user}")).await?;
        if b.path().await? != "/" {
            return Err(format!("registered, but landed on {}", b.path().await?));
        }
        b.accessible(&cx.axe).await?;
        b.shoot("home-signed-in").await?;
        b.click("main a[href='/account']").await?;
        b.expect_text("Member since").await?;
        b.expect_text(&format!("{user}@example.com")).await?;
        b.expect_text("This browser").await?;
        b.accessible(&cx.axe).await?;
        b.shoot("account").await?;
        b.goto("/logout").await?;
        b.accessible(&cx.axe).await?;
        b.shoot("logout").await?;
        b.logout().await?;
        b.lacks_text("Hello,").await?;
        b.goto("/account").await?;
        b.expect_text("Please log in first.").await
    }
    .await;
    b.close().await?;
    r
}

async fn remembered_login_survives_a_restart(cx: &Ctx, remember: bool) -> Result {
    let profile = cx.profile();
    let user = cx.user("Keeper");
    let b = Browser::open(&profile, 1280, 900).await?;
    let r = async {
        b.register(&user, &format!("{user}@example.com"), PASSWORD)
            .await?;
        b.expect_text("Registration successful").await?;
        b.logout().await?;
        b.login(&user.to_uppercase(), PASSWORD, remember).await?;
        b.expect_text(&format!("Welcome back, {user}!")).await?;
        // Signed in before the restart, remembered or not.
        b.expect_text(&format!("Hello, {user}")).await
    }
    .await;
    b.close().await?;
    r?;
    // A new browser process on the same profile: persistent cookies survive,
    // session cookies do not.
    let b = Browser::open(&profile, 1280, 900).await?;
    let r = async {
        b.goto("/").await?;
        if remember {
            b.expect_text(&format!("Hello, {user}")).await
        } else {
            b.lacks_text("Hello,").await
        }
    }
    .await;
    b.close().await?;
    r
}

async fn account_asks_to_log_in_then_returns(cx: &Ctx) -> Result {
    let user = cx.user("Returner");
    let setup = Browser::open(&cx.profile(), 1280, 900).await?;
    let r = async {
        setup
            .register(&user, &format!("{user}@example.com"), PASSWORD)
            .await?;
        setup.expect_text("Registration successful").await
    }
    .await;
    setup.close().await?;
    r?;
    let b = Browser::open(&cx.profile(), 1280, 900).await?;
    let r = async {
        b.goto("/account").await?;
        b.expect_text("Please log in first.").await?;
        if b.path().await? != "/login?next=%2Faccount" {
            return Err(format!("sent to {}", b.path().await?));
        }
        b.accessible(&cx.axe).await?;
        b.shoot("login").await?;
        b.login(&user, PASSWORD, false).await?;
        b.expect_text("Member since").await?;
        match b.path().await?.as_str() {
            "/account" => Ok(()),
            other => Err(format!("after login: {other}")),
        }
    }
    .await;
    b.close().await?;
    r
}

async fn wrong_password_is_explained_and_keeps_the_username(cx: &Ctx) -> Result {
    let user = cx.user("Typo");
    let b = Browser::open(&cx.profile(), 1280, 900).await?;
    let r = async {
        b.register(&user, &format!("{user}@example.com"), PASSWORD)
            .await?;
        b.expect_text("Registration successful").await?;
        b.logout().await?;
        b.login(&user, "not-the-password", false).await?;
        b.expect_text("Incorrect username or password.").await?;
        let kept = b
            .client
            .find(Locator::Css("#username"))
            .await
            .map_err(err)?
            .prop("value")
            .await
            .map_err(err)?;
        if kept.as_deref() != Some(user.as_str()) {
            return Err(format!("username not kept: {kept:?}"));
        }
        let pw = b
            .client
            .find(Locator::Css("#password"))
            .await
            .map_err(err)?
            .prop("value")
            .await
            .map_err(err)?;
        if pw.as_deref().is_some_and(|p| !p.is_empty()) {
            return Err("the password was echoed back".into());
        }
        b.accessible(&cx.axe).await?;
        b.shoot("login-error").await?;
        // The register form explains its refusals too.
        b.register(&user, &format!("other-{user}@example.com"), PASSWORD)
            .await?;
        b.expect_text("Username already taken.").await?;
        b.accessible(&cx.axe).await?;
        b.shoot("register-error").await
    }
    .await;
    b.close().await?;
    r
}

async fn sign_out_another_device(cx: &Ctx) -> Result {
    let user = cx.user("Devices");
    let a = Browser::open(&cx.profile(), 1280, 900).await?;
    let other = Browser::open(&cx.profile(), 1280, 900).await?;
    let r = async {
        a.register(&user, &format!("{user}@example.com"), PASSWORD)
            .await?;
        a.expect_text("Registration successful").await?;
        other.login(&user, PASSWORD, true).await?;
        other.expect_text(&format!("Hello, {user}")).await?;
        a.goto("/account").await?;
        a.click("main form[action='/account/sessions/revoke-others'] button")
            .await?;
        a.expect_text("Signed out of all other sessions.").await?;
        other.goto("/").await?;
        other.lacks_text("Hello,").await?;
        a.goto("/").await?;
        a.expect_text(&format!("Hello, {user}")).await
    }
    .await;
    a.close().await?;
    other.close().await?;
    r
}

// ------------------------------------------------------------------- main

#[tokio::main]
async fn main() {
    let code = match run().await {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("e2e: set-up failed: {e}");
            println!("e2e: 0 passed, 1 failed");
            1
        }
    };
    std::process::exit(code);
}

async fn run() -> Result<bool> {
    let axe = std::fs::read_to_string(root().join("e2e/node_modules/axe-core/axe.min.js"))
        .map_err(|e| format!("axe-core missing (run `npm ci --prefix e2e`): {e}"))?;
    let (chrome, chromedriver) = browser_paths().await?;
    println!("e2e: browser {chrome}, driver {chromedriver}");
    let _ = CHROME.set(chrome);
    let work = std::env::temp_dir().join(format!("login-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(err)?;

    let _ = OUTBOX.set(work.join("outbox"));
    let serve_log = work.join("serve.log");
    let log = std::fs::File::create(&serve_log).map_err(err)?;
    let mut site = spawn_group(
        Command::new(root().join("scripts/serve"))
            .current_dir(root())
            .env("PORT", SITE_PORT.to_string())
            .env("DYNAMODB_PORT", DYNAMODB_PORT.to_string())
            .env("DYNAMODB_DB", work.join("dynamodb.sqlite"))
            .env("MAIL_OUTBOX", work.join("outbox"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(err)?)
            .stderr(log),
    )
    .map_err(err)?;
    let mut driver = spawn_group(
        Command::new(&chromedriver)
            .arg(format!("--port={DRIVER_PORT}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .map_err(|e| format!("{chromedriver}: {e}"))?;

    let outcome = async {
        // From "site at" on, the site must answer at once: no warming up
        // here, so a first request that hangs fails the run.
        wait_for_site(&mut site, &serve_log).await?;
        let started = Instant::now();
        wait_for_port(SITE_PORT, "/register", FIRST_PAGE_SECS)
            .await
            .map_err(|e| format!("the first page after \"site at\": {e}"))?;
        println!(
            "ok   first page after \"site at\" ({} ms)",
            started.elapsed().as_millis()
        );
        wait_for_port(DRIVER_PORT, "/status", 30).await?;
        let cx = Ctx {
            axe,
            profiles: work.clone(),
            n: Default::default(),
        };
        let mut passed = 0;
        let mut failed = 0;
        macro_rules! flow {
            ($name:literal, $f:expr) => {{
                let started = Instant::now();
                match $f.await {
                    Ok(()) => {
                        passed += 1;
                        println!("ok   {} ({:.1} s)", $name, started.elapsed().as_secs_f64());
                    }
                    Err(e) => {
                        failed += 1;
                        println!("FAIL {}: {e}", $name);
                    }
                }
            }};
        }
        flow!(
            "register, greeted, account, log out",
            register_greet_account_logout(&cx)
        );
        flow!(
            "remembered login survives a browser restart",
            remembered_login_survives_a_restart(&cx, true)
        );
        flow!(
            "unremembered login ends with the browser",
            remembered_login_survives_a_restart(&cx, false)
        );
        flow!(
            "/account asks to log in, then returns there",
            account_asks_to_log_in_then_returns(&cx)
        );
        flow!(
            "wrong password is explained, username kept",
            wrong_password_is_explained_and_keeps_the_username(&cx)
        );
        flow!("sign out everywhere else", sign_out_another_device(&cx));
        flow!(
            "confirm, forget the password, reset it from the outbox, log in",
            forgot_reset_then_log_in(&cx)
        );
        flow!(
            "change the password: the other browser is signed out",
            change_password_signs_out_the_other_browser(&cx)
        );
        flow!("delete the account", delete_the_account(&cx));
        println!("e2e: {passed} passed, {failed} failed");
        Ok::<bool, String>(failed == 0)
    }
    .await;

    stop_group(&mut driver, "-TERM").await;
    stop_group(&mut site, "-TERM").await;
    // Now that the site is stopped, the screenshots go where they belong.
    let shots = shots_tmp();
    if let Ok(entries) = std::fs::read_dir(&shots) {
        let dest = shots_dir();
        let _ = std::fs::create_dir_all(&dest);
        for e in entries.flatten() {
            let _ = std::fs::copy(e.path(), dest.join(e.file_name()));
        }
        let _ = std::fs::remove_dir_all(&shots);
        println!("e2e: screenshots in {}", dest.display());
    }
    let _ = std::fs::remove_dir_all(&work);
    outcome
}
