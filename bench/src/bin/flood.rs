//! A session flood against "end every session" (issue 19, item 5): one
//! account with N planted sessions (10,000 unless told, as from before
//! the cap existed), then a password reset, a sign-out everywhere else
//! and a deletion, each timed through `App::handle` against an in-process
//! Dynoxide; after each, every one of the old sessions' cookies is sent
//! and must be anonymous. Prints its figures; exits non-zero if an old
//! cookie still signs anyone in.
//!
//!   cargo run --release -p bench --bin flood [N]

use std::time::Instant;

use shared::testing::{Browser, Env, PASSWORD};

const NEW_PASSWORD: &str = "flood-survivor-pass-8";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let env = Env::start_mail(&[]).await;
    let mut failed = false;
    for flow in ["reset", "sign out everywhere else", "deletion"] {
        let mut owner = env.browser();
        let name = format!("flood{}", flow.len());
        let email = format!("{name}@example.com");
        assert_eq!(owner.register(&name, &email, PASSWORD).await.status, 303);
        let account = env.app.account_id(&name).await.expect("registered");
        let started = Instant::now();
        let planted = env.app.plant_sessions(&name, n).await;
        let planting = started.elapsed();
        let (status, took) = match flow {
            "reset" => reset(&env, &email).await,
            "deletion" => delete(&mut owner).await,
            _ => sign_out_others(&mut owner).await,
        };
        let check = Instant::now();
        let mut alive = 0;
        for (_, cookie) in &planted {
            let mut b = env.browser();
            b.cookies.push(("__Host-session".into(), cookie.clone()));
            let page = b.get("/").await;
            if page.body.contains("Hello, ") {
                alive += 1;
            }
        }
        let left = env.app.stored_sessions(&account).await;
        println!(
            "{flow:<26} {n} sessions (planted in {:.1} s): {status} in {:.0} ms; \
             old cookies still signed in: {alive} of {n} (checked in {:.1} s); \
             session items still stored: {left}",
            planting.as_secs_f64(),
            took.as_secs_f64() * 1000.0,
            check.elapsed().as_secs_f64(),
        );
        failed |= alive > 0 || status != 303;
    }
    if failed {
        eprintln!("FAIL: an old session survived");
        std::process::exit(1);
    }
}

/// The owner's reset: the link from the outbox, then the timed POST.
async fn reset(env: &Env, email: &str) -> (u16, std::time::Duration) {
    env.pump_mail().await;
    let mut b = env.browser();
    let form = b.get("/password/forgot").await;
    let fields = [("email", email), ("csrf_token", &form.csrf())];
    b.post("/password/forgot", &fields).await;
    env.pump_mail().await;
    let (_, last) = env.outbox().pop().expect("the reset mail");
    // Quoted-printable: soft line breaks joined, `=3D` back to `=`.
    let text = String::from_utf8_lossy(&last)
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let at = text.find("/password/reset?token=").expect("a link");
    let link: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect();
    assert_eq!(b.get(&link).await.status, 303);
    let form = b.get("/password/reset").await;
    let fields = [("new_password", NEW_PASSWORD), ("csrf_token", &form.csrf())];
    let started = Instant::now();
    let p = b.post("/password/reset", &fields).await;
    (p.status, started.elapsed())
}

async fn sign_out_others(owner: &mut Browser) -> (u16, std::time::Duration) {
    let token = owner.get("/").await.csrf();
    let started = Instant::now();
    let p = owner
        .post("/account/sessions/revoke-others", &[("csrf_token", &token)])
        .await;
    (p.status, started.elapsed())
}

async fn delete(owner: &mut Browser) -> (u16, std::time::Duration) {
    let token = owner.get("/account/delete").await.csrf();
    let fields = [("password", PASSWORD), ("csrf_token", token.as_str())];
    let started = Instant::now();
    let p = owner.post("/account/delete", &fields).await;
    (p.status, started.elapsed())
}
