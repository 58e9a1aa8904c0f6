//! Per-route latency in-process: each route through `App::handle` against
//! an embedded Dynoxide (total), the same with the time inside DynamoDB
//! calls taken out, each page's rendering alone, and Argon2id at the
//! configured parameters.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use shared::testing::Layout;
use tera::Context;

fn routes(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (app, session) = rt.block_on(async {
        let endpoint = bench::dynamodb().await;
        let app = bench::app(&endpoint);
        let session = bench::signed_in(&app, "benchuser").await;
        // The login benchmarks sign in as another user: each adds a session,
        // and thousands of them would change what /account shows benchuser.
        bench::signed_in(&app, "benchlogin").await;
        (app, session)
    });
    let anon: Vec<(String, String)> = Vec::new();
    let signed: Vec<(String, String)> = session
        .iter()
        .filter_map(|c| {
            c.split_once('=')
                .map(|(n, v)| (n.to_string(), v.to_string()))
        })
        .collect();

    // The GET routes: (name, path, cookies).
    let pages = [
        ("GET / anonymous", "/", &anon),
        ("GET / signed in", "/", &signed),
        ("GET /account", "/account", &signed),
        ("GET /login", "/login", &anon),
        ("GET /register", "/register", &anon),
        ("GET /logout", "/logout", &signed),
    ];

    let mut g = c.benchmark_group("route (total, with Dynoxide)");
    for (name, target, jar) in pages {
        g.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let app = app.clone();
                let mut jar = jar.clone();
                async move { bench::send(&app, &mut jar, "GET", target, None, 200).await }
            })
        });
    }
    g.sample_size(20);
    g.bench_function("POST /login (Argon2id verify)", |b| {
        b.to_async(&rt).iter_batched(
            || (),
            |_| {
                let app = app.clone();
                async move {
                    let mut jar = Vec::new();
                    let form = bench::send(&app, &mut jar, "GET", "/login", None, 200).await;
                    let token = bench::input(&form, "csrf_token");
                    let body = format!(
                        "username=benchlogin&password=bench-password-123&csrf_token={token}"
                    );
                    bench::send(&app, &mut jar, "POST", "/login", Some(&body), 303).await
                }
            },
            BatchSize::SmallInput,
        )
    });
    let n = std::sync::atomic::AtomicU64::new(0);
    g.bench_function("POST /register (Argon2id hash)", |b| {
        b.to_async(&rt).iter(|| {
            let app = app.clone();
            let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async move { bench::signed_in(&app, &format!("reg{i}")).await }
        })
    });
    g.finish();

    // The same routes with the time spent inside DynamoDB calls taken out
    // (an SDK interceptor adds it up): what the handler itself costs.
    let (timed, storage) = rt.block_on(async {
        let endpoint = app.config().dynamodb_endpoint.clone().unwrap_or_default();
        bench::timed_app(&endpoint)
    });
    let mut g = c.benchmark_group("route (storage excluded)");
    for (name, target, jar) in pages {
        g.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (app, storage, jar) = (timed.clone(), storage.clone(), jar.clone());
                async move {
                    storage.take();
                    let started = Instant::now();
                    for _ in 0..iters {
                        let mut jar = jar.clone();
                        bench::send(&app, &mut jar, "GET", target, None, 200).await;
                    }
                    started.elapsed().saturating_sub(storage.take())
                }
            })
        });
    }
    g.sample_size(20);
    g.bench_function("POST /login (Argon2id verify)", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (app, storage) = (timed.clone(), storage.clone());
            async move {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let mut jar = Vec::new();
                    let form = bench::send(&app, &mut jar, "GET", "/login", None, 200).await;
                    let token = bench::input(&form, "csrf_token");
                    let body = format!(
                        "username=benchlogin&password=bench-password-123&csrf_token={token}"
                    );
                    storage.take();
                    let started = Instant::now();
                    bench::send(&app, &mut jar, "POST", "/login", Some(&body), 303).await;
                    spent += started.elapsed().saturating_sub(storage.take());
                }
                spent
            }
        })
    });
    g.finish();

    // Rendering alone: the same pages with no storage involved.
    let signed_chrome = Layout::signed_in("benchuser");
    let anon_chrome = Layout::anonymous();
    let mut login = Context::new();
    login.insert("username", "");
    login.insert("remember", &false);
    login.insert("next", &Some("/account"));
    login.insert("next_encoded", &Some("%2Faccount"));
    login.insert("error", &None::<&str>);
    let mut register = Context::new();
    register.insert("username", "");
    register.insert("email", "");
    register.insert("request_id", "r".repeat(22).as_str());
    register.insert("error", &None::<&str>);
    register.insert("password_min", &8);
    let mut account = Context::new();
    let rows: Vec<serde_json::Value> = (0..5)
        .map(|i| serde_json::json!({"id": format!("id{i}"), "browser": "Firefox on Linux", "source_ip": "203.0.113.7",
            "started": "2026-11-25 10:00 UTC", "last_seen": "2026-11-25 11:00 UTC", "remember": i % 2 == 0, "current": i == 0}))
        .collect();
    account.insert("sessions", &rows);
    let mut g = c.benchmark_group("render (storage excluded)");
    for (name, template, chrome, ctx) in [
        (
            "index (anonymous)",
            "index.html",
            &anon_chrome,
            Context::new(),
        ),
        (
            "index (signed in)",
            "index.html",
            &signed_chrome,
            Context::new(),
        ),
        ("login", "login.html", &anon_chrome, login),
        ("register", "register.html", &anon_chrome, register),
        (
            "account (5 sessions)",
            "account.html",
            &signed_chrome,
            account,
        ),
        ("logout", "logout.html", &signed_chrome, Context::new()),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| app.render(template, chrome, ctx.clone()))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("argon2id (m=19456 KiB, t=2, p=1)");
    g.sample_size(20);
    g.bench_function("hash", |b| {
        b.to_async(&rt)
            .iter(|| app.hash_password("bench-password-123"))
    });
    g.finish();
}

criterion_group!(benches, routes);
criterion_main!(benches);
