//! DynamoDB calls and capacity units per route, as DynamoDB (here Dynoxide)
//! reports them with `ReturnConsumedCapacity: TOTAL`.

#[tokio::main]
async fn main() {
    let endpoint = bench::dynamodb().await;
    let app = bench::app(&endpoint);
    let usage = || app.usage();
    let mut rows: Vec<(&str, shared::testing::UsageCount)> = Vec::new();

    let mut jar = Vec::new();
    let form = bench::send(&app, &mut jar, "GET", "/register", None).await;
    rows.push(("GET /register", usage()));
    let body = format!(
        "username=Units&email=units%40example.com&password=bench-password-123&csrf_token={}&request_id={}",
        bench::input(&form, "csrf_token"),
        bench::input(&form, "request_id")
    );
    bench::send(&app, &mut jar, "POST", "/register", Some(&body)).await;
    rows.push(("POST /register", usage()));
    let home = bench::send(&app, &mut jar, "GET", "/", None).await;
    rows.push(("GET / (signed in)", usage()));
    bench::send(&app, &mut jar, "GET", "/account", None).await;
    rows.push(("GET /account", usage()));
    let body = format!("csrf_token={}", bench::input(&home, "csrf_token"));
    bench::send(&app, &mut jar, "POST", "/logout", Some(&body)).await;
    rows.push(("POST /logout", usage()));
    // A browser without the device cookie registration set (logging out
    // with Clear-Site-Data removes it in a real browser too).
    jar.retain(|(n, _)| !n.ends_with("device"));
    let form = bench::send(&app, &mut jar, "GET", "/login", None).await;
    rows.push(("GET /login", usage()));
    let token = bench::input(&form, "csrf_token");
    let body = format!("username=units&password=wrong-password-1&csrf_token={token}");
    bench::send(&app, &mut jar, "POST", "/login", Some(&body)).await;
    rows.push(("POST /login (wrong password)", usage()));
    let body = format!("username=units&password=bench-password-123&csrf_token={token}");
    bench::send(&app, &mut jar, "POST", "/login", Some(&body)).await;
    rows.push(("POST /login (success)", usage()));
    // The same browser once its session has ended: its device cookie.
    jar.retain(|(n, _)| !n.ends_with("session"));
    bench::send(&app, &mut jar, "POST", "/login", Some(&body)).await;
    rows.push(("POST /login (device cookie)", usage()));
    rows.push(("POST /login (locked)", locked(&app).await));
    print(rows);
}

/// Five wrong passwords lock the name; the sixth attempt is refused before
/// the account is read: its usage.
async fn locked(app: &std::sync::Arc<shared::App>) -> shared::testing::UsageCount {
    let app = app.clone();
    let mut other = Vec::new();
    let token = bench::input(
        &bench::send(&app, &mut other, "GET", "/login", None).await,
        "csrf_token",
    );
    let wrong = format!("username=units&password=wrong-password-1&csrf_token={token}");
    for _ in 0..5 {
        bench::send(&app, &mut other, "POST", "/login", Some(&wrong)).await;
    }
    app.usage();
    bench::send(&app, &mut other, "POST", "/login", Some(&wrong)).await;
    app.usage()
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
