//! Cold starts, measured the way Lambda starts a function: a local stand-in
//! for the Lambda Runtime API execs each release `bootstrap` with a
//! Lambda-like environment and times exec -> its first
//! `GET /2018-06-01/runtime/invocation/next` (init), then the first and the
//! warm invocations. Two references run in the same harness: a bare
//! lambda_http hello-world and the naive SDK pattern. Then `home` once more
//! with DynamoDB behind a TLS front, without and with `DYNAMODB_WARM_UP`, to
//! show what opening the connection during init moves and costs.
//!
//! `coldstart [RUNS] [TARGET_DIR]` (default 20 runs, target/release).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use shared::testing::runtime_api::{RuntimeApi, Seen};

struct Run {
    init: Duration,
    first: Duration,
    warm: Vec<Duration>,
}

/// Starts `binary` under a fresh Runtime API stand-in, delivers `events`,
/// and times init, the first invocation and the warm ones. Every answer
/// must contain `expect` (its status, or the mailer's batch answer): a
/// refused or failed invocation is not timed as if it were the page.
async fn run_once(
    binary: &std::path::Path,
    env: &[(String, String)],
    events: &[String],
    expect: &str,
) -> Result<Run, String> {
    let mut api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
    for e in events {
        api.push(e.clone());
    }
    let mut cmd = api.command(binary, env);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;

    let mut marks = Vec::new();
    let want = 1 + 2 * events.len(); // next, (response, next) per event
    let collect = async {
        while marks.len() < want {
            match api.seen().await {
                Some(Seen::Next(t)) => marks.push(t),
                Some(Seen::Response(t, body)) => {
                    if !body.contains(expect) {
                        return Err(format!(
                            "expected {expect}, got: {}",
                            &body[..body.len().min(200)]
                        ));
                    }
                    marks.push(t)
                }
                Some(Seen::Error(e)) => return Err(format!("function reported an error: {e}")),
                None => return Err("stand-in stopped".into()),
            }
        }
        Ok(())
    };
    let outcome = tokio::time::timeout(Duration::from_secs(30), collect).await;
    let _ = child.kill().await;
    outcome.map_err(|_| format!("{}: timed out", binary.display()))??;
    Ok(Run {
        init: marks[0] - started,
        first: marks[1] - marks[0],
        warm: marks[2..].chunks_exact(2).map(|w| w[1] - w[0]).collect(),
    })
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => ms(v[n / 2]),
        n => (ms(v[n / 2 - 1]) + ms(v[n / 2])) / 2.0,
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/release".into()));

    let endpoint = bench::dynamodb().await;
    let app = bench::app(&endpoint);
    let session = bench::signed_in(&app, "coldstart").await;
    let env = bench::env(&endpoint);
    let ev = |method: &str, target: &str, cookies: &[String]| {
        bench::event(method, target, cookies, None).to_string()
    };
    // Each function's first and warm invocations: a typical page for it,
    // signed in where that costs a DynamoDB read.
    // What each must answer: the page (200), or the invalid-link page
    // (400: no token), or a redirect (303), or the mailer's batch answer.
    let (ok, invalid_link, redirect, batch) = (
        "\"statusCode\":200",
        "\"statusCode\":400",
        "\"statusCode\":303",
        "batchItemFailures",
    );
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        ("ref-hello", vec![ev("GET", "/", &[]); 6], ok),
        ("ref-naive-sdk", vec![ev("GET", "/", &[]); 6], ok),
        ("home", vec![ev("GET", "/", &session); 6], ok),
        ("login", vec![ev("GET", "/login", &[]); 6], ok),
        ("register", vec![ev("GET", "/register", &[]); 6], ok),
        ("logout", vec![ev("GET", "/logout", &session); 6], ok),
        ("password", vec![ev("GET", "/password/forgot", &[]); 6], ok),
        (
            "delete",
            vec![ev("GET", "/account/delete", &session); 6],
            ok,
        ),
        (
            "email",
            vec![ev("GET", "/email/verify", &[]); 6],
            invalid_link,
        ),
        (
            "twofactor",
            vec![ev("GET", "/account/two-factor", &session); 6],
            ok,
        ),
        // No sign-in waiting: sent to log in.
        (
            "twostep",
            vec![ev("GET", "/login/two-factor", &[]); 6],
            redirect,
        ),
        (
            "passkey",
            vec![ev("GET", "/account/passkeys", &session); 6],
            ok,
        ),
        ("mailer", vec![r#"{"Records":[]}"#.to_string(); 6], batch),
    ];

    println!(
        "Cold start under a Runtime API stand-in: {runs} runs each, medians (ms); {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!(
        "{:<14} {:>8} {:>10} {:>8} {:>12} {:>10}",
        "function", "init", "first inv", "warm", "init/hello", "init/naive"
    );
    let mut inits: Vec<(String, f64)> = Vec::new();
    let mut failed = false;
    for (name, events, expect) in &cases {
        let binary = dir.join(name);
        let mut init = Vec::new();
        let mut first = Vec::new();
        let mut warm = Vec::new();
        // One unmeasured run warms the page cache for the binary.
        let _ = run_once(&binary, &env, events, expect).await;
        for _ in 0..runs {
            match run_once(&binary, &env, events, expect).await {
                Ok(r) => {
                    init.push(r.init);
                    first.push(r.first);
                    warm.extend(r.warm);
                }
                Err(e) => {
                    eprintln!("{name}: {e}");
                    failed = true;
                    break;
                }
            }
        }
        let m = median(init);
        inits.push((name.to_string(), m));
        let hello = inits.first().map(|(_, v)| *v).unwrap_or(f64::NAN);
        let naive = inits.get(1).map(|(_, v)| *v).unwrap_or(f64::NAN);
        println!(
            "{:<14} {:>8.2} {:>10.2} {:>8.3} {:>12.2} {:>10.2}",
            name,
            m,
            median(first),
            median(warm),
            m / hello,
            m / naive
        );
    }

    let hello = inits[0].1;
    let naive = inits[1].1;
    let ok = inits[2..]
        .iter()
        .all(|(_, m)| *m <= naive && *m <= 2.0 * hello);
    println!(
        "target (every function: init <= naive SDK and <= 2x hello): {}",
        if ok { "met" } else { "NOT met" }
    );

    // The first DynamoDB call over TLS, and DYNAMODB_WARM_UP moving its
    // handshake into init. Loopback: the handshake's CPU, no network.
    if let Some((https, ca)) = bench::tls_front(&endpoint).await {
        println!();
        println!(
            "home, signed-in GET /, DynamoDB behind TLS on loopback: {runs} runs each, medians (ms)"
        );
        println!(
            "{:<24} {:>8} {:>10} {:>12} {:>8}",
            "DYNAMODB_WARM_UP", "init", "first inv", "init + first", "warm"
        );
        for warm_up in ["0", "1"] {
            let mut env = env.clone();
            env.retain(|(k, _)| k != "DYNAMODB_ENDPOINT");
            for (k, v) in [
                ("DYNAMODB_ENDPOINT", https.as_str()),
                ("DYNAMODB_TRUST_SYSTEM_ROOTS", "1"),
                ("SSL_CERT_FILE", &ca.to_string_lossy()),
                ("DYNAMODB_WARM_UP", warm_up),
            ] {
                env.push((k.to_string(), v.to_string()));
            }
            let binary = dir.join("home");
            let events = vec![ev("GET", "/", &session); 6];
            let (mut init, mut first, mut both, mut warm) = (vec![], vec![], vec![], vec![]);
            let _ = run_once(&binary, &env, &events, "\"statusCode\":200").await;
            for _ in 0..runs {
                match run_once(&binary, &env, &events, "\"statusCode\":200").await {
                    Ok(r) => {
                        init.push(r.init);
                        first.push(r.first);
                        both.push(r.init + r.first);
                        warm.extend(r.warm);
                    }
                    Err(e) => {
                        eprintln!("home over TLS: {e}");
                        failed = true;
                        break;
                    }
                }
            }
            println!(
                "{:<24} {:>8.2} {:>10.2} {:>12.2} {:>8.3}",
                warm_up,
                median(init),
                median(first),
                median(both),
                median(warm)
            );
        }
        let _ = std::fs::remove_dir_all(ca.parent().unwrap_or(&ca));
    } else {
        println!("\nDynamoDB behind TLS: skipped (needs the openssl command)");
    }

    if failed {
        std::process::exit(1);
    }
}
