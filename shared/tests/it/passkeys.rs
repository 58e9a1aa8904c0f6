//! Passkeys from the outside, with a software authenticator: adding one
//! (password, name, a discoverable user-verified credential, each
//! challenge once), signing in with it (no username, no second step), and
//! every refusal the contract lists: unknown or removed credential, wrong
//! or used challenge, no user verification, a counter going backwards, a
//! foreign passkey id on remove; two removals racing. Notices, the sessions
//! list and deletion.

use shared::testing::*;

use crate::mailbox::new_mail;

const NOT_ADDED: &str = "This passkey could not be added.";
const FAILED: &str = "That passkey did not work. Try again or use your password.";

/// `name`, signed in, with one passkey of a new authenticator.
async fn member_with_passkey(env: &Env, name: &str) -> (Browser, Authenticator) {
    let mut b = env.browser();
    let email = format!("{}@example.com", name.to_lowercase());
    assert_eq!(b.register(name, &email, PASSWORD).await.status, 303);
    let mut auth = Authenticator::new(SITE_URL);
    let p = b.add_passkey(&mut auth, "Laptop", PASSWORD).await;
    assert_eq!(p.location(), Some("/account/passkeys"), "{}", p.body);
    (b, auth)
}

/// A passkey sign-in from a fresh browser: its answer.
async fn passkey_login(env: &Env, auth: &mut Authenticator) -> Page {
    env.browser().login_with_passkey(auth).await
}

