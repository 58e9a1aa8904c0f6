//! template.yaml and the local router agree with the code, and the template
//! keeps its least-privilege and durability promises.

mod common;

use std::collections::BTreeSet;

use shared::{Function, ROUTES};

fn read(rel: &str) -> String {
    std::fs::read_to_string(common::repo_file(rel)).unwrap()
}

/// `(function binary, method, path)` for every HttpApi event in template.yaml.
fn template_routes(template: &str) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    let mut binary = None;
    for line in template.lines() {
        let t = line.trim();
        if line.starts_with("  ") && !line.starts_with("   ") && t.ends_with(':') {
            binary = None; // a new resource
        }
        if let Some(b) = t.strip_prefix("Binary: ") {
            binary = Some(b.to_string());
        }
        if let (Some(b), Some(i)) = (&binary, t.find("Method: ")) {
            let rest = &t[i + "Method: ".len()..];
            let (method, rest) = rest.split_once(", Path: ").unwrap();
            let path = rest.split_whitespace().next().unwrap();
            out.insert((b.clone(), method.to_string(), path.to_string()));
        }
    }
    out
}

fn expected() -> BTreeSet<(String, String, String)> {
    ROUTES
        .iter()
        .map(|(m, p, f)| (f.name().to_string(), m.to_string(), p.to_string()))
        .collect()
}

#[test]
fn template_routes_match_the_code() {
    assert_eq!(template_routes(&read("template.yaml")), expected());
}

#[test]
fn local_router_matches_the_code() {
    let cargo = read("Cargo.toml");
    let section = cargo
        .split("[workspace.metadata.lambda.watch.router]")
        .nth(1)
        .unwrap();
    let mut local = BTreeSet::new();
    for line in section.lines().take_while(|l| !l.starts_with('[')) {
        if let Some((path, function)) = line.split_once(" = ") {
            local.insert((
                function.trim_matches('"').to_string(),
                path.trim_matches('"').to_string(),
            ));
        }
    }
    let want: BTreeSet<_> = ROUTES
        .iter()
        .map(|(_, p, f)| (f.name().to_string(), p.to_string()))
        .collect();
    assert_eq!(local, want);
    for (_, p, f) in ROUTES {
        assert_eq!(Function::for_path(p), Some(*f));
    }
}

#[test]
fn template_grants_least_privilege_and_keeps_users() {
    let t = read("template.yaml");
    assert!(!t.contains("dynamodb:*"));
    assert!(!t.contains("DynamoDBCrudPolicy"));
    let users = t.split("  UsersTable:").nth(1).unwrap();
    let users = &users[..users.find("\n\n").unwrap()];
    for needle in [
        "DeletionPolicy: Retain",
        "PointInTimeRecoveryEnabled: true",
        "SSEEnabled: true",
        "PAY_PER_REQUEST",
    ] {
        assert!(users.contains(needle), "users table lacks {needle}");
    }
    for table in ["SessionsTable", "ThrottleTable"] {
        let block = t.split(&format!("  {table}:")).nth(1).unwrap();
        assert!(
            block.contains("AttributeName: expires_at\n        Enabled: true"),
            "{table} TTL"
        );
    }
    // The logout function may only touch sessions.
    let logout = t.split("  LogoutFunction:").nth(1).unwrap();
    let logout = &logout[..logout.find("\n\n").unwrap()];
    assert!(
        logout.contains("SessionsTable.Arn")
            && !logout.contains("UsersTable")
            && !logout.contains("PutItem")
    );
    // The secret is generated at deploy time, never a default.
    assert!(t.contains("GenerateSecretString"));
    assert!(t.contains("arm64") && t.contains("provided.al2023") && t.contains("LogFormat: JSON"));
}
