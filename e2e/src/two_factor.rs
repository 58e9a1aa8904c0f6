//! Two-factor sign-in in the browser, with an authenticator app played by
//! `totp-rs` (another RFC 6238 implementation than the site's own): the
//! key read off the set-up page as a person would type it, recovery codes
//! saved from the page, a trusted browser, the code step, and turning it
//! off.

use totp_rs::{Algorithm, Secret, TOTP};

use super::*;

/// The app's code for `key` (as the page shows it) `ahead` steps from now.
fn app_code(key: &str, ahead: u64) -> Result<String> {
    let compact: String = key.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = Secret::Encoded(compact)
        .to_bytes()
        .map_err(|e| format!("{e:?}"))?;
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes).map_err(err)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(err)?
        .as_secs();
    Ok(totp.generate(now + ahead * 30))
}

/// Turns it on from `/account/two-factor`; the key and the recovery codes.
async fn turn_on(b: &Browser, cx: &Ctx) -> Result<(String, Vec<String>)> {
    b.goto("/account/two-factor").await?;
    b.expect_text("Scan this code with your authenticator app")
        .await?;
    b.accessible(&cx.axe).await?;
    b.shoot("two-factor-setup").await?;
    let key = b.text_of("#totp-secret").await?;
    b.fill("#code", &app_code(&key, 0)?).await?;
    b.fill("#password", PASSWORD).await?;
    b.click("main form[action='/account/two-factor'] button")
        .await?;
    b.expect_text("Save these recovery codes now.").await?;
    let mut codes = Vec::new();
    for el in b
        .client
        .find_all(Locator::Css(".recovery-code"))
        .await
        .map_err(err)?
    {
        codes.push(el.text().await.map_err(err)?);
    }
    if codes.len() != 10 {
        return Err(format!("{} recovery codes shown", codes.len()));
    }
    b.accessible(&cx.axe).await?;
    b.shoot("two-factor-codes").await?;
    Ok((key, codes))
}

/// From `/login/two-factor`: `field` (`#code` or `#recovery_code`), and
/// the trust box if asked.
async fn second_step(b: &Browser, field: &str, value: &str, trust: bool) -> Result {
    b.expect_text("Enter your code").await?;
    if field == "#recovery_code" {
        // The recovery-code field sits in a <details>, open after an error.
        let open = b
            .client
            .find(Locator::Css("main details"))
            .await
            .map_err(err)?;
        if open.attr("open").await.map_err(err)?.is_none() {
            b.click("main details summary").await?;
        }
    }
    b.fill(field, value).await?;
    if trust {
        b.click("#trust").await?;
    }
    b.click("main form[action='/login/two-factor'] button[type=submit]")
        .await
}

pub(crate) async fn two_factor_sign_in(cx: &Ctx) -> Result {
    let user = cx.user("Careful");
    let b = Browser::open(&cx.profile(), 1280, 900).await?;
    let r = async {
        b.register(&user, &format!("{user}@example.com"), PASSWORD)
            .await?;
        b.expect_text("Registration successful").await?;
        let (key, codes) = turn_on(&b, cx).await?;
        // A recovery code, typed loosely; this browser trusted.
        b.logout().await?;
        b.login(&user, PASSWORD, false).await?;
        b.expect_text("Enter your code").await?;
        b.accessible(&cx.axe).await?;
        b.shoot("login-two-factor").await?;
        second_step(&b, "#code", "000000", false).await?;
        b.expect_text("Incorrect code.").await?;
        let loose = codes[0].to_lowercase().replace('-', " ");
        second_step(&b, "#recovery_code", &loose, true).await?;
        b.expect_text(&format!("Welcome back, {user}!")).await?;
        b.expect_text("You have 9 recovery codes left.").await?;
        // Trusted: the password alone, next time.
        b.logout().await?;
        b.login(&user, PASSWORD, false).await?;
        b.expect_text(&format!("Hello, {user}")).await?;
        b.goto("/account").await?;
        b.expect_text("password (trusted browser)").await?;
        b.expect_text("Trusted browsers").await?;
        b.accessible(&cx.axe).await?;
        // Forgotten: the app's code again (the next step: this one may
        // have been used turning it on).
        b.logout_and_forget().await?;
        b.login(&user, PASSWORD, false).await?;
        second_step(&b, "#code", &app_code(&key, 1)?, false).await?;
        b.expect_text(&format!("Welcome back, {user}!")).await?;
        b.goto("/account").await?;
        b.expect_text("password + code").await?;
        // Off, with a recovery code.
        b.goto("/account/two-factor").await?;
        b.expect_text("Two-factor sign-in is on").await?;
        b.accessible(&cx.axe).await?;
        b.shoot("two-factor-on").await?;
        b.fill("#off_password", PASSWORD).await?;
        b.fill("#off_recovery_code", &codes[1]).await?;
        b.click("main form[action='/account/two-factor/disable'] button")
            .await?;
        b.expect_text("Two-factor authentication is off.").await?;
        b.logout().await?;
        b.login(&user, PASSWORD, false).await?;
        b.expect_text(&format!("Hello, {user}")).await
    }
    .await;
    b.close().await?;
    r
}
