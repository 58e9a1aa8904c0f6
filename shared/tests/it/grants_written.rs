//! The narrowest grants, asserted as template.yaml writes them (the
//! driven comparison in `grants.rs` checks that calls are covered, not
//! that a list is no longer than they need): which attributes of an
//! account each function may update, and that register can only create
//! accounts, inside a transaction whose own condition keeps an existing
//! account from being overwritten.

use saphyr::Yaml;
use shared::testing::*;

use crate::deployment::{policy_statements, tagged, template, text};
use crate::grants::{enclosing, strings};

/// The one statement that grants `function` UpdateItem on the users
/// table: the attribute names it allows and the return values.
fn users_update(t: &Yaml<'_>, function: &str) -> (Vec<String>, Vec<String>) {
    let resource = &t["Resources"][function];
    let updates: Vec<_> = resource["Properties"]["Policies"][0]["Statement"]
        .as_vec()
        .unwrap()
        .iter()
        .filter(|s| tagged(&s["Resource"]) == Some(("GetAtt", "UsersTable.Arn")))
        .filter(|s| strings(&s["Action"]).contains(&"dynamodb:UpdateItem"))
        .collect();
    assert_eq!(
        updates.len(),
        1,
        "{function}: one statement grants UpdateItem on users"
    );
    let s = updates[0];
    assert_eq!(
        strings(&s["Action"]).len(),
        1,
        "{function}: and nothing else"
    );
    let condition = &s["Condition"];
    let list = |node: &Yaml<'_>, what: &str| -> Vec<String> {
        let items = node.as_vec();
        let items = items.unwrap_or_else(|| panic!("{function}: {what}: [...]"));
        items.iter().map(|a| text(a).to_string()).collect()
    };
    (
        list(
            &condition["ForAllValues:StringEquals"]["dynamodb:Attributes"],
            "dynamodb:Attributes",
        ),
        list(
            &condition["StringEqualsIfExists"]["dynamodb:ReturnValues"],
            "dynamodb:ReturnValues",
        ),
    )
}

#[test]
fn functions_that_update_an_account_may_touch_only_their_own_attributes() {
    // IAM counts the names a condition only tests (SECURITY.md §3), so
    // they are listed, and conditions test no more than they must (never
    // `account_id`). No function but register and delete can change a
    // name, an address or an account's id; only login, password and a
    // used reset link write a password hash; only the two-factor settings
    // write its secret. Delete updates nothing.
    let t = template();
    for (function, attributes) in [
        (
            "LoginFunction",
            &["pk", "password_hash", "registration_id", "generation"][..],
        ),
        (
            "PasswordFunction",
            &[
                "pk",
                "password_hash",
                "generation",
                "reset_hash",
                "email_confirmed",
                "confirm_hash",
            ],
        ),
        ("EmailFunction", &["pk", "email_confirmed", "confirm_hash"]),
        // The second factor: never the password hash, a name or an address.
        (
            "TwoFactorFunction",
            &["pk", "totp", "totp_step", "recovery", "generation"],
        ),
        (
            "TwoStepFunction",
            &[
                "pk",
                "totp_step",
                "recovery",
                "generation",
                "registration_id",
            ],
        ),
    ] {
        let (allowed, returns) = users_update(&t, function);
        assert_eq!(allowed, attributes, "{function}");
        assert_eq!(returns, ["NONE"], "{function}: nothing read back");
    }
    for (actions, table) in policy_statements(&t["Resources"]["DeleteFunction"]) {
        if tagged(table) == Some(("GetAtt", "UsersTable.Arn")) {
            assert!(
                !actions.contains(&"dynamodb:UpdateItem"),
                "delete updates no account"
            );
        }
    }
}

#[test]
fn register_can_only_create_accounts() {
    let t = template();
    for (actions, table) in policy_statements(&t["Resources"]["RegisterFunction"]) {
        if tagged(table) != Some(("GetAtt", "UsersTable.Arn")) {
            continue;
        }
        for forbidden in [
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
        ] {
            assert!(
                !actions.contains(&forbidden),
                "register: {forbidden} on users"
            );
        }
    }
    let puts: Vec<_> = t["Resources"]["RegisterFunction"]["Properties"]["Policies"][0]["Statement"]
        .as_vec()
        .unwrap()
        .iter()
        .filter(|s| tagged(&s["Resource"]) == Some(("GetAtt", "UsersTable.Arn")))
        .filter(|s| {
            s["Action"]
                .as_vec()
                .unwrap()
                .iter()
                .any(|a| text(a) == "dynamodb:PutItem")
        })
        .collect();
    assert_eq!(puts.len(), 1);
    assert_eq!(
        enclosing(puts[0]),
        Some("TransactWriteItems"),
        "PutItem on users only inside a transaction"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conditional_put_refuses_an_existing_account() {
    // IAM cannot see a condition expression: the transaction's own
    // attribute_not_exists(pk) is what keeps an account from being
    // overwritten. Here the read before it is made to miss Alice.
    let faults = Faults::new();
    let env = Env::start_faulty(&[], &faults).await;
    env.browser()
        .register("Alice", "alice@example.com", PASSWORD)
        .await;
    let before = env.app.password_hash("alice").await;
    faults.inject("BatchGetItem", 1..=1, Fault::NothingFound);
    let mut m = env.browser();
    let p = m
        .register("ALICE", "mallory@example.com", "another-password-77")
        .await;
    assert_eq!(p.status, 409);
    assert_eq!(env.app.password_hash("alice").await, before, "untouched");
    let mut a = env.browser();
    assert_eq!(a.login("alice", PASSWORD, false).await.status, 303);
    assert!(a.get("/account").await.body.contains("alice@example.com"));
}
