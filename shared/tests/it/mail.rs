//! The mail path itself: a registration's item goes through the tokens
//! table's stream to the mailer, which builds one RFC 5322 message and
//! files it (`MAIL_OUTBOX`) or sends it through SES v2 (here a stub that
//! speaks SES's API, reached by the real SDK through its endpoint
//! override); a failing SES is retried, then dead-lettered, and never
//! touches the page that asked.

use base64::Engine;
use shared::testing::ses_stub::SesStub;
use shared::testing::*;

use crate::mailbox::{new_mail, parse};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_reaches_the_outbox_as_one_complete_message() {
    let env = Env::start_mail(&[
        ("MAIL_FROM", "no-reply@blog.example.com"),
        ("SITE_NAME", "The Blog"),
    ])
    .await;
    let mut seen = 0;
    let p = env
        .browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    assert_eq!(p.status, 303);
    let files = env.outbox();
    assert!(files.is_empty(), "nothing before the stream is read");
    let mails = new_mail(&env, &mut seen).await;
    assert_eq!(mails.len(), 1);
    let (name, _) = &env.outbox()[0];
    assert!(name.ends_with(".eml") && name.contains("welcome"), "{name}");
    let m = &mails[0];
    assert_eq!(m.from, "no-reply@blog.example.com");
    assert_eq!(m.to, "alice@example.com");
    assert_eq!(
        m.subject,
        "Welcome to The Blog: please confirm your email address"
    );
    let headers = &m.raw[..m.raw.find("\r\n\r\n").unwrap()];
    for h in [
        "Date: ",
        "Message-ID: <",
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative",
        "From: \"The Blog\" <no-reply@blog.example.com>",
    ] {
        assert!(headers.contains(h), "no {h} in\n{headers}");
    }
    assert!(
        headers.contains("@blog.example.com>"),
        "Message-ID in the sender's domain"
    );
    assert!(
        m.raw.contains("Content-Type: text/plain") && m.raw.contains("Content-Type: text/html")
    );
    let link = m.link("/email/verify");
    assert!(
        m.text.contains(&format!("{SITE_URL}{link}")),
        "an absolute link"
    );
    assert!(m.html.contains("Hello Alice"));
    // The table holds no usable token: the link's token is nowhere in it.
    let token = link.split("token=").nth(1).unwrap();
    assert!(!format!("{:?}", env.outbox()).is_empty());
    assert_eq!(env.browser().get(&link).await.status, 303);
    assert_ne!(token.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_aws_the_message_goes_to_ses_as_raw_bytes() {
    let ses = SesStub::start().await.unwrap();
    let env = Env::start_mail(&[
        ("SES_ENDPOINT", &ses.endpoint),
        ("MAIL_FROM", "no-reply@blog.example.com"),
    ])
    .await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    assert!(env.pump_mail().await.is_empty());
    let sent = ses.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let call = &sent[0];
    assert_eq!(call["FromEmailAddress"], "no-reply@blog.example.com");
    assert_eq!(call["Destination"]["ToAddresses"][0], "alice@example.com");
    let data = call["Content"]["Raw"]["Data"]
        .as_str()
        .expect("raw content");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    let m = parse(&bytes);
    assert_eq!(m.to, "alice@example.com");
    assert!(m.link("/email/verify").starts_with("/email/verify?token="));
    assert!(env.outbox().is_empty(), "no outbox on AWS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_ses_is_retried_then_dead_lettered_and_the_page_never_notices() {
    let ses = SesStub::start().await.unwrap();
    ses.fail(true);
    let env = Env::start_mail(&[("SES_ENDPOINT", &ses.endpoint)]).await;
    let mut a = env.browser();
    let p = a.register("Alice", "alice@example.com", PASSWORD).await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/")),
        "the page does not wait for mail"
    );
    assert!(a
        .get("/")
        .await
        .body
        .contains("Registration successful, welcome Alice!"));
    let dead = env.pump_mail().await;
    assert_eq!(dead.len(), 1, "given up after the retries");
    assert_eq!(dead[0]["eventName"], "INSERT");
    assert!(dead[0]["dynamodb"]["NewImage"]["pk"]["S"]
        .as_str()
        .unwrap()
        .starts_with("CONFIRM#"));
    // 3 deliveries (1 + 2 retries), each one SES attempt (the SDK's own
    // retries could send a message twice).
    assert_eq!(ses.calls(), 3);
    // SES back: the next mail goes, the site never noticed.
    ses.fail(false);
    let token = a.get("/account").await.csrf();
    let p = a
        .post("/account/email/resend", &[("csrf_token", &token)])
        .await;
    assert_eq!(p.status, 303);
    assert!(env.pump_mail().await.is_empty());
    assert_eq!(ses.sent().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_ses_refusal_is_dropped_not_retried() {
    let ses = SesStub::start().await.unwrap();
    ses.reject(true);
    let env = Env::start_mail(&[("SES_ENDPOINT", &ses.endpoint)]).await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    assert!(env.pump_mail().await.is_empty(), "no dead letter");
    assert_eq!(ses.calls(), 1, "one attempt, no retry");
    // Handled: the same record again (a batch Lambda retries whole) is not
    // sent again.
    ses.reject(false);
    assert!(env.pump_mail().await.is_empty());
    assert_eq!(ses.calls(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_delivered_twice_is_sent_once() {
    let ses = SesStub::start().await.unwrap();
    let env = Env::start_mail(&[("SES_ENDPOINT", &ses.endpoint)]).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let records = env.stream_records().await;
    assert_eq!(records.len(), 1, "the welcome");
    let mailer = shared::Mailer::new(env.app.config().clone(), env.clock.clone()).unwrap();
    let batch = serde_json::json!({ "Records": records });
    // The batch, then the same batch again (a timed-out invocation is
    // retried whole): one message.
    for _ in 0..2 {
        let answer = mailer.handle_json(batch.clone()).await;
        assert!(answer.batch_item_failures.is_empty());
    }
    assert_eq!(ses.sent().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_without_time_left_is_handed_back_untried() {
    let ses = SesStub::start().await.unwrap();
    let env = Env::start_mail(&[("SES_ENDPOINT", &ses.endpoint)]).await;
    for (name, email) in [("Alice", "alice@example.com"), ("Bob", "bob@example.com")] {
        env.browser().register(name, email, PASSWORD).await;
    }
    let records = env.stream_records().await;
    assert_eq!(records.len(), 2);
    let second = records[1]["dynamodb"]["SequenceNumber"].clone();
    let mailer = shared::Mailer::new(env.app.config().clone(), env.clock.clone()).unwrap();
    let batch = serde_json::json!({ "Records": records });
    // Ten seconds left: the first record goes all the same (the function's
    // timeout is sized for one), the second is handed back untried.
    let soon = std::time::SystemTime::now() + std::time::Duration::from_secs(10);
    let answer = mailer.handle(batch.clone(), Some(soon)).await;
    assert_eq!(answer.batch_item_failures.len(), 1);
    assert_eq!(
        serde_json::json!(answer.batch_item_failures[0].item_identifier),
        second
    );
    assert_eq!(ses.calls(), 1, "the second not started");
    // Lambda retries from there: with time, the second goes (and the
    // first, marked, is not sent again).
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(120);
    assert!(mailer
        .handle(batch, Some(later))
        .await
        .batch_item_failures
        .is_empty());
    assert_eq!(ses.sent().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailer_drops_what_must_not_be_sent() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    // Deleted before the mailer ran: nothing goes out.
    let form = a.get("/account/delete").await;
    a.post(
        "/account/delete",
        &[("password", PASSWORD), ("csrf_token", &form.csrf())],
    )
    .await;
    assert!(new_mail(&env, &mut seen).await.is_empty());
    // Not a stream event, or a record that is not ours: nothing, no failure.
    let json = serde_json::json!({"Records": [{"eventName": "REMOVE", "dynamodb": {"SequenceNumber": "1"}}]});
    let mailer = shared::Mailer::new(env.app.config().clone(), env.clock.clone()).unwrap();
    assert!(mailer
        .handle_json(json)
        .await
        .batch_item_failures
        .is_empty());
    assert!(mailer
        .handle_json(serde_json::json!("junk"))
        .await
        .batch_item_failures
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_mark_that_cannot_be_written_is_retried_not_dropped() {
    let faults = Faults::new();
    let env = Env::start_mail_faulty(&[], &faults).await;
    let mut seen = 0;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    new_mail(&env, &mut seen).await;
    let p = crate::lifecycle::forgot(&env, "alice@example.com").await;
    assert_eq!(p.status, 303);
    // Every SDK attempt of the mailer's first write, the "sent" mark,
    // fails: DynamoDB failing is not a lost race, so the record is handed
    // back and its retry sends it, once.
    let before = faults.count("UpdateItem");
    faults.inject("UpdateItem", 1..=3, Fault::ServerError);
    let mails = new_mail(&env, &mut seen).await;
    let resets = mails.iter().filter(|m| m.subject.contains("Reset")).count();
    assert_eq!(resets, 1, "{mails:?}");
    // The mailer's own: the mark's three failed attempts, then the
    // retry's mark and the address's count.
    assert_eq!(faults.count("UpdateItem") - before, 3 + 2);
}
