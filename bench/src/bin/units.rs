//! DynamoDB calls and capacity units per route, as DynamoDB (here Dynoxide)
//! reports them with `ReturnConsumedCapacity: TOTAL`.

#[tokio::main]
async fn main() {
    let endpoint = bench::dynamodb().await;
    let app = bench::app(&endpoint);
    let usage = || app.usage();
    let mut rows: Vec<(&str, shared::testing::UsageCount)> = Vec::new();

    let mut jar = Vec::new();
    let form = bench::send(&app, &mut jar, "GET", "/register", None, 200).await;
    rows.push(("GET /register", usage()));
    let body = format!(
        "username=Units&email=units%40example.com&password=bench-password-123&csrf_token={}&request_id={}",
        bench::input(&form, "csrf_token"),
        bench::input(&form, "request_id")
    );
    bench::send(&app, &mut jar, "POST", "/register", Some(&body), 303).await;
    rows.push(("POST /register", usage()));
    let home = bench::send(&app, &mut jar, "GET", "/", None, 200).await;
    rows.push(("GET / (signed in)", usage()));
    bench::send(&app, &mut jar, "GET", "/account", None, 200).await;
    rows.push(("GET /account", usage()));
    let body = format!("csrf_token={}", bench::input(&home, "csrf_token"));
    bench::send(&app, &mut jar, "POST", "/logout", Some(&body), 303).await;
    rows.push(("POST /logout", usage()));
    // A browser without the device cookie registration set (logging out
    // with Clear-Site-Data removes it in a real browser too).
    jar.retain(|(n, _)| !n.ends_with("device"));
    let form = bench::send(&app, &mut jar, "GET", "/login", None, 200).await;
    rows.push(("GET /login", usage()));
    let token = bench::input(&form, "csrf_token");
    let body = format!("username=units&password=wrong-password-1&csrf_token={token}");
    bench::send(&app, &mut jar, "POST", "/login", Some(&body), 401).await;
    rows.push(("POST /login (wrong password)", usage()));
    let body = format!("username=units&password=bench-password-123&csrf_token={token}");
    bench::send(&app, &mut jar, "POST", "/login", Some(&body), 303).await;
    rows.push(("POST /login (success)", usage()));
    // The same browser once its session has ended: its device cookie.
    jar.retain(|(n, _)| !n.ends_with("session"));
    bench::send(&app, &mut jar, "POST", "/login", Some(&body), 303).await;
    rows.push(("POST /login (device cookie)", usage()));
    rows.push(("POST /login (locked)", locked(&app).await));
    two_factor_rows(&app, &mut rows).await;
    lifecycle_rows(&app, &mut rows).await;
    link_rows(&mut rows).await;
    print(rows);
}

