//! Raw characters in the URL never abort a function. A release `login`
//! binary (`panic = "abort"`, as deployed) runs under the Runtime API
//! stand-in and gets an event with each character that `http::Uri` refuses
//! in `rawQueryString` and in `rawPath`; it must answer every one with a
//! page and still be alive afterwards.

use std::path::PathBuf;
use std::time::Duration;

use shared::testing::runtime_api::{RuntimeApi, Seen};

/// Builds the release `login` binary (the tests' own build is debug, which
/// unwinds instead of aborting) and returns its path.
fn release_login() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "login",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run cargo build");
    assert!(
        out.status.success(),
        "cargo build --release -p login failed"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["target"]["name"] == "login")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported the login executable")
}

fn event(raw_path: &str, raw_query: &str) -> String {
    let mut ev = bench::event("GET", "/login", &[], None);
    ev["rawPath"] = raw_path.into();
    ev["rawQueryString"] = raw_query.into();
    ev.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_urls_get_pages_and_the_process_lives_on() {
    let binary = release_login();
    let mut api = RuntimeApi::start().await.unwrap();
    let env = [
        ("SESSION_SECRET".to_string(), bench::SECRET.to_string()),
        // No route under test reads DynamoDB; a closed port proves it.
        ("DYNAMODB_ENDPOINT".into(), "http://127.0.0.1:9".into()),
    ];
    let mut child = api.command(&binary, &env).spawn().unwrap();
    let raw = [
        "\"", "<", ">", " ", "{", "}", "|", "\\", "`", "^", "é", "\u{1}", "\t", "\u{7f}", "%",
        "%zz", "\u{2028}",
    ];
    let mut cases = Vec::new();
    for c in raw {
        cases.push((format!("next=/acc{c}ount&x={c}"), "/login".to_string(), 200));
        cases.push((String::new(), format!("/login{c}"), 404));
    }
    cases.push(("next=%2Faccount".into(), "/login".into(), 200));
    for (query, path, _) in &cases {
        api.push(event(path, query));
    }
    let mut answered = 0;
    let wait = async {
        while answered < cases.len() {
            match api.seen().await.expect("stand-in running") {
                Seen::Next(_) => {}
                Seen::Response(_, body) => {
                    let (query, path, status) = &cases[answered];
                    let r: serde_json::Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(r["statusCode"], *status, "{path:?} ? {query:?}");
                    let html = r["body"].as_str().unwrap_or_default();
                    assert!(html.starts_with("<!doctype html>"), "{path:?}: {html}");
                    answered += 1;
                }
                Seen::Error(e) => panic!("the function reported an error: {e}"),
            }
        }
    };
    let done = tokio::time::timeout(Duration::from_secs(60), wait).await;
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill().await;
    assert!(
        done.is_ok(),
        "answered {answered} of {} events",
        cases.len()
    );
    assert!(alive, "the function exited");
}
