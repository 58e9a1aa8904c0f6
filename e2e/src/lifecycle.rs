//! The account lifecycle in the browser: confirming the address and
//! resetting a forgotten password through the links the mailer wrote to
//! the outbox, changing the password while another browser is signed in,
//! deleting the account.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::flows::registered_and_signed_in_elsewhere;
use super::{base, Browser, Ctx, Result, PASSWORD};

/// The outbox `scripts/serve` writes mail into (set in `run`).
pub(crate) static OUTBOX: OnceLock<PathBuf> = OnceLock::new();

/// Quoted-printable, as lettre writes the text part: soft line breaks and
/// `=XX` escapes undone.
fn unquote(qp: &str) -> String {
    let joined = qp.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if let Ok(b) = u8::from_str_radix(joined.get(i + 1..i + 3).unwrap_or(""), 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

/// The link to `path` in the newest outbox message to `to`, waiting up to
/// 5 s for it (the contract's bound), as a site path.
async fn mailed_link(to: &str, path: &str) -> Result<String> {
    let dir = OUTBOX.get().ok_or("no outbox")?;
    let wanted = format!("{}{path}?token=", base());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|f| f.extension().is_some_and(|e| e == "eml"));
        files.sort();
        for f in files.iter().rev() {
            let text = unquote(&std::fs::read_to_string(f).unwrap_or_default());
            if !text.contains(&format!("<{to}>")) {
                continue;
            }
            if let Some(at) = text.find(&wanted) {
                let url: String = text[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                return Ok(url[base().len()..].to_string());
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no {path} link for {to} in {} within 5 s",
                dir.display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn forgot_reset_then_log_in(cx: &Ctx) -> Result {
    let user = cx.user("Forgetful");
    let email = format!("{user}@example.com").to_lowercase();
    let b = Browser::open(&cx.profile(), 1280, 900).await?;
    let r = async {
        b.register(&user, &email, PASSWORD).await?;
        b.expect_text("Registration successful").await?;
        // The welcome link confirms the address.
        b.goto(&mailed_link(&email, "/email/verify").await?).await?;
        b.expect_text("Your email address is confirmed.").await?;
        b.expect_text("(confirmed)").await?;
        b.logout().await?;
        b.goto("/login").await?;
        b.click("a[href='/password/forgot']").await?;
        b.expect_text("Forgot your password?").await?;
        b.accessible(&cx.axe).await?;
        b.shoot("forgot").await?;
        b.fill("#email", &email).await?;
        b.click("main form button[type=submit]").await?;
        b.expect_text("If that address belongs to an account")
            .await?;
        b.goto(&mailed_link(&email, "/password/reset").await?)
            .await?;
        b.expect_text("Choose a new password").await?;
        if b.path().await? != "/password/reset" {
            return Err(format!("the token stayed in the URL: {}", b.path().await?));
        }
        b.accessible(&cx.axe).await?;
        b.shoot("reset").await?;
        b.fill("#new_password", "e2e-reset-password-that-is-new-8")
            .await?;
        b.click("main form button[type=submit]").await?;
        b.expect_text("Your password has been reset. Please log in.")
            .await?;
        b.login(&user, "e2e-reset-password-that-is-new-8", false)
            .await?;
        b.expect_text(&format!("Welcome back, {user}!")).await
    }
    .await;
    b.close().await?;
    r
}

pub(crate) async fn change_password_signs_out_the_other_browser(cx: &Ctx) -> Result {
    let user = cx.user("Changer");
    let a = Browser::open(&cx.profile(), 1280, 900).await?;
    let other = Browser::open(&cx.profile(), 1280, 900).await?;
    let r = async {
        registered_and_signed_in_elsewhere(&a, &other, &user).await?;
        a.goto("/account").await?;
        a.click("a[href='/account/password']").await?;
        a.expect_text("Change your password").await?;
        a.accessible(&cx.axe).await?;
        a.shoot("password").await?;
        a.fill("#current_password", "not-the-password-9").await?;
        a.fill("#new_password", "e2e-changed-password-that-is-new-9")
            .await?;
        a.click("main form button[type=submit]").await?;
        a.expect_text("Incorrect password.").await?;
        a.accessible(&cx.axe).await?;
        a.shoot("password-error").await?;
        a.fill("#current_password", PASSWORD).await?;
        a.fill("#new_password", "e2e-changed-password-that-is-new-9")
            .await?;
        a.click("main form button[type=submit]").await?;
        a.expect_text("Your password has been changed.").await?;
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

pub(crate) async fn delete_the_account(cx: &Ctx) -> Result {
    let user = cx.user("Leaver");
    let b = Browser::open(&cx.profile(), 1280, 900).await?;
    let r = async {
        b.register(&user, &format!("{user}@example.com"), PASSWORD)
            .await?;
        b.expect_text("Registration successful").await?;
        b.expect_text(&format!("Hello, {user}")).await?;
        b.goto("/account").await?;
        b.click("a[href='/account/delete']").await?;
        b.expect_text("Delete your account").await?;
        b.accessible(&cx.axe).await?;
        b.shoot("delete").await?;
        b.fill("#password", PASSWORD).await?;
        b.click("main form button[type=submit]").await?;
        b.expect_text("Your account has been deleted.").await?;
        b.lacks_text("Hello,").await?;
        b.login(&user, PASSWORD, false).await?;
        b.expect_text("Incorrect username or password.").await
    }
    .await;
    b.close().await?;
    r
}
