//! Two-factor sign-in as a person with an authenticator app does it: read
//! the key the set-up page shows, compute its codes (RFC 6238, the app's
//! side), turn it on, keep the recovery codes, answer the second step.

use super::browser::{Browser, Page};
use crate::crypto::totp;

/// What turning two-factor sign-in on gave: the key (base32, as shown) and
/// the ten recovery codes (as shown, once).
#[derive(Debug, Clone)]
pub struct TwoFactor {
    pub secret: String,
    pub recovery: Vec<String>,
}

impl TwoFactor {
    /// The code the authenticator app shows at `now` (unix seconds).
    pub fn code(&self, now: i64) -> String {
        totp_code(&self.secret, now)
    }
}

/// The code of the base32 `secret` (spaces allowed) at `now`.
pub fn totp_code(secret: &str, now: i64) -> String {
    let compact: String = secret.chars().filter(|c| !c.is_whitespace()).collect();
    let secret = totp::Secret::from_base32(&compact).expect("a 32-character base32 key");
    totp::code_at(&secret, totp::step(now))
}

/// The key on a set-up page (`<code id="totp-secret">`), spaces dropped.
pub fn totp_secret(page: &Page) -> Option<String> {
    let start = page.body.find("id=\"totp-secret\">")? + "id=\"totp-secret\">".len();
    let end = page.body[start..].find('<')? + start;
    Some(
        page.body[start..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    )
}

/// The recovery codes a page shows (`<code class="recovery-code">`).
pub fn recovery_codes(page: &Page) -> Vec<String> {
    let open = "<code class=\"recovery-code\">";
    page.body
        .match_indices(open)
        .filter_map(|(i, m)| {
            let rest = &page.body[i + m.len()..];
            Some(rest[..rest.find('<')?].to_string())
        })
        .collect()
}

impl Browser {
    /// Signed in: turns two-factor sign-in on with `password` and the
    /// app's current code, as the set-up page asks.
    pub async fn enable_two_factor(&mut self, password: &str) -> TwoFactor {
        let setup = self.get("/account/two-factor").await;
        assert_eq!(setup.status, 200, "the set-up page");
        let secret = totp_secret(&setup).expect("the set-up page shows the key");
        let code = totp_code(&secret, self.app.now());
        let fields = [
            ("csrf_token", setup.csrf()),
            ("password", password.to_string()),
            ("code", code),
        ];
        let done = self.post_fields("/account/two-factor", &fields).await;
        assert_eq!(done.status, 200, "turned on: {}", done.body);
        let recovery = recovery_codes(&done);
        assert_eq!(recovery.len(), 10, "ten recovery codes shown");
        TwoFactor { secret, recovery }
    }

    /// The second step of a sign-in: GET `/login/two-factor`, then POST
    /// `fields` (`code`, `recovery_code`, `trust`) with its token.
    pub async fn second_step(&mut self, fields: &[(&str, &str)]) -> Page {
        let form = self.get("/login/two-factor").await;
        assert_eq!(form.status, 200, "the code form: {:?}", form.location());
        let token = form.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post("/login/two-factor", &all).await
    }

    /// The password step and the code step, `code` the app's.
    pub async fn login_with_code(&mut self, username: &str, password: &str, code: &str) -> Page {
        let first = self.login(username, password, false).await;
        assert_eq!(
            first.location(),
            Some("/login/two-factor"),
            "a code is asked for"
        );
        self.second_step(&[("code", code)]).await
    }

    async fn post_fields(&mut self, target: &str, fields: &[(&str, String)]) -> Page {
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post(target, &borrowed).await
    }
}