fn refused(p: &Page) {
    assert_eq!(p.status, 401, "{}", p.body);
    assert!(p.body.contains(FAILED), "{}", p.body);
    assert!(p.set_cookie("__Host-session").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_is_added_with_the_password_and_signs_in_without_one() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let page = b.get("/account").await;
    assert!(page.body.contains("href=\"/account/passkeys\""));
    let page = b.get("/account/passkeys").await;
    let o = script_json(&page, "passkey-create-options").unwrap();
    assert_eq!(o["rp"]["id"], "blog.example.com");
    assert_eq!(o["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(o["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(o["excludeCredentials"], serde_json::json!([]));
    let csp = page.header("content-security-policy").unwrap().to_string();
    assert!(csp.contains("script-src 'sha256-") && !csp.contains("unsafe-inline"));
    assert!(csp.starts_with("default-src 'none'"));
    let mut auth = Authenticator::new(SITE_URL);
    let p = b.add_passkey(&mut auth, "  My laptop ", PASSWORD).await;
    assert_eq!(p.location(), Some("/account/passkeys"), "{}", p.body);
    let page = b.get("/account/passkeys").await;
    assert!(page.body.contains("Passkey added."));
    assert!(page.body.contains(">My laptop<"), "{}", page.body);
    // The one it has is excluded from the next options.
    let o = script_json(&page, "passkey-create-options").unwrap();
    assert_eq!(
        o["excludeCredentials"][0]["id"],
        auth.credential_id().unwrap().as_str()
    );
    let mails = new_mail(&env, &mut seen).await;
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("A passkey was added")),
        "{mails:?}"
    );

    // Signing in: no username, no password.
    let mut c = env.browser();
    let login = c.get("/login?next=%2Faccount").await;
    let o = script_json(&login, "passkey-login-options").unwrap();
    assert_eq!(o["rpId"], "blog.example.com");
    assert_eq!(o["userVerification"], "required");
    assert_eq!(o["allowCredentials"], serde_json::json!([]));
    assert!(login.body.contains("autocomplete=\"username webauthn\""));
    let assertion = auth.authenticate(&o).unwrap().to_string();
    let p = c.post_assertion(&login, &assertion).await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/account")),
        "{}",
        p.body
    );
    let account = c.get("/account").await;
    assert!(account.body.contains("Welcome back, Alice!"));
    assert!(account.body.contains("<td role=\"cell\"><span class=\"cell-label\" aria-hidden=\"true\">Signed in with</span>passkey</td>"), "{}", account.body);
    let page = c.get("/account/passkeys").await;
    assert!(!page.body.contains("Never"), "last used is shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_verified_passkey_is_both_factors() {
    let env = Env::start().await;
    let (mut b, mut auth) = member_with_passkey(&env, "Alice").await;
    b.enable_two_factor(PASSWORD).await;
    let p = passkey_login(&env, &mut auth).await;
    assert_eq!(p.location(), Some("/"), "no second step: {}", p.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_refuses_a_wrong_password_a_bad_answer_and_a_replay() {
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let account = env.app.account_id("alice").await.unwrap();
    let mut auth = Authenticator::new(SITE_URL);
    let (page, credential) = b.create_passkey(&mut auth).await;
    let p = b
        .post_passkey(&page, &credential, "Laptop", "wrong password")
        .await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("Incorrect password."));
    let p = b.post_passkey(&page, &credential, "", PASSWORD).await;
    assert_eq!(p.status, 400);
    let long = "x".repeat(61);
    let p = b.post_passkey(&page, &credential, &long, PASSWORD).await;
    assert_eq!(p.status, 400);
    let p = b
        .post_passkey(&page, "{\"id\":1}", "Laptop", PASSWORD)
        .await;
    assert_eq!((p.status, p.body.contains(NOT_ADDED)), (400, true));
    // Another origin's answer (a phishing page's), then no user
    // verification: refused, each using its challenge up.
    let mut phished = Authenticator::new("https://blog.example.com.evil.test");
    let (page, credential) = b.create_passkey(&mut phished).await;
    let p = b.post_passkey(&page, &credential, "Laptop", PASSWORD).await;
    assert_eq!((p.status, p.body.contains(NOT_ADDED)), (400, true));
    let mut no_uv = Authenticator::new(SITE_URL).with_user_verified(false);
    let (page, credential) = b.create_passkey(&mut no_uv).await;
    let p = b.post_passkey(&page, &credential, "Laptop", PASSWORD).await;
    assert_eq!((p.status, p.body.contains(NOT_ADDED)), (400, true));
    let keys = env.app.partition_keys(&account).await;
    assert!(!keys.iter().any(|k| k.starts_with("passkey#")), "{keys:?}");
    // A good one, then the same answer again: its challenge is used.
    let (page, credential) = b.create_passkey(&mut auth).await;
    let p = b.post_passkey(&page, &credential, "Laptop", PASSWORD).await;
    assert_eq!(p.location(), Some("/account/passkeys"), "{}", p.body);
    let p = b.post_passkey(&page, &credential, "Laptop", PASSWORD).await;
    assert_eq!((p.status, p.body.contains(NOT_ADDED)), (400, true));
    // A challenge is good for 5 minutes.
    let mut late = Authenticator::new(SITE_URL);
    let (page, credential) = b.create_passkey(&mut late).await;
    env.clock.advance(5 * 60 + 1);
    let p = b.post_passkey(&page, &credential, "Late", PASSWORD).await;
    assert_eq!((p.status, p.body.contains(NOT_ADDED)), (400, true));
    let keys = env.app.partition_keys(&account).await;
    let passkeys = keys.iter().filter(|k| k.starts_with("passkey#")).count();
    assert_eq!(passkeys, 1, "{keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_is_refused_for_a_wrong_or_used_challenge_and_without_verification() {
    let env = Env::start().await;
    let (_, mut auth) = member_with_passkey(&env, "Alice").await;
    // Used: the same assertion twice.
    let mut c = env.browser();
    let (page, assertion) = c.passkey_assertion(&mut auth, "/login").await;
    let assertion = assertion.unwrap();
    assert_eq!(c.post_assertion(&page, &assertion).await.status, 303);
    let mut d = env.browser();
    let other = d.get("/login").await;
    refused(&d.post_assertion(&other, &assertion).await);
    // A challenge this site never offered.
    auth.challenge_override = Some(b"not the page's challenge, 32 b..".to_vec());
    refused(&passkey_login(&env, &mut auth).await);
    auth.reset_tampering();
    // Past its 5 minutes.
    let mut c = env.browser();
    let (page, assertion) = c.passkey_assertion(&mut auth, "/login").await;
    env.clock.advance(5 * 60 + 1);
    refused(&c.post_assertion(&page, &assertion.unwrap()).await);
    // No user verification; a foreign key's signature; no assertion at all.
    auth.user_verified = false;
    refused(&passkey_login(&env, &mut auth).await);
    auth.user_verified = true;
    auth.sign_with_foreign_key = true;
    refused(&passkey_login(&env, &mut auth).await);
    auth.reset_tampering();
    let mut c = env.browser();
    let page = c.get("/login").await;
    refused(&c.post_assertion(&page, "").await);
    // Still fine with everything right.
    assert_eq!(passkey_login(&env, &mut auth).await.location(), Some("/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_removed_credential_is_refused() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let (mut b, mut auth) = member_with_passkey(&env, "Alice").await;
    auth.present_unknown_credential_id = true;
    refused(&passkey_login(&env, &mut auth).await);
    auth.reset_tampering();
    // Bob's remove form with Alice's passkey id: the same answer, nothing
    // changes, no notice.
    let page = b.get("/account/passkeys").await;
    let id = page.input("passkey").expect("a remove form");
    let mut bob = env.browser();
    bob.register("Bob", "bob@example.com", PASSWORD).await;
    let bobs = bob.get("/account/passkeys").await;
    let fields = [
        ("csrf_token", bobs.csrf()),
        ("passkey", id.clone()),
        ("password", PASSWORD.into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = bob.post("/account/passkeys/remove", &fields).await;
    assert_eq!(p.location(), Some("/account/passkeys"));
    assert!(bob
        .get("/account/passkeys")
        .await
        .body
        .contains("Passkey removed."));
    assert_eq!(passkey_login(&env, &mut auth).await.location(), Some("/"));
    new_mail(&env, &mut seen).await;
    // The wrong password removes nothing; the right one does.
    let page = b.get("/account/passkeys").await;
    let mut fields = [
        ("csrf_token", page.csrf()),
        ("passkey", id),
        ("password", "wrong".into()),
    ];
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = b.post("/account/passkeys/remove", &f).await;
    assert_eq!(p.status, 401);
    fields[2].1 = PASSWORD.into();
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = b.post("/account/passkeys/remove", &f).await;
    assert_eq!(p.location(), Some("/account/passkeys"));
    assert!(b
        .get("/account/passkeys")
        .await
        .body
        .contains("no passkeys yet"));
    let mails = new_mail(&env, &mut seen).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(subjects[0].contains("A passkey was removed"));
    refused(&passkey_login(&env, &mut auth).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counter_must_go_up_unless_it_stays_zero() {
    let env = Env::start().await;
    // A synced passkey: 0, then 0, then 0.
    let (_, mut synced) = member_with_passkey(&env, "Alice").await;
    for _ in 0..2 {
        assert_eq!(passkey_login(&env, &mut synced).await.location(), Some("/"));
    }
    // A hardware key: 1, 2, then a clone's 2 again, then 1.
    let mut b = env.browser();
    b.register("Bob", "bob@example.com", PASSWORD).await;
    let mut key = Authenticator::new(SITE_URL).with_counter(CounterMode::Incrementing);
    b.add_passkey(&mut key, "Key", PASSWORD).await;
    let id = key.credential_id().unwrap();
    for _ in 0..2 {
        assert_eq!(passkey_login(&env, &mut key).await.location(), Some("/"));
    }
    key.set_counter(&id, 1);
    refused(&passkey_login(&env, &mut key).await);
    key.set_counter(&id, 0);
    refused(&passkey_login(&env, &mut key).await);
    key.set_counter(&id, 7);
    assert_eq!(passkey_login(&env, &mut key).await.location(), Some("/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_passkey_sign_ins_count_on_the_source() {
    let env = Env::start_with(&[("LOGIN_IP_LIMIT", "3")]).await;
    let (_, mut auth) = member_with_passkey(&env, "Alice").await;
    auth.user_verified = false;
    for _ in 0..3 {
        refused(&passkey_login(&env, &mut auth).await);
    }
    auth.user_verified = true;
    let p = passkey_login(&env, &mut auth).await;
    assert_eq!(p.status, 429, "{}", p.body);
    // And on the password form too: one counter per source.
    let p = env.browser().login("alice", PASSWORD, false).await;
    assert_eq!(p.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_account_deletes_its_passkeys() {
    let env = Env::start().await;
    let (mut b, mut auth) = member_with_passkey(&env, "Alice").await;
    let account = env.app.account_id("alice").await.unwrap();
    b.get("/account/passkeys").await; // a registration under way too
    let keys = env.app.partition_keys(&account).await;
    assert!(keys.iter().any(|k| k.starts_with("passkey#")), "{keys:?}");
    assert!(
        keys.iter().any(|k| k.starts_with("passkey-reg#")),
        "{keys:?}"
    );
    let page = b.get("/account/delete").await;
    let fields = [
        ("csrf_token", page.csrf()),
        ("password", PASSWORD.to_string()),
    ];
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post("/account/delete", &f).await.status, 303);
    assert_eq!(env.app.partition_keys(&account).await, Vec::<String>::new());
    refused(&passkey_login(&env, &mut auth).await);
    // The name taken again: the old passkey names the old account.
    env.browser()
        .register("Alice", "alice2@example.com", PASSWORD)
        .await;
    refused(&passkey_login(&env, &mut auth).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_removals_racing_for_one_passkey_remove_it_once() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let (mut a, mut auth) = member_with_passkey(&env, "Alice").await;
    let mut b = env.browser();
    assert_eq!(b.login("Alice", PASSWORD, false).await.status, 303);
    // A race is not won the same way every time: five rounds, an hour
    // apart (ten emails an hour reach one address).
    for round in 0..5 {
        if round > 0 {
            env.clock.advance(61 * 60);
            let p = a.add_passkey(&mut auth, "Laptop", PASSWORD).await;
            assert_eq!(p.location(), Some("/account/passkeys"), "{}", p.body);
        }
        new_mail(&env, &mut seen).await;
        let (pa, pb) = (
            a.get("/account/passkeys").await,
            b.get("/account/passkeys").await,
        );
        let id = pa.input("passkey").expect("a remove form");
        let (ta, tb) = (pa.csrf(), pb.csrf());
        let fa = [
            ("csrf_token", ta.as_str()),
            ("passkey", &id),
            ("password", PASSWORD),
        ];
        let fb = [
            ("csrf_token", tb.as_str()),
            ("passkey", &id),
            ("password", PASSWORD),
        ];
        let (ra, rb) = tokio::join!(
            a.post("/account/passkeys/remove", &fa),
            b.post("/account/passkeys/remove", &fb)
        );
        // Both get the same answer; one removal, one notice.
        for r in [&ra, &rb] {
            assert_eq!(r.location(), Some("/account/passkeys"), "{}", r.body);
        }
        let mails = new_mail(&env, &mut seen).await;
        let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(subjects.len(), 1, "round {round}: {subjects:?}");
        assert!(subjects[0].contains("A passkey was removed"));
        assert!(a
            .get("/account/passkeys")
            .await
            .body
            .contains("no passkeys yet"));
        refused(&passkey_login(&env, &mut auth).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_site_address_nothing_offers_passkeys_and_their_routes_are_not_found() {
    let env = Env::start_with(&[("SITE_URL", "")]).await;
    let mut b = env.browser();
    let login = b.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(!login.body.contains("/login/passkey"), "{}", login.body);
    assert!(
        !login.body.contains("passkey-login-options"),
        "{}",
        login.body
    );
    let token = login.csrf();
    let form = [("csrf_token", token.as_str()), ("credential", "{}")];
    assert_eq!(b.post("/login/passkey", &form).await.status, 404);
    assert_eq!(
        b.register("Alice", "alice@example.com", PASSWORD)
            .await
            .status,
        303
    );
    let account = b.get("/account").await;
    assert!(
        !account.body.contains("/account/passkeys"),
        "{}",
        account.body
    );
    assert_eq!(b.get("/account/passkeys").await.status, 404);
    let page = b.get("/account").await;
    let form = [
        ("csrf_token", page.csrf()),
        ("passkey", "x".into()),
        ("password", PASSWORD.into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post("/account/passkeys/remove", &form).await.status, 404);
}
