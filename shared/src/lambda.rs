//! The Lambda entry point shared by every function binary.

use std::sync::Arc;

use lambda_runtime::{service_fn, Error, LambdaEvent};

use crate::app::App;
use crate::routes::Function;

/// Builds the app once per cold start, then serves events until the runtime
/// stops. `F`: the function's `Function::id`; its binary links only its own
/// handlers (and only the `passkey` function webauthn-rs). A missing or
/// short `SESSION_SECRET` stops the start. Events are taken as plain JSON
/// and read by `gateway::event::Event`, never by `lambda_http`, whose
/// conversion panics on raw characters in the URL.
pub async fn run<const F: u8>() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let function = const { Function::from_id(F) };
    let mut app = App::from_env(function);
    if const { F == Function::Passkey.id() } {
        app = app.and_then(App::with_passkeys);
    }
    let app = Arc::new(app.map_err(|e| {
        tracing::error!(error = %e, "refusing to start");
        e
    })?);
    // Optional: pay the TCP + TLS handshake with DynamoDB during init rather
    // than in the first request. It only shortens what a user waits for
    // when init runs ahead of the request (provisioned concurrency,
    // proactive initialisation); README "Performance" has the measurement.
    if app.config.warm_up {
        app.store.warm_up().await;
    }
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let app = Arc::clone(&app);
        async move {
            let reply = app.handle_linked::<F>(function, event.payload).await;
            Ok::<_, std::convert::Infallible>(reply)
        }
    }))
    .await
}

/// The mailer's entry: DynamoDB stream events in, partial batch failures
/// out (`mail::Mailer::handle`).
pub async fn run_mailer() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let mailer = Arc::new(crate::mail::Mailer::from_env().map_err(|e| {
        tracing::error!(error = %e, "refusing to start");
        e
    })?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let mailer = Arc::clone(&mailer);
        // The invocation's deadline: a record is not started without the
        // time to finish it.
        let deadline = Some(event.context.deadline());
        async move { Ok::<_, std::convert::Infallible>(mailer.handle(event.payload, deadline).await) }
    }))
    .await
}
