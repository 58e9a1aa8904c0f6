//! The shipped `events/*.json` (API Gateway HTTP API v2 events, as used with
//! `cargo lambda invoke --data-file`) run through the real handlers.

use base64::Engine;
use shared::testing::*;
use shared::{Access, Function, Route, ROUTES};

fn fixture(name: &str) -> serde_json::Value {
    let path = crate::repo_file(&format!("events/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "events/{name}.json is missing (every_route_has_its_event_fixture says what to write)"
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("events/{name}.json: {e}"))
}

/// The fixture every route has: `events/<path, slashes as dashes>-<method>.json`
/// (`home` for `/`).
pub(crate) fn fixture_name(r: &Route) -> String {
    let slug = match r.path.trim_start_matches('/') {
        "" => "home".to_string(),
        p => p.replace('/', "-"),
    };
    format!("{slug}-{}", r.method.to_lowercase())
}

#[test]
fn every_route_has_its_event_fixture() {
    let mut missing = Vec::new();
    for r in ROUTES {
        let name = fixture_name(r);
        let path = crate::repo_file(&format!("events/{name}.json"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            let like = ROUTES
                .iter()
                .find(|o| o.method == r.method && o.access == r.access && o.path != r.path)
                .map(fixture_name)
                .unwrap_or_else(|| "home-get".into());
            missing.push(format!(
                "events/{name}.json: copy events/{like}.json and set rawPath and \
                 requestContext.http.path to {} (method {})",
                r.path, r.method
            ));
            continue;
        };
        let ev: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(ev["rawPath"], r.path, "events/{name}.json: rawPath");
        assert_eq!(
            ev["requestContext"]["http"]["method"], r.method,
            "events/{name}.json: requestContext.http.method"
        );
    }
    assert!(
        missing.is_empty(),
        "every route has an event fixture:\n{}",
        missing.join("\n")
    );
}

/// What a route's fixture gets, sent as it is: fixtures carry no session
/// that lives, placeholder CSRF tokens (refused: nothing changes) and, for
/// a link's page, a well-formed token that no link has (the invalid-link
/// page). So it follows from who may see the route.
fn fixture_answer(r: &Route) -> u16 {
    match (r.method, r.access) {
        ("GET", Access::Anyone | Access::Guests) => 200,
        ("GET", Access::Members) => 303,
        ("GET", Access::LinkHolder) => 410,
        // No pending sign-in: back to the password.
        ("GET", Access::SecondStep) => 303,
        // A member's form without a live session: to log in (or, logging
        // out, home), nothing changed.
        (_, Access::Members) => 303,
        // Anyone else's form: its placeholder CSRF token is refused.
        _ => 403,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_gets_the_answer_its_route_implies() {
    let env = Env::start().await;
    let mut cases: Vec<(String, u16)> = ROUTES
        .iter()
        .map(|r| (fixture_name(r), fixture_answer(r)))
        .collect();
    // Raw characters that http::Uri refuses: the page, the query ignored,
    // or, in the path, no such page.
    cases.push(("login-get-raw-query".into(), 200));
    cases.push(("login-get-raw-path".into(), 404));
    for (name, status) in cases {
        let ev = fixture(&name);
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
        Function::TwoFactor,
        Function::TwoStep,
    ] {
        let app = std::sync::Arc::new(
            shared::App::for_function(config.clone(), env.clock.clone(), function).unwrap(),
        );
        for route in ROUTES {
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
                let want = expected_get(route, signed_in);
                assert_eq!(p.status, want, "{path} signed in {signed_in}: {}", p.body);
                if signed_in && want == 200 {
                    assert!(p.body.contains("Alice"), "{path}: not signed in");
                }
                // Where the redirect goes is the access's too.
                let to = match (route.access, signed_in) {
                    (Access::Members, false) => {
                        Some(format!("/login?next={}", shared::forms::encode(path)))
                    }
                    (Access::Guests | Access::SecondStep, true) => Some("/".into()),
                    (Access::SecondStep, false) => Some("/login".into()),
                    _ => None,
                };
                assert_eq!(
                    p.location().map(str::to_string),
                    to,
                    "{path} signed in {signed_in}"
                );
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

/// What a GET of each page answers, anonymous or signed in, as its
/// route's access says.
fn expected_get(r: &Route, signed_in: bool) -> u16 {
    match (r.access, signed_in) {
        (Access::Anyone, _) => 200,
        // Members' pages: to log in first; guests' forms: home.
        (Access::Members, false) | (Access::Guests, true) => 303,
        (Access::Members, true) | (Access::Guests, false) => 200,
        // A link's page without its token.
        (Access::LinkHolder, _) => 400,
        // The second step without a pending sign-in: to log in (signed
        // in: home, as every guests' form).
        (Access::SecondStep, _) => 303,
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
