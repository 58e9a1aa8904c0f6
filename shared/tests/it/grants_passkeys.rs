//! The passkey routes driven for `grants.rs`: adding one (wrong password,
//! a bad answer, right), signing in with it (the account's first sign-in,
//! then another; refused; the source over its limit), removing it (wrong
//! password, right).

use shared::testing::*;

use crate::grants::Drive;
use crate::grants_lifecycle::PAST_LOGIN_WINDOW;

const IP: &str = "198.51.100.9";

impl Drive {
    /// Posts `credential` in the add form, with `password`.
    async fn add_passkey(&mut self, b: &mut Browser, credential: &str, password: &str) -> Page {
        let page = self.get(b, "/account/passkeys").await;
        let fields = [
            ("csrf_token", page.csrf()),
            ("name", "Laptop".into()),
            ("password", password.into()),
            ("credential", credential.into()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post(b, "/account/passkeys", &fields).await
    }

    /// A passkey sign-in from a fresh browser at `ip`.
    async fn passkey_login(&mut self, auth: &mut Authenticator, ip: &str) -> Page {
        let mut b = self.browser_at(ip);
        let page = self.get(&mut b, "/login").await;
        let options = script_json(&page, "passkey-login-options").expect("options");
        let assertion = auth
            .authenticate(&options)
            .expect("an assertion")
            .to_string();
        let fields = [("csrf_token", page.csrf()), ("credential", assertion)];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post(&mut b, "/login/passkey", &fields).await
    }
}

pub(crate) async fn passkeys(d: &mut Drive) {
    let mut petra = d.account(IP, "Petra").await;
    let mut auth = Authenticator::new(SITE_URL);
    assert_eq!(
        d.add_passkey(&mut petra, "{}", "wrong-password-1")
            .await
            .status,
        401
    );
    assert_eq!(d.add_passkey(&mut petra, "{}", PASSWORD).await.status, 400);
    let page = d.get(&mut petra, "/account/passkeys").await;
    let options = script_json(&page, "passkey-create-options").expect("options");
    let created = auth.register(&options).expect("a passkey").to_string();
    let fields = [
        ("csrf_token", page.csrf()),
        ("name", "Laptop".into()),
        ("password", PASSWORD.into()),
        ("credential", created),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = d.post(&mut petra, "/account/passkeys", &fields).await;
    assert_eq!(p.status, 303, "{}", p.body);
    d.mail().await;
    // Registered, then signed in only with the passkey: the first sign-in
    // retires the registration form's id; the next checks the account.
    let mut quinn = d.account(IP, "Quinn").await;
    let mut key = Authenticator::new(SITE_URL);
    let page = d.get(&mut quinn, "/account/passkeys").await;
    let options = script_json(&page, "passkey-create-options").expect("options");
    let created = key.register(&options).expect("a passkey").to_string();
    let fields = [
        ("csrf_token", page.csrf()),
        ("name", "Key".into()),
        ("password", PASSWORD.into()),
        ("credential", created),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        d.post(&mut quinn, "/account/passkeys", &fields)
            .await
            .status,
        303
    );
    for _ in 0..2 {
        assert_eq!(d.passkey_login(&mut key, IP).await.status, 303);
        assert_eq!(d.passkey_login(&mut auth, IP).await.status, 303);
    }
    // Refused until the source is over its limit (LOGIN_IP_LIMIT 7).
    auth.user_verified = false;
    const OTHER: &str = "198.51.100.10";
    for _ in 0..7 {
        assert_eq!(d.passkey_login(&mut auth, OTHER).await.status, 401);
    }
    assert_eq!(d.passkey_login(&mut auth, OTHER).await.status, 429);
    auth.user_verified = true;
    d.env.clock.advance(PAST_LOGIN_WINDOW);
    // Removing: wrong password, then right.
    let page = d.get(&mut petra, "/account/passkeys").await;
    let id = page.input("passkey").expect("a remove form");
    for (password, status) in [("wrong-password-2", 401), (PASSWORD, 303)] {
        let fields = [
            ("csrf_token", page.csrf()),
            ("passkey", id.clone()),
            ("password", password.into()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p = d
            .post(&mut petra, "/account/passkeys/remove", &fields)
            .await;
        assert_eq!(p.status, status, "{}", p.body);
    }
    d.mail().await;
}
