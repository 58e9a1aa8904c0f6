//! Password rules and hash upgrades.

use shared::testing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_minimum_password_length_is_configurable_and_counts_characters() {
    let env = Env::start_with(&[("PASSWORD_MIN_LENGTH", "15")]).await;
    let mut b = env.browser();
    let p = b
        .register("Alice", "alice@example.com", "Tr0ub4dor&3xyz")
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("at least 15"));
    assert!(p.body.contains("minlength=\"15\""));
    // 15 characters, 30 bytes.
    assert_eq!(
        b.register("Alice", "alice@example.com", "ääääääääääääää1")
            .await
            .status,
        303
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weaker_hashes_are_upgraded_at_login() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let env = Env::start().await;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8192, 1, 1, None).unwrap(),
    )
    .hash_password(
        PASSWORD.as_bytes(),
        &SaltString::generate(&mut rand_core::OsRng),
    )
    .unwrap()
    .to_string();
    env.app.plant_user("Old", "old@example.com", &weak).await;
    let mut b = env.browser();
    assert_eq!(b.login("old", PASSWORD, false).await.status, 303);
    let stored = env.app.password_hash("old").await.unwrap();
    assert_ne!(stored, weak);
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
}
