//! The `twofactor` Lambda function: all logic is in `shared`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::run::<{ shared::Function::TwoFactor.id() }>().await
}
