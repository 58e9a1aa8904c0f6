//! Two-factor sign-in from the outside: turning it on from the key the page
//! shows, the second step with a code or a recovery code, codes used once
//! (also by racing requests), the pending sign-in's limits, the answer to a
//! wrong password unchanged, new recovery codes, turning it off.
//! Trusted browsers and log-out are in `trusted_browsers.rs`.

use shared::testing::*;
use shared::Clock;

use crate::mailbox::new_mail;

pub(crate) const INCORRECT: &str = "Incorrect code.";
pub(crate) const USED: &str = "That code was already used. Wait for the next one.";

/// `name`, signed in, with two-factor sign-in on; the clock moved past the
/// step the first code used.
pub(crate) async fn member_with_two_factor(env: &Env, name: &str) -> (Browser, TwoFactor) {
    let mut b = env.browser();
    let email = format!("{}@example.com", name.to_lowercase());
    assert_eq!(b.register(name, &email, PASSWORD).await.status, 303);
    let tf = b.enable_two_factor(PASSWORD).await;
    env.clock.advance(30);
    (b, tf)
}

/// A fresh browser whose sign-in waits for its code.
pub(crate) async fn waiting(env: &Env, name: &str) -> Browser {
    let mut b = env.browser();
    let p = b.login(name, PASSWORD, false).await;
    assert_eq!(p.location(), Some("/login/two-factor"), "{}", p.body);
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_from_the_key_the_page_showed_completes_the_sign_in() {
    let env = Env::start().await;
    let (mut b, tf) = member_with_two_factor(&env, "Alice").await;
    b.logout().await;
    let p = b.login("alice", PASSWORD, false).await;
    assert_eq!((p.status, p.location()), (303, Some("/login/two-factor")));
    assert!(p.set_cookie("__Host-session").is_none(), "no session yet");
    assert!(!b.get("/").await.body.contains("Hello,"), "no session yet");
    let p = b.second_step(&[("code", &tf.code(env.clock.now()))]).await;
    assert_eq!((p.status, p.location()), (303, Some("/")));
    let home = b.get("/").await;
    assert!(home.body.contains("Hello, Alice"), "{}", home.body);
    assert!(home.body.contains("Welcome back, Alice!"));
    let account = b.get("/account").await;
    assert!(account.body.contains("password + code"));
    // The pending sign-in is used up.
    assert_eq!(b.get("/login/two-factor").await.location(), Some("/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_set_up_page_shows_a_fresh_key_and_turning_on_takes_password_and_code() {
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let one = b.get("/account/two-factor").await;
    let key = totp_secret(&one).expect("the key as text");
    assert_eq!(key.len(), 32, "160 bits in base32");
    assert!(one.body.contains("src=\"data:image/svg+xml"), "the QR code");
    assert!(
        !one.body.contains(&format!("value=\"{key}")),
        "never in the form"
    );
    assert_eq!(one.header("cache-control"), Some("no-store"));
    let two = b.get("/account/two-factor").await;
    assert_ne!(totp_secret(&two), Some(key.clone()), "a new key per visit");
    let now = env.clock.now();
    // The last key shown is the one that counts; wrong password, wrong code.
    let post = |password: &'static str, code: String, token: String| {
        vec![
            ("csrf_token", token),
            ("password", password.to_string()),
            ("code", code),
        ]
    };
    let key = totp_secret(&two).unwrap();
    for (password, code, message) in [
        (
            "wrong-password-1",
            totp_code(&key, now),
            "Incorrect password.",
        ),
        (PASSWORD, "000000".to_string(), INCORRECT),
    ] {
        let fields = post(password, code, two.csrf());
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p = b.post("/account/two-factor", &fields).await;
        assert_eq!(p.status, 401, "{message}");
        assert!(p.body.contains(message), "{message}");
        assert!(recovery_codes(&p).is_empty());
    }
    assert_eq!(env.app.second_factor("alice").await, Some((false, 0)));
    let fields = post(PASSWORD, totp_code(&key, now), two.csrf());
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = b.post("/account/two-factor", &fields).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.header("cache-control"), Some("no-store"));
    assert!(p
        .body
        .contains("Save these recovery codes now. Each works once; they will not be shown again."));
    let codes = recovery_codes(&p);
    assert_eq!(codes.len(), 10);
    let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    assert_eq!(env.app.second_factor("alice").await, Some((true, 10)));
    // The page now says it is on, with the codes left.
    let on = b.get("/account/two-factor").await;
    assert!(on.body.contains("Two-factor sign-in is on"));
    assert!(totp_secret(&on).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_set_up_key_lasts_ten_minutes() {
    let env = Env::start().await;
    let mut b = env.browser();
    b.register("Alice", "alice@example.com", PASSWORD).await;
    let page = b.get("/account/two-factor").await;
    let key = totp_secret(&page).unwrap();
    env.clock.advance(10 * 60 + 1);
    let code = totp_code(&key, env.clock.now());
    let token = page.csrf();
    let fields = [
        ("csrf_token", token.as_str()),
        ("password", PASSWORD),
        ("code", &code),
    ];
    let p = b.post("/account/two-factor", &fields).await;
    assert_eq!(p.status, 400);
    assert!(totp_secret(&p).is_some_and(|k| k != key), "a new key shown");
    assert_eq!(env.app.second_factor("alice").await, Some((false, 0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_works_once_and_one_step_either_side() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    a.logout().await;
    env.clock.advance(90);
    let now = env.clock.now();
    // The step before, this one, the one after: each once, in that order.
    for at in [now - 30, now, now + 30] {
        let p = waiting(&env, "alice")
            .await
            .second_step(&[("code", &tf.code(at))])
            .await;
        assert_eq!(p.location(), Some("/"), "the step of {at}: {}", p.body);
    }
    let mut late = waiting(&env, "alice").await;
    let p = late.second_step(&[("code", &tf.code(now + 30))]).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains(USED), "{}", p.body);
    let p = late.second_step(&[("code", &tf.code(now))]).await;
    assert!(p.body.contains(USED), "an older step too");
    let p = late.second_step(&[("code", &tf.code(now + 60))]).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains(INCORRECT), "two steps ahead");
    let p = late.second_step(&[("code", &tf.code(now - 60))]).await;
    assert!(p.body.contains(INCORRECT), "two steps behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sign_ins_racing_with_one_code_one_gets_in() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    a.logout().await;
    for _ in 0..3 {
        env.clock.advance(30);
        let code = tf.code(env.clock.now());
        let (mut x, mut y) = (waiting(&env, "alice").await, waiting(&env, "alice").await);
        let (tx, ty) = (
            x.get("/login/two-factor").await.csrf(),
            y.get("/login/two-factor").await.csrf(),
        );
        let fx = [("csrf_token", tx.as_str()), ("code", code.as_str())];
        let fy = [("csrf_token", ty.as_str()), ("code", code.as_str())];
        let (px, py) = tokio::join!(
            x.post("/login/two-factor", &fx),
            y.post("/login/two-factor", &fy)
        );
        let mut statuses = [px.status, py.status];
        statuses.sort();
        assert_eq!(statuses, [303, 401], "{} / {}", px.body, py.body);
        let loser = if px.status == 401 { &px } else { &py };
        assert!(loser.body.contains(USED), "{}", loser.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_code_signs_in_once_and_the_address_hears_of_it() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    a.logout().await;
    let subjects: Vec<String> = new_mail(&env, &mut seen)
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect();
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("Two-factor sign-in was turned on")),
        "{subjects:?}"
    );
    // As typed by a person: lower case, spaces for hyphens.
    let typed = tf.recovery[3].to_lowercase().replace('-', " ");
    let mut b = waiting(&env, "alice").await;
    let p = b.second_step(&[("recovery_code", &typed)]).await;
    assert_eq!(p.location(), Some("/"), "{}", p.body);
    let home = b.get("/").await;
    assert!(
        home.body.contains("You have 9 recovery codes left."),
        "{}",
        home.body
    );
    assert!(b
        .get("/account")
        .await
        .body
        .contains("password + recovery code"));
    assert_eq!(env.app.second_factor("alice").await, Some((true, 9)));
    let mails = new_mail(&env, &mut seen).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0]
        .subject
        .contains("A recovery code was used to sign in"));
    assert!(
        !mails[0].text.contains(&tf.recovery[3]),
        "the code is not mailed"
    );
    // Used: refused, whoever tries it.
    let p = waiting(&env, "alice")
        .await
        .second_step(&[("recovery_code", &tf.recovery[3])])
        .await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains(INCORRECT));
    assert_eq!(env.app.second_factor("alice").await, Some((true, 9)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sign_ins_racing_with_one_recovery_code_one_gets_in() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    a.logout().await;
    let (mut x, mut y) = (waiting(&env, "alice").await, waiting(&env, "alice").await);
    let (tx, ty) = (
        x.get("/login/two-factor").await.csrf(),
        y.get("/login/two-factor").await.csrf(),
    );
    let code = tf.recovery[0].as_str();
    let fx = [("csrf_token", tx.as_str()), ("recovery_code", code)];
    let fy = [("csrf_token", ty.as_str()), ("recovery_code", code)];
    let (px, py) = tokio::join!(
        x.post("/login/two-factor", &fx),
        y.post("/login/two-factor", &fy)
    );
    let mut statuses = [px.status, py.status];
    statuses.sort();
    assert_eq!(statuses, [303, 401]);
    assert_eq!(env.app.second_factor("alice").await, Some((true, 9)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_sign_in_lasts_five_minutes() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    a.logout().await;
    let mut b = waiting(&env, "alice").await;
    let token = b.get("/login/two-factor").await.csrf();
    env.clock.advance(5 * 60 + 1);
    assert_eq!(b.get("/login/two-factor").await.location(), Some("/login"));
    let code = tf.code(env.clock.now());
    let p = b
        .post(
            "/login/two-factor",
            &[("csrf_token", &token), ("code", &code)],
        )
        .await;
    assert_eq!((p.status, p.location()), (303, Some("/login")));
    assert!(!b.get("/").await.body.contains("Hello,"));
    // Nothing pending at all: the same.
    let mut c = env.browser();
    assert_eq!(c.get("/login/two-factor").await.location(), Some("/login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_codes_end_the_pending_sign_in_and_count_as_failed_logins() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    a.logout().await;
    let mut b = waiting(&env, "alice").await;
    for _ in 0..5 {
        let p = b.second_step(&[("code", "000000")]).await;
        assert_eq!(p.status, 401);
        assert!(p.body.contains(INCORRECT));
    }
    let form = b.get("/login/two-factor").await;
    assert_eq!(
        form.location(),
        Some("/login"),
        "the password is needed again"
    );
    // Five failures for the username: the password is refused for now.
    let p = env.browser().login("alice", PASSWORD, false).await;
    assert_eq!(p.status, 429, "{}", p.body);
    env.clock.advance(16 * 60);
    let mut c = waiting(&env, "alice").await;
    let p = c.second_step(&[("code", &tf.code(env.clock.now()))]).await;
    assert_eq!(p.location(), Some("/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_step_keeps_remember_and_next() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    a.logout().await;
    let mut b = env.browser();
    let target = "/login?next=%2Faccount%2Fpassword";
    let token = b.get(target).await.csrf();
    let fields = [
        ("username", "alice"),
        ("password", PASSWORD),
        ("remember", "on"),
        ("csrf_token", token.as_str()),
    ];
    assert_eq!(
        b.post(target, &fields).await.location(),
        Some("/login/two-factor")
    );
    let p = b.second_step(&[("code", &tf.code(env.clock.now()))]).await;
    assert_eq!(p.location(), Some("/account/password"));
    let session = p.set_cookie("__Host-session").expect("a session");
    assert!(session.contains("Max-Age="), "remembered: {session}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_answered_as_without_two_factor() {
    let env = Env::start().await;
    member_with_two_factor(&env, "Alice").await;
    let mut bob = env.browser();
    bob.register("Bobby", "bobby@example.com", PASSWORD).await;
    let answer = |name: &str| {
        let env = &env;
        let name = name.to_string();
        async move {
            let p = env.browser().login(&name, "wrong-password-1", false).await;
            let cookies: Vec<String> = p
                .set_cookies
                .iter()
                .map(|c| c.split('=').next().unwrap_or_default().to_string())
                .collect();
            let body = p.body.replace(&p.csrf(), "TOKEN").replace(&name, "NAME");
            (p.status, p.location().map(str::to_string), cookies, body)
        }
    };
    let (with, without) = (answer("alice").await, answer("bobby").await);
    assert_eq!(with.0, 401);
    assert_eq!(with, without);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_recovery_codes_replace_the_old() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    new_mail(&env, &mut seen).await;
    let page = a.get("/account/two-factor").await;
    let code = tf.code(env.clock.now());
    let fields = [
        ("csrf_token", page.csrf()),
        ("password", PASSWORD.into()),
        ("code", code),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = a.post("/account/two-factor/recovery-codes", &fields).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let fresh = recovery_codes(&p);
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !tf.recovery.contains(c)));
    let mails = new_mail(&env, &mut seen).await;
    assert!(mails
        .iter()
        .any(|m| m.subject.contains("New recovery codes were made")));
    // The same code again (its step is used), then the old and new codes.
    let p = a.post("/account/two-factor/recovery-codes", &fields).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains(USED));
    a.logout().await;
    let p = waiting(&env, "alice")
        .await
        .second_step(&[("recovery_code", &tf.recovery[0])])
        .await;
    assert!(p.body.contains(INCORRECT), "an old code");
    let p = waiting(&env, "alice")
        .await
        .second_step(&[("recovery_code", &fresh[0])])
        .await;
    assert_eq!(p.location(), Some("/"), "a new code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_it_off_ends_other_sessions_and_forgets_trusted_browsers() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    let mut trusted = waiting(&env, "alice").await;
    let code = tf.code(env.clock.now());
    let p = trusted
        .second_step(&[("code", &code), ("trust", "on")])
        .await;
    assert_eq!(p.location(), Some("/"));
    new_mail(&env, &mut seen).await;
    env.clock.advance(30);
    let page = a.get("/account/two-factor").await;
    // A wrong code changes nothing.
    let off = |code: &str| {
        let token = page.csrf();
        vec![
            ("csrf_token", token),
            ("password", PASSWORD.to_string()),
            ("code", code.to_string()),
        ]
    };
    let fields = off("000000");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        a.post("/account/two-factor/disable", &fields).await.status,
        401
    );
    assert_eq!(env.app.second_factor("alice").await, Some((true, 10)));
    let fields = off(&tf.code(env.clock.now()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = a.post("/account/two-factor/disable", &fields).await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/account")),
        "{}",
        p.body
    );
    assert!(a
        .get("/account")
        .await
        .body
        .contains("Two-factor authentication is off."));
    assert_eq!(env.app.second_factor("alice").await, Some((false, 0)));
    assert!(
        !trusted.get("/").await.body.contains("Hello,"),
        "the other session ended"
    );
    let id = env.app.account_id("alice").await.unwrap();
    let keys = env.app.partition_keys(&id).await;
    assert!(keys.iter().all(|k| !k.starts_with("trusted#")), "{keys:?}");
    let mails = new_mail(&env, &mut seen).await;
    assert!(mails
        .iter()
        .any(|m| m.subject.contains("Two-factor sign-in was turned off")));
    // Signing in takes the password alone again.
    assert_eq!(
        env.browser()
            .login("alice", PASSWORD, false)
            .await
            .location(),
        Some("/")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_code_turns_it_off() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    let page = a.get("/account/two-factor").await;
    let token = page.csrf();
    let fields = [
        ("csrf_token", token.as_str()),
        ("password", PASSWORD),
        ("recovery_code", tf.recovery[9].as_str()),
    ];
    let p = a.post("/account/two-factor/disable", &fields).await;
    assert_eq!(p.location(), Some("/account"), "{}", p.body);
    assert_eq!(env.app.second_factor("alice").await, Some((false, 0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_codes_get_five_answers_at_most() {
    let env = Env::start_with(&[("LOGIN_IP_LIMIT", "1000")]).await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    a.logout().await;
    let mut b = waiting(&env, "alice").await;
    let token = b.get("/login/two-factor").await.csrf();
    let cookies = b.cookies.clone();
    let mut tries = Vec::new();
    for i in 0..8 {
        let mut copy = env.browser();
        copy.cookies = cookies.clone();
        let token = token.clone();
        tries.push(tokio::spawn(async move {
            let code = format!("{:06}", 100_000 + i);
            copy.post(
                "/login/two-factor",
                &[("csrf_token", &token), ("code", &code)],
            )
            .await
        }));
    }
    let mut answered = 0;
    for t in tries {
        let p = t.await.unwrap();
        match p.status {
            401 => answered += 1,
            303 => assert_eq!(p.location(), Some("/login")),
            other => panic!("{other}: {}", p.body),
        }
    }
    assert!(answered <= 5, "{answered} codes were checked");
    // The right code now: the pending sign-in is over.
    let code = tf.code(env.clock.now());
    let p = b
        .post(
            "/login/two-factor",
            &[("csrf_token", &token), ("code", &code)],
        )
        .await;
    assert_eq!(p.location(), Some("/login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_with_a_code_resets_the_device_counter_that_counted_the_password() {
    let env = Env::start().await;
    let (mut a, tf) = member_with_two_factor(&env, "Alice").await;
    a.logout().await;
    // One browser, its device cookie kept: more sign-ins than the 5 a
    // window counts, each with the password and a code.
    for i in 0..7 {
        env.clock.advance(30);
        let p = a.login("alice", PASSWORD, false).await;
        assert_eq!(
            p.location(),
            Some("/login/two-factor"),
            "sign-in {i}: {}",
            p.body
        );
        let p = a.second_step(&[("code", &tf.code(env.clock.now()))]).await;
        assert_eq!(p.location(), Some("/"), "sign-in {i}");
        a.logout().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_it_on_ends_the_device_cookies_issued_before() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut kept = env.browser();
    assert_eq!(
        kept.login("alice", PASSWORD, false).await.location(),
        Some("/")
    );
    kept.cookies.retain(|(n, _)| n == "__Host-device");
    a.enable_two_factor(PASSWORD).await;
    // Others lock the name; the cookie from before no longer gets past.
    let mut guesser = env.browser();
    guesser.source_ip = "198.51.100.66".into();
    for _ in 0..6 {
        guesser.login("alice", "wrong-password", false).await;
    }
    assert_eq!(
        kept.login("alice", "wrong-password-2", false).await.status,
        429
    );
    // This browser's was renewed with it, and still does.
    a.cookies.retain(|(n, _)| n == "__Host-device");
    assert_eq!(
        a.login("alice", "wrong-password-2", false).await.status,
        401
    );
}
