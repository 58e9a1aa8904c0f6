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

mod browser;
mod flows;
mod lifecycle;
mod passkeys;
mod sweep;
mod two_factor;
use browser::Browser;
use flows::{
    account_asks_to_log_in_then_returns, register_greet_account_logout,
    remembered_login_survives_a_restart, sign_out_another_device,
    wrong_password_is_explained_and_keeps_the_username,
};
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

/// The site's address: the name, as `scripts/serve` prints it and builds
/// mail links from (browsers refuse passkeys on an IP address).
fn base() -> String {
    format!("http://localhost:{SITE_PORT}")
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

/// Whether a plain HTTP GET of `path` on localhost:`port` answers 2xx or 3xx
/// (every address the name has, in turn, as a browser tries them).
async fn http_ok(port: u16, path: &str) -> bool {
    let Ok(mut s) = tokio::net::TcpStream::connect(("localhost", port)).await else {
        return false;
    };
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n");
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
    let mut site = start_site(&work, &serve_log)?;
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
        Ok::<bool, String>(run_flows(&cx).await)
    }
    .await;

    stop_group(&mut driver, "-TERM").await;
    stop_group(&mut site, "-TERM").await;
    move_screenshots();
    let _ = std::fs::remove_dir_all(&work);
    outcome
}

/// `scripts/serve` as the README runs it, on this run's ports and files.
fn start_site(work: &Path, serve_log: &Path) -> Result<Child> {
    let log = std::fs::File::create(serve_log).map_err(err)?;
    spawn_group(
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
    .map_err(err)
}

/// Every flow, each reported on its own line; whether all passed.
async fn run_flows(cx: &Ctx) -> bool {
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
        register_greet_account_logout(cx)
    );
    flow!(
        "remembered login survives a browser restart",
        remembered_login_survives_a_restart(cx, true)
    );
    flow!(
        "unremembered login ends with the browser",
        remembered_login_survives_a_restart(cx, false)
    );
    flow!(
        "/account asks to log in, then returns there",
        account_asks_to_log_in_then_returns(cx)
    );
    flow!(
        "wrong password is explained, username kept",
        wrong_password_is_explained_and_keeps_the_username(cx)
    );
    flow!("sign out everywhere else", sign_out_another_device(cx));
    flow!(
        "confirm, forget the password, reset it from the outbox, log in",
        forgot_reset_then_log_in(cx)
    );
    flow!(
        "change the password: the other browser is signed out",
        change_password_signs_out_the_other_browser(cx)
    );
    flow!("delete the account", delete_the_account(cx));
    flow!(
        "two-factor: on, recovery code, trusted browser, forgotten, code, off",
        two_factor::two_factor_sign_in(cx)
    );
    flow!(
        "passkeys: add, button, autofill, no user verification, removed",
        passkeys::passkeys(cx)
    );
    // Last: it visits what the flows above did not.
    flow!(
        "every page of the route table, checked with axe and at 375 px",
        sweep::every_page_in_the_route_table(cx)
    );
    println!("e2e: {passed} passed, {failed} failed");
    failed == 0
}

/// Now that the site is stopped, the screenshots go where they belong.
fn move_screenshots() {
    let shots = shots_tmp();
    let Ok(entries) = std::fs::read_dir(&shots) else {
        return;
    };
    let dest = shots_dir();
    let _ = std::fs::create_dir_all(&dest);
    for e in entries.flatten() {
        let _ = std::fs::copy(e.path(), dest.join(e.file_name()));
    }
    let _ = std::fs::remove_dir_all(&shots);
    println!("e2e: screenshots in {}", dest.display());
}
