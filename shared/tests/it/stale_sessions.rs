//! A request that read its session just before another request ended it:
//! its `last_seen` refresh must not bring the session back.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_racing_a_revoke_leaves_no_session_behind() {
    let env = Env::start().await;
    let mut a = env.browser();
    a.register("Alice", "alice@example.com", PASSWORD).await;
    let mut b = env.browser();
    assert_eq!(b.login("alice", PASSWORD, false).await.status, 303);
    assert!(b.get("/").await.body.contains("Hello, Alice"));
    let acct = a.get("/account").await;
    let ids = acct.session_ids();
    assert_eq!(ids.len(), 2, "{}", acct.body);
    let (b_id, token) = (ids[1].clone(), acct.csrf());
    // Past the 5 minutes after which a request records activity.
    env.clock.advance(6 * 60);
    // B's request has read its session; A ends it; B's request goes on.
    let revoke = async {
        let p = a
            .post(
                "/account/sessions/revoke",
                &[("csrf_token", &token), ("session", &b_id)],
            )
            .await;
        assert_eq!((p.status, p.location()), (303, Some("/account")));
    };
    env.app.read_then_touch("alice", &b_id, revoke).await;
    // Nothing came back: A's page lists one session and answers 200...
    let acct = a.get("/account").await;
    assert_eq!(acct.status, 200, "{}", acct.body);
    assert_eq!(acct.session_ids(), vec![ids[0].clone()]);
    // ...no partial item is left in the table...
    let check = check_tables(&env.app).await.expect("nothing half-written");
    assert_eq!(check.sessions, 1);
    // ...and B is signed out.
    assert!(!b.get("/").await.body.contains("Hello, Alice"));
}