/// The links from the outbox, followed: the confirmation, the reset, and
/// the mailer's own calls per message (an app with the mail path).
async fn link_rows(rows: &mut Vec<(&'static str, shared::testing::UsageCount)>) {
    use shared::testing::{Env, PASSWORD};
    let env = Env::start_mail(&[]).await;
    let usage = || env.app.usage();
    let mut b = env.browser();
    b.register("Links", "links@example.com", PASSWORD).await;
    env.pump_mail().await;
    let confirm = last_link(&env, "/email/verify?token=");
    usage();
    assert_eq!(b.get(&confirm).await.status, 303);
    rows.push(("GET /email/verify (a link)", usage()));
    let form = b.get("/password/forgot").await;
    b.post(
        "/password/forgot",
        &[("email", "links@example.com"), ("csrf_token", &form.csrf())],
    )
    .await;
    env.pump_mail().await;
    let reset = last_link(&env, "/password/reset?token=");
    let mut r = env.browser();
    usage();
    assert_eq!(r.get(&reset).await.status, 303);
    rows.push(("GET /password/reset?token=", usage()));
    let form = r.get("/password/reset").await;
    usage();
    let fields = [
        ("new_password", "bench-reset-password-7"),
        ("csrf_token", &form.csrf()),
    ];
    assert_eq!(r.post("/password/reset", &fields).await.status, 303);
    rows.push(("POST /password/reset (1 session)", usage()));
}

/// The newest link starting with `prefix` in the outbox (quoted-printable
/// undone).
fn last_link(env: &shared::testing::Env, prefix: &str) -> String {
    let (_, bytes) = env.outbox().pop().expect("a message");
    let text = String::from_utf8_lossy(&bytes)
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let at = text.find(prefix).expect("a link");
    text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect()
}

/// Five wrong passwords lock the name; the sixth attempt is refused before
/// the account is read: its usage.
async fn locked(app: &std::sync::Arc<shared::App>) -> shared::testing::UsageCount {
    let app = app.clone();
    let mut other = Vec::new();
    let token = bench::input(
        &bench::send(&app, &mut other, "GET", "/login", None, 200).await,
        "csrf_token",
    );
    let wrong = format!("username=units&password=wrong-password-1&csrf_token={token}");
    for _ in 0..5 {
        bench::send(&app, &mut other, "POST", "/login", Some(&wrong), 401).await;
    }
    app.usage();
    bench::send(&app, &mut other, "POST", "/login", Some(&wrong), 429).await;
    app.usage()
}

/// Two-factor sign-in, each step once: set up, turn on, the password step
/// (pending), the code step (with "trust"), then the trusted browser's
/// sign-in.
async fn two_factor_rows(
    app: &std::sync::Arc<shared::App>,
    rows: &mut Vec<(&'static str, shared::testing::UsageCount)>,
) {
    use shared::testing::{totp_code, totp_secret, Browser};
    const PASSWORD: &str = "bench-password-123";
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    };
    let usage = || app.usage();
    let mut b = Browser::new(app.clone(), true);
    b.register("Second", "second@example.com", PASSWORD).await;
    usage();
    let page = b.get("/account/two-factor").await;
    rows.push(("GET /account/two-factor", usage()));
    let key = totp_secret(&page).expect("the set-up key");
    let code = totp_code(&key, now());
    let fields = [
        ("csrf_token", page.csrf()),
        ("password", PASSWORD.into()),
        ("code", code),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post("/account/two-factor", &fields).await.status, 200);
    rows.push(("POST /account/two-factor (on)", usage()));
    let mut t = Browser::new(app.clone(), true);
    let form = t.get("/login").await;
    usage();
    let fields = [
        ("username", "second"),
        ("password", PASSWORD),
        ("csrf_token", &form.csrf()),
    ];
    assert_eq!(
        t.post("/login", &fields).await.location(),
        Some("/login/two-factor")
    );
    rows.push(("POST /login (2FA: pending)", usage()));
    let form = t.get("/login/two-factor").await;
    rows.push(("GET /login/two-factor", usage()));
    // The next step's code: this one was used turning it on.
    let code = totp_code(&key, now() + 30);
    let fields = [
        ("csrf_token", form.csrf()),
        ("code", code),
        ("trust", "on".into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        t.post("/login/two-factor", &fields).await.location(),
        Some("/")
    );
    rows.push(("POST /login/two-factor", usage()));
    t.cookies.retain(|(n, _)| !n.ends_with("session"));
    let form = t.get("/login").await;
    usage();
    let fields = [
        ("username", "second"),
        ("password", PASSWORD),
        ("csrf_token", &form.csrf()),
    ];
    assert_eq!(t.post("/login", &fields).await.location(), Some("/"));
    rows.push(("POST /login (trusted browser)", usage()));
}

fn print(rows: Vec<(&str, shared::testing::UsageCount)>) {
    println!("DynamoDB per route (ReturnConsumedCapacity: TOTAL; strongly consistent reads)");
    println!("{:<30} {:>6} {:>8} {:>8}", "route", "calls", "RCU", "WCU");
    for (route, u) in rows {
        println!(
            "{:<30} {:>6} {:>8.1} {:>8.1}",
            route, u.calls, u.read_units, u.write_units
        );
    }
}

/// The lifecycle routes, each once, as a signed-in person would use them.
async fn lifecycle_rows(
    app: &std::sync::Arc<shared::App>,
    rows: &mut Vec<(&'static str, shared::testing::UsageCount)>,
) {
    let usage = || app.usage();
    let mut jar = Vec::new();
    let form = bench::send(app, &mut jar, "GET", "/register", None, 200).await;
    let body = format!(
        "username=Cycle&email=cycle%40example.com&password=bench-password-123&csrf_token={}&request_id={}",
        bench::input(&form, "csrf_token"),
        bench::input(&form, "request_id")
    );
    bench::send(app, &mut jar, "POST", "/register", Some(&body), 303).await;
    usage();
    let page = bench::send(app, &mut jar, "GET", "/account/password", None, 200).await;
    rows.push(("GET /account/password", usage()));
    let token = bench::input(&page, "csrf_token");
    let body = format!(
        "current_password=bench-password-123&new_password=bench-password-456&csrf_token={token}"
    );
    bench::send(app, &mut jar, "POST", "/account/password", Some(&body), 303).await;
    rows.push(("POST /account/password", usage()));
    let page = bench::send(app, &mut jar, "GET", "/account", None, 200).await;
    usage();
    let body = format!("csrf_token={}", bench::input(&page, "csrf_token"));
    bench::send(
        app,
        &mut jar,
        "POST",
        "/account/email/resend",
        Some(&body),
        303,
    )
    .await;
    rows.push(("POST /account/email/resend", usage()));
    let mut anon = Vec::new();
    let form = bench::send(app, &mut anon, "GET", "/password/forgot", None, 200).await;
    let token = bench::input(&form, "csrf_token");
    usage();
    for (label, email) in [
        ("POST /password/forgot (account)", "cycle"),
        ("POST /password/forgot (no account)", "nobody"),
    ] {
        let body = format!("email={email}%40example.com&csrf_token={token}");
        bench::send(app, &mut anon, "POST", "/password/forgot", Some(&body), 303).await;
        rows.push((label, usage()));
    }
    bench::send(
        app,
        &mut anon,
        "GET",
        "/email/verify?token=Zm9yZ2V0LW1lLW5vdC1hLXJlYWwtdG9rZW4tRVhBTVA",
        None,
        410,
    )
    .await;
    rows.push(("GET /email/verify (unknown link)", usage()));
    let page = bench::send(app, &mut jar, "GET", "/account/delete", None, 200).await;
    rows.push(("GET /account/delete", usage()));
    let body = format!(
        "password=bench-password-456&csrf_token={}",
        bench::input(&page, "csrf_token")
    );
    bench::send(app, &mut jar, "POST", "/account/delete", Some(&body), 303).await;
    rows.push(("POST /account/delete", usage()));
    forgot_timing(app).await;
}

/// POST /password/forgot for addresses with and without an account,
/// interleaved, each address once (under its hourly cap): the medians side
/// by side.
async fn forgot_timing(app: &std::sync::Arc<shared::App>) {
    const N: usize = 40;
    let mut jar = Vec::new();
    for i in 0..N {
        let form = bench::send(app, &mut jar, "GET", "/register", None, 200).await;
        let body = format!(
            "username=timing{i}&email=timing{i}%40example.com&password=bench-password-123&csrf_token={}&request_id={}",
            bench::input(&form, "csrf_token"),
            bench::input(&form, "request_id")
        );
        bench::send(app, &mut jar, "POST", "/register", Some(&body), 303).await;
        jar.clear();
    }
    let form = bench::send(app, &mut jar, "GET", "/password/forgot", None, 200).await;
    let token = bench::input(&form, "csrf_token");
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..N {
        for (times, email) in [
            (&mut known, format!("timing{i}")),
            (&mut unknown, format!("absent{i}")),
        ] {
            let body = format!("email={email}%40example.com&csrf_token={token}");
            let started = std::time::Instant::now();
            bench::send(app, &mut jar, "POST", "/password/forgot", Some(&body), 303).await;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[v.len() * 9 / 10])
    };
    let (k, u) = (stats(&mut known), stats(&mut unknown));
    println!("POST /password/forgot, {N} each, interleaved, Dynoxide over HTTP (ms):");
    println!(
        "  address with an account:    median {:.3}  p90 {:.3}",
        k.0, k.1
    );
    println!(
        "  address without an account: median {:.3}  p90 {:.3}",
        u.0, u.1
    );
}
