//! `DYNAMODB_WARM_UP`: the connection opened during init is the one the
//! first request uses.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use shared::testing::*;

/// A TCP relay in front of `upstream` that counts the connections it accepts.
async fn counting_proxy(upstream: String) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (endpoint, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_request_reuses_the_connection_opened_at_init() {
    let db = Env::start().await;
    // Alice signs up through an app that talks to Dynoxide directly.
    let mut before = db.browser();
    assert_eq!(
        before
            .register("Alice", "alice@example.com", PASSWORD)
            .await
            .status,
        303
    );

    // A cold start with warm-up, behind a relay that counts connections.
    let upstream = db.endpoint.trim_start_matches("http://").to_string();
    let (endpoint, connections) = counting_proxy(upstream).await;
    let env = Env::app_at(&endpoint, &[("DYNAMODB_WARM_UP", "1")]);
    assert!(env.app.config().warm_up);
    assert!(env.app.warm_up().await, "Dynoxide answered");
    assert_eq!(connections.load(Ordering::SeqCst), 1, "warm-up connected");
    // On Lambda the runtime's `/next` round trip comes between init and the
    // first request; the client returns the connection to its pool then.
    tokio::time::sleep(Duration::from_millis(50)).await;

    // The first request (one GetItem) finds that connection.
    let mut b = env.browser();
    b.cookies = before.cookies.clone();
    let home = b.get("/").await;
    assert!(home.body.contains("Alice"), "signed in");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "the first request used the pooled connection"
    );
}
