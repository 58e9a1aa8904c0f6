//! The shipped `events/*.json` (API Gateway HTTP API v2 events, as used with
//! `cargo lambda invoke --data-file`) run through the real handlers.

use base64::Engine;
use shared::testing::*;
use shared::Function;

fn fixture(name: &str) -> serde_json::Value {
    let path = crate::repo_file(&format!("events/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_gets_the_expected_answer() {
    let env = Env::start().await;
    for (name, status) in [
        ("home-get", 200),
        ("account-get", 303),
        ("login-get", 200),
        // Raw characters that http::Uri refuses: the page, the query ignored...
        ("login-get-raw-query", 200),
        // ...or, in the path, no such page.
        ("login-get-raw-path", 404),
        ("register-get", 200),
        ("logout-get", 303),
        // Fixtures carry placeholder CSRF tokens: refused, nothing changed.
        ("login-post", 403),
        ("register-post", 403),
        // ...and example session cookies, signed with no real key: no live
        // session, so logging out is the usual redirect, and the revoke
        // forms ask to log in. Nothing changes either way.
        ("logout-post", 303),
        ("revoke-post", 303),
        ("revoke-others-post", 303),
        ("password-get", 303),
        ("password-post", 303),
        ("delete-get", 303),
        ("delete-post", 303),
        ("email-resend-post", 303),
        ("forgot-get", 200),
        ("forgot-post", 403),
        // A well-formed token that no link has: the invalid-link page.
        ("reset-get", 410),
        ("reset-post", 403),
        ("email-verify-get", 410),
    ] {
        let ev = fixture(name);
        let path = ev["rawPath"].as_str().unwrap().to_string();
        let mut b = env.browser();
        let p = b.send_event(&ev.to_string(), &path).await;
        assert_eq!(p.status, status, "{name}: {}", p.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_fixture_signs_in_with_a_real_token() {
    let env = Env::start().await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let mut b = env.browser();
    let token = b.get("/login").await.csrf();
    let mut ev = fixture("login-post");
    let body = format!("username=Alice&password={PASSWORD}&remember=on&csrf_token={token}");
    ev["body"] = base64::engine::general_purpose::STANDARD
        .encode(body)
        .into();
    ev["cookies"] = b
        .cookies
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .into();
    let p = b.send_event(&ev.to_string(), "/login").await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/account")),
        "{}",
        p.body
    );
    assert!(b.get("/account").await.body.contains("alice@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_serves_its_routes_with_only_its_own_templates() {
    let env = Env::start().await;
    let config = shared::Config::from_lookup(|k| match k {
        "SESSION_SECRET" => Some(SECRET.to_string()),
        "DYNAMODB_ENDPOINT" => Some(env.endpoint.clone()),
        _ => None,
    })
    .unwrap();
    // Signed in, so that /account and /logout render their pages.
    let mut full = env.browser();
    full.register("Alice", "alice@example.com", PASSWORD).await;
    for function in [
        Function::Home,
        Function::Login,
        Function::Register,
        Function::Logout,
        Function::Password,
        Function::Delete,
        Function::Email,
    ] {
        let app = std::sync::Arc::new(
            shared::App::for_function(config.clone(), env.clock.clone(), function).unwrap(),
        );
        for route in shared::ROUTES {
            if route.function != function || route.method != "GET" {
                continue;
            }
            let path = route.path;
            for signed_in in [false, true] {
                let mut b = Browser::new(app.clone(), true);
                if signed_in {
                    b.cookies = full.cookies.clone();
                }
                let p = b.get(path).await;
                let want = expected_get(path, signed_in);
                assert_eq!(p.status, want, "{path} signed in {signed_in}: {}", p.body);
                if signed_in && want == 200 {
                    assert!(p.body.contains("Alice"), "{path}: not signed in");
                }
            }
        }
        // Errors render too.
        let mut b = Browser::new(app.clone(), true);
        let p = b
            .post_raw(function_path(function), b"x", "text/plain")
            .await;
        assert_eq!(p.status, 415);
    }
}

/// What a GET of each page answers, anonymous or signed in.
fn expected_get(path: &str, signed_in: bool) -> u16 {
    match (path, signed_in) {
        ("/" | "/password/forgot", _) => 200,
        // Members' pages: to log in first.
        ("/account" | "/logout" | "/account/password" | "/account/delete", false) => 303,
        ("/account" | "/logout" | "/account/password" | "/account/delete", true) => 200,
        // Guests' forms: home when signed in.
        ("/login" | "/register", false) => 200,
        ("/login" | "/register", true) => 303,
        // A link's page without its token.
        ("/password/reset" | "/email/verify", _) => 400,
        _ => panic!("{path}: no expected status; add it"),
    }
}

fn function_path(f: Function) -> &'static str {
    shared::ROUTES
        .iter()
        .find(|r| r.function == f && r.method == "POST")
        .map(|r| r.path)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailer_fixture_is_a_stream_event_it_answers() {
    let env = Env::start().await;
    let outbox = std::env::temp_dir().join(format!("unused-outbox-{}", std::process::id()));
    let vars: std::collections::HashMap<&str, String> = [
        ("SESSION_SECRET", SECRET.to_string()),
        ("DYNAMODB_ENDPOINT", env.endpoint.clone()),
        ("MAIL_OUTBOX", outbox.to_string_lossy().to_string()),
    ]
    .into();
    let config = shared::Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let mailer = shared::Mailer::new(config, env.clock.clone()).unwrap();
    // An INSERT for an account that does not exist: dropped, no failure.
    let answer = mailer.handle_json(fixture("mailer-stream")).await;
    assert!(answer.batch_item_failures.is_empty());
    assert!(!outbox.exists(), "nothing written");
}
