//! Cold-start reference: what most examples do at init (full default
//! provider chain, default SDK features), then a trivial handler.

use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let client = &client;
    lambda_http::run(service_fn(move |_req: Request| async move {
        let _ = client.config().region();
        Ok::<_, Error>(Response::new(Body::from("hello")))
    }))
    .await
}
