//! The site is never a mail cannon (issue 19, item 2): a registration
//! whose address is over its hourly cap gets no welcome, delete-register
//! loops included, and whatever asks, no address gets more than 10 emails
//! an hour.

use shared::testing::*;

use crate::lifecycle::forgot;
use crate::mailbox::new_mail;

const VICTIM: &str = "victim@example.com";

async fn delete(b: &mut Browser) {
    let token = b.get("/account/delete").await.csrf();
    let fields = [("password", PASSWORD), ("csrf_token", token.as_str())];
    assert_eq!(b.post("/account/delete", &fields).await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_over_its_addresss_cap_gets_no_welcome_but_can_resend_later() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    // Three reset requests for an address without an account use up its
    // hour (and send nothing: no account).
    for _ in 0..3 {
        assert_eq!(forgot(&env, VICTIM).await.status, 303);
    }
    let mut a = env.browser();
    let p = a.register("Alice", VICTIM, PASSWORD).await;
    assert_eq!(
        (p.status, p.location()),
        (303, Some("/")),
        "registered all the same"
    );
    assert!(new_mail(&env, &mut seen).await.is_empty(), "no welcome");
    let page = a.get("/account").await;
    assert!(page.body.contains("not confirmed yet"));
    assert!(page.body.contains("/account/email/resend"));
    // An hour on, the confirmation can be sent from /account.
    env.clock.advance(60 * 60 + 1);
    let token = a.get("/account").await.csrf();
    a.post("/account/email/resend", &[("csrf_token", &token)])
        .await;
    let mails = new_mail(&env, &mut seen).await;
    assert_eq!(mails.len(), 1);
    let link = mails[0].link("/email/verify");
    assert_eq!(a.get(&link).await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_and_register_loop_sends_at_most_three_welcomes_an_hour() {
    let env = Env::start_mail(&[("REGISTER_IP_LIMIT", "100")]).await;
    let (mut seen, mut welcomes) = (0, 0);
    for i in 0..8 {
        let mut b = env.browser();
        let p = b.register(&format!("loop{i}"), VICTIM, PASSWORD).await;
        assert_eq!(p.status, 303, "{}", p.body);
        // The mailer is quick: each welcome would be out before the delete.
        welcomes += new_mail(&env, &mut seen).await.len();
        delete(&mut b).await;
    }
    assert_eq!(welcomes, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatever_asks_no_address_gets_more_than_ten_emails_an_hour() {
    let env = Env::start_mail(&[]).await;
    let mut seen = 0;
    env.browser().register("Alice", VICTIM, PASSWORD).await;
    // The welcome, then twelve more requests for mail to the address.
    env.app.plant_mail("alice", 12).await;
    let mails = new_mail(&env, &mut seen).await;
    assert_eq!(mails.len(), 10, "the welcome and nine notices");
    // Half an hour on, the same hour: still nothing more.
    env.clock.advance(30 * 60);
    env.app.plant_mail("alice", 1).await;
    assert!(
        new_mail(&env, &mut seen).await.is_empty(),
        "the hour's cap holds"
    );
    // The hour over, mail goes again.
    env.clock.advance(30 * 60);
    env.app.plant_mail("alice", 1).await;
    assert_eq!(new_mail(&env, &mut seen).await.len(), 1);
}
