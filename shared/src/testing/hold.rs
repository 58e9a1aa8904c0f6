//! A call held on its way to DynamoDB until the test lets it go, so that
//! another request can run in between: the races a test must stage (a
//! reset landing between a password change's check and its write).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// One held call (`Faults::hold`).
#[derive(Debug, Default)]
pub struct Held {
    reached: AtomicBool,
    released: Mutex<bool>,
    wake: Condvar,
}

impl Held {
    /// Waits (asynchronously) until the held call has arrived and stopped.
    pub async fn reached(&self) {
        for _ in 0..2_000 {
            if self.reached.load(Ordering::SeqCst) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the held call never came");
    }

    /// Lets the held call go on.
    pub fn release(&self) {
        *self.released.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.wake.notify_all();
    }

    /// Called by the interceptor: stops this call until `release` (at most
    /// 30 s), telling the runtime that this worker blocks, so the rest of
    /// the test runs on the others (a multi-threaded runtime is needed).
    pub(super) fn wait(&self) {
        self.reached.store(true, Ordering::SeqCst);
        tokio::task::block_in_place(|| {
            let released = self.released.lock().unwrap_or_else(|e| e.into_inner());
            let (released, timeout) = self
                .wake
                .wait_timeout_while(released, Duration::from_secs(30), |r| !*r)
                .unwrap_or_else(|e| e.into_inner());
            assert!(
                *released && !timeout.timed_out(),
                "held call never released"
            );
        });
    }
}
