//! Passkeys in Chromium, with a virtual authenticator (W3C WebAuthn §11,
//! through ChromeDriver): add one from the passkeys page, sign in with the
//! button, sign in through autofill without a click, refused when the
//! authenticator cannot verify the user, refused once it is removed.

use fantoccini::wd::WebDriverCompatibleCommand;

use super::*;

/// One WebDriver extension command on the session.
#[derive(Debug)]
struct WebAuthnCmd {
    path: String,
    method: http::Method,
    body: Option<serde_json::Value>,
}

impl WebDriverCompatibleCommand for WebAuthnCmd {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/{}",
            session.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(|b| b.to_string()),
        )
    }
}

/// A platform authenticator with resident keys and user verification,
/// answering by itself (presence simulated): its id.
async fn add_authenticator(b: &Browser) -> Result<String> {
    let body = serde_json::json!({
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": true,
        "hasUserVerification": true,
        "isUserVerified": true,
        "automaticPresenceSimulation": true,
    });
    let cmd = WebAuthnCmd {
        path: "webauthn/authenticator".into(),
        method: http::Method::POST,
        body: Some(body),
    };
    let id = b.client.issue_cmd(cmd).await.map_err(err)?;
    id.as_str()
        .map(str::to_string)
        .ok_or(format!("authenticator id: {id}"))
}

/// Whether the authenticator verifies the user from now on.
async fn set_user_verified(b: &Browser, id: &str, verified: bool) -> Result {
    let cmd = WebAuthnCmd {
        path: format!("webauthn/authenticator/{id}/uv"),
        method: http::Method::POST,
        body: Some(serde_json::json!({ "isUserVerified": verified })),
    };
    b.client.issue_cmd(cmd).await.map_err(err).map(|_| ())
}

/// How many credentials the authenticator holds.
async fn credentials(b: &Browser, id: &str) -> Result<usize> {
    let cmd = WebAuthnCmd {
        path: format!("webauthn/authenticator/{id}/credentials"),
        method: http::Method::GET,
        body: None,
    };
    let list = b.client.issue_cmd(cmd).await.map_err(err)?;
    Ok(list.as_array().map_or(0, Vec::len))
}

/// Signed in as `user`? (the home page greets them)
async fn signed_in_as(b: &Browser, user: &str) -> Result<bool> {
    b.goto("/").await?;
    Ok(b.text().await?.contains(&format!("Hello, {user}")))
}

/// Waits until the page's text holds one of `needles`; which one.
async fn one_of(b: &Browser, needles: &[&str]) -> Result<usize> {
    let started = Instant::now();
    loop {
        // (A page being replaced by a form post has no body for a moment.)
        let text = b.text().await.unwrap_or_default();
        if let Some(i) = needles.iter().position(|n| text.contains(n)) {
            return Ok(i);
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err(format!("none of {needles:?} in: {text}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn passkeys(cx: &Ctx) -> Result {
    let user = cx.user("Keyholder");
    let b = Browser::open(&cx.profile(), 1280, 900).await?;
    let auth = add_authenticator(&b).await?;
    b.register(
        &user,
        &format!("{}@example.com", user.to_lowercase()),
        PASSWORD,
    )
    .await?;
    // Add one: the page's script creates it and posts the form.
    b.goto("/account").await?;
    b.click("a[href='/account/passkeys']").await?;
    b.expect_text("You have no passkeys yet.").await?;
    b.accessible(&cx.axe).await?;
    b.shoot("passkeys").await?;
    b.fill("#name", "This laptop").await?;
    b.fill("#password", PASSWORD).await?;
    b.click("#passkey-add button[type=submit]").await?;
    b.expect_text("Passkey added.").await?;
    b.expect_text("This laptop").await?;
    if credentials(&b, &auth).await? != 1 {
        return Err("the authenticator holds no passkey".into());
    }
    // Autofill: the log-in page offers it by itself (conditional
    // mediation); the virtual authenticator picks it, no click.
    b.logout().await?;
    b.goto("/login").await?;
    b.expect_text(&format!("Welcome back, {user}!")).await?;
    b.goto("/account").await?;
    b.expect_text("passkey").await?;
    // An authenticator that cannot verify the user: no sign-in.
    b.logout().await?;
    set_user_verified(&b, &auth, false).await?;
    b.goto("/login").await?;
    b.accessible(&cx.axe).await?;
    // Autofill may try it first (and be refused); else the button.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let refused = b.text().await.unwrap_or_default();
    if !refused.contains("That passkey did not work.") {
        // Autofill's post may replace the page under the click: one_of
        // below reads whichever answer came.
        let _ = b.click("#passkey-login button[type=submit]").await;
    }
    one_of(&b, &["That passkey did not work.", "No passkey was used."]).await?;
    if b.cookie_names().await?.iter().any(|n| n == "session") {
        return Err("signed in without user verification".into());
    }
    // The button, on the page that said so (autofill is not tried again).
    set_user_verified(&b, &auth, true).await?;
    b.click("#passkey-login button[type=submit]").await?;
    b.expect_text(&format!("Welcome back, {user}!")).await?;
    // Removed: the authenticator still offers it, the site refuses it.
    b.goto("/account/passkeys").await?;
    b.fill("input[name=password][id^=remove-]", PASSWORD)
        .await?;
    b.click("form[action='/account/passkeys/remove'] button")
        .await?;
    b.expect_text("Passkey removed.").await?;
    b.expect_text("You have no passkeys yet.").await?;
    b.logout().await?;
    b.goto("/login").await?;
    one_of(
        &b,
        &["That passkey did not work. Try again or use your password."],
    )
    .await?;
    if signed_in_as(&b, &user).await? {
        return Err("a removed passkey signed in".into());
    }
    b.close().await
}
