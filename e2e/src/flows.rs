//! The flows of the contract in the browser: register, greet, the account
//! page, remembered logins, wrong passwords, signing out another device.

use super::*;

pub(crate) async fn register_greet_account_logout(cx: &Ctx) -> Result {
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

pub(crate) async fn remembered_login_survives_a_restart(cx: &Ctx, remember: bool) -> Result {
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

pub(crate) async fn account_asks_to_log_in_then_returns(cx: &Ctx) -> Result {
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

pub(crate) async fn wrong_password_is_explained_and_keeps_the_username(cx: &Ctx) -> Result {
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

/// `user` registers in `a` and also signs in, remembered, in `other`.
pub(crate) async fn registered_and_signed_in_elsewhere(
    a: &Browser,
    other: &Browser,
    user: &str,
) -> Result {
    a.register(user, &format!("{user}@example.com"), PASSWORD)
        .await?;
    a.expect_text("Registration successful").await?;
    other.login(user, PASSWORD, true).await?;
    other.expect_text(&format!("Hello, {user}")).await
}

pub(crate) async fn sign_out_another_device(cx: &Ctx) -> Result {
    let user = cx.user("Devices");
    let a = Browser::open(&cx.profile(), 1280, 900).await?;
    let other = Browser::open(&cx.profile(), 1280, 900).await?;
    let r = async {
        registered_and_signed_in_elsewhere(&a, &other, &user).await?;
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
