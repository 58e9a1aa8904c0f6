//! The two-factor routes driven for `grants.rs`: turning it on (wrong
//! password, wrong code, the set-up key expired, right), the second step
//! (wrong, used, right and trusted, a recovery code, five wrong ending it),
//! a trusted browser skipping it, forgetting one, new recovery codes,
//! turning it off, "log out and forget this browser", a registration
//! retried for an account with it on, and deleting such an account.

use shared::testing::*;
use shared::Clock;

use crate::grants::Drive;
use crate::grants_lifecycle::PAST_LOGIN_WINDOW;

const IP: &str = "198.51.100.8";

impl Drive {
    fn now(&self) -> i64 {
        self.env.clock.now()
    }

    /// POST `path` with the token of the page at `form` and `fields`.
    async fn submit(
        &mut self,
        b: &mut Browser,
        form: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let token = self.get(b, form).await.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(b, path, &all).await
    }

    /// Turns two-factor sign-in on for `b`'s account.
    async fn enable(
        &mut self,
        b: &mut Browser,
        password: &str,
        code: Option<&str>,
    ) -> (Page, String) {
        let page = self.get(b, "/account/two-factor").await;
        let secret = totp_secret(&page).expect("the set-up key");
        let code = code.map_or_else(|| totp_code(&secret, self.now()), str::to_string);
        let fields = [
            ("csrf_token", page.csrf()),
            ("password", password.to_string()),
            ("code", code),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        (self.post(b, "/account/two-factor", &fields).await, secret)
    }

    async fn second(&mut self, b: &mut Browser, fields: &[(&str, &str)]) -> Page {
        self.submit(b, "/login/two-factor", "/login/two-factor", fields)
            .await
    }
}

pub(crate) async fn two_factor(d: &mut Drive) {
    let (mut ivan, secret, codes) = Box::pin(turn_on(d)).await;
    Box::pin(second_steps(d, &secret, &codes)).await;
    Box::pin(settings(d, &mut ivan, &secret, &codes)).await;
    Box::pin(delete_with_two_factor(d)).await;
}

/// Wrong password, wrong code, an expired key, then on.
async fn turn_on(d: &mut Drive) -> (Browser, String, Vec<String>) {
    let mut ivan = d.account(IP, "Ivan").await;
    assert_eq!(
        d.enable(&mut ivan, "wrong-password-1", None).await.0.status,
        401
    );
    assert_eq!(
        d.enable(&mut ivan, PASSWORD, Some("000000")).await.0.status,
        401
    );
    // The key shown, then more than its 10 minutes.
    let page = d.get(&mut ivan, "/account/two-factor").await;
    d.env.clock.advance(11 * 60);
    let fields = [
        ("csrf_token", page.csrf()),
        ("password", PASSWORD.into()),
        ("code", "123456".into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        d.post(&mut ivan, "/account/two-factor", &fields)
            .await
            .status,
        400
    );
    d.env.clock.advance(PAST_LOGIN_WINDOW);
    let (p, secret) = d.enable(&mut ivan, PASSWORD, None).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let codes = recovery_codes(&p);
    assert_eq!(codes.len(), 10);
    d.mail().await;
    d.env.clock.advance(30);
    (ivan, secret, codes)
}

/// The second step along its paths, from fresh browsers.
async fn second_steps(d: &mut Drive, secret: &str, codes: &[String]) {
    let mut t = d.browser_at(IP);
    assert_eq!(
        d.login(&mut t, "ivan", PASSWORD).await.location(),
        Some("/login/two-factor")
    );
    assert_eq!(d.second(&mut t, &[("code", "000000")]).await.status, 401);
    let code = totp_code(secret, d.now());
    let p = d.second(&mut t, &[("code", &code), ("trust", "on")]).await;
    assert_eq!((p.status, p.location()), (303, Some("/")), "{}", p.body);
    // The same code from another sign-in: used.
    let mut u = d.browser_at(IP);
    d.login(&mut u, "ivan", PASSWORD).await;
    assert_eq!(d.second(&mut u, &[("code", &code)]).await.status, 401);
    // A recovery code.
    let p = d.second(&mut u, &[("recovery_code", &codes[0])]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    // The trusted browser, signed out, skips the code.
    d.submit(&mut t, "/logout", "/logout", &[]).await;
    let p = d.login(&mut t, "ivan", PASSWORD).await;
    assert_eq!(p.location(), Some("/"), "trusted: no second step");
    // Signed in, the code form sends home.
    assert_eq!(
        d.get(&mut t, "/login/two-factor").await.location(),
        Some("/")
    );
    // Five wrong codes end a pending sign-in.
    d.env.clock.advance(PAST_LOGIN_WINDOW);
    let mut w = d.browser_at("198.51.100.9");
    d.login(&mut w, "ivan", PASSWORD).await;
    for _ in 0..5 {
        d.second(&mut w, &[("code", "000000")]).await;
    }
    let p = d.get(&mut w, "/login/two-factor").await;
    assert_eq!(p.location(), Some("/login"), "ended");
    d.env.clock.advance(PAST_LOGIN_WINDOW);
    d.mail().await;
}

/// The settings: forget a trusted browser (and an unknown one), new
/// recovery codes (wrong code, right), off with a recovery code; log out
/// and forget; a registration retried for the account refused.
async fn settings(d: &mut Drive, ivan: &mut Browser, secret: &str, codes: &[String]) {
    let account = d.get(ivan, "/account").await;
    let id = trusted_id(&account).expect("the trusted browser listed");
    for browser in ["x", id.as_str()] {
        let p = d
            .submit(
                ivan,
                "/account",
                "/account/trusted-browsers/forget",
                &[("browser", browser)],
            )
            .await;
        assert_eq!(p.status, 303);
    }
    d.env.clock.advance(30);
    let codes_path = "/account/two-factor/recovery-codes";
    let p = d
        .submit(
            ivan,
            "/account/two-factor",
            codes_path,
            &[("password", PASSWORD), ("code", "000000")],
        )
        .await;
    assert_eq!(p.status, 401);
    let code = totp_code(secret, d.now());
    let p = d
        .submit(
            ivan,
            "/account/two-factor",
            codes_path,
            &[("password", PASSWORD), ("code", &code)],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let fresh = recovery_codes(&p);
    assert!(!fresh.contains(&codes[1]));
    let off = [("password", PASSWORD), ("recovery_code", fresh[0].as_str())];
    let p = d
        .submit(
            ivan,
            "/account/two-factor",
            "/account/two-factor/disable",
            &off,
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/account")),
        "{}",
        p.body
    );
    let p = d
        .submit(ivan, "/logout", "/logout", &[("forget", "1")])
        .await;
    assert_eq!(p.status, 303);
    d.mail().await;
}

/// The public id of the first trusted browser an `/account` page lists.
fn trusted_id(page: &Page) -> Option<String> {
    let attr = "name=\"browser\" value=\"";
    let start = page.body.find(attr)? + attr.len();
    Some(page.body[start..start + page.body[start..].find('"')?].to_string())
}

/// An account with two-factor on, a trusted browser, a sign-in waiting for
/// its code and a set-up key: deleting it; a registration of its name
/// retried before that, refused.
async fn delete_with_two_factor(d: &mut Drive) {
    const HERE: &str = "198.51.100.10";
    let mut j = d.account(HERE, "Judy").await;
    let (p, secret) = d.enable(&mut j, PASSWORD, None).await;
    assert_eq!(p.status, 200);
    d.env.clock.advance(30);
    let mut t = d.browser_at(HERE);
    d.login(&mut t, "judy", PASSWORD).await;
    let code = totp_code(&secret, d.now());
    assert_eq!(
        d.second(&mut t, &[("code", &code), ("trust", "on")])
            .await
            .status,
        303
    );
    let mut waiting = d.browser_at(HERE);
    d.login(&mut waiting, "judy", PASSWORD).await;
    let p = d.delete(&mut j, PASSWORD).await;
    assert_eq!((p.status, p.location()), (303, Some("/")), "{}", p.body);
    d.mail().await;
}
