//! template.yaml, the local router (Cargo.toml) and the README's route
//! table agree with the route table, read with real parsers; and the
//! template keeps its least-privilege and durability promises. A failure
//! prints what to write.

use std::collections::BTreeSet;

use saphyr::{LoadableYamlNode, Yaml};
use shared::ROUTES;

fn read(rel: &str) -> String {
    std::fs::read_to_string(crate::repo_file(rel)).unwrap()
}

pub(crate) fn template() -> Yaml<'static> {
    let text: &'static str = Box::leak(read("template.yaml").into_boxed_str());
    Yaml::load_from_str(text).unwrap().remove(0)
}

/// A node's string, looking through a CloudFormation tag (`!Ref X` is X).
pub(crate) fn text<'a>(node: &'a Yaml<'_>) -> &'a str {
    match node {
        Yaml::Tagged(_, inner) => text(inner),
        other => other.as_str().unwrap_or_default(),
    }
}

/// `(tag, value)` of a tagged scalar such as `!GetAtt SessionsTable.Arn`.
pub(crate) fn tagged<'a>(node: &'a Yaml<'_>) -> Option<(&'a str, &'a str)> {
    match node {
        Yaml::Tagged(tag, inner) => Some((tag.suffix.as_str(), inner.as_str()?)),
        _ => None,
    }
}

pub(crate) fn get<'a, 'b>(node: &'a Yaml<'b>, key: &str) -> Option<&'a Yaml<'b>> {
    node.as_mapping_get(key)
}

pub(crate) fn entries<'a, 'b>(node: Option<&'a Yaml<'b>>) -> Vec<(&'a str, &'a Yaml<'b>)> {
    node.and_then(Yaml::as_mapping)
        .map(|m| m.iter().map(|(k, v)| (text(k), v)).collect())
        .unwrap_or_default()
}

/// `(function binary, method, path)` for every route.
fn table() -> BTreeSet<(String, String, String)> {
    ROUTES
        .iter()
        .map(|r| (r.function.name().into(), r.method.into(), r.path.into()))
        .collect()
}

#[test]
fn template_events_match_the_route_table() {
    let t = template();
    let mut found = BTreeSet::new();
    for (_, resource) in entries(get(&t, "Resources")) {
        if get(resource, "Type").map(text) != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap()
            .to_string();
        for (_, event) in entries(get(&resource["Properties"], "Events")) {
            // The mailer's stream event is checked by `template_wires_the_mail_path`.
            if binary == "mailer" {
                continue;
            }
            assert_eq!(get(event, "Type").map(text), Some("HttpApi"));
            let props = &event["Properties"];
            let method = text(&props["Method"]).to_string();
            let path = text(&props["Path"]).to_string();
            found.insert((binary.clone(), method, path));
        }
    }
    let want = table();
    let missing: Vec<String> = want
        .difference(&found)
        .map(|(f, m, p)| {
            format!("{f}: Event: {{ Type: HttpApi, Properties: {{ ApiId: !Ref HttpApi, Method: {m}, Path: {p} }} }}")
        })
        .collect();
    let extra: Vec<_> = found.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "template.yaml: add under the function's Events:\n{}\nremove: {extra:?}",
        missing.join("\n")
    );
}

/// The router block the route table implies, as Cargo.toml must hold it:
/// every path to home (`/` and the catch-all), and each path of another
/// function named.
fn wanted_router() -> String {
    let mut out = String::from("[workspace.metadata.lambda.watch.router]\n");
    out.push_str("\"/\" = \"home\"\n\"/{*path}\" = \"home\"\n");
    let mut seen = Vec::new();
    for r in ROUTES.iter().filter(|r| r.function.name() != "home") {
        if seen.contains(&r.path) {
            continue;
        }
        seen.push(r.path);
        out.push_str(&format!("{:?} = {:?}\n", r.path, r.function.name()));
    }
    out
}

#[test]
fn local_router_matches_the_route_table() {
    let cargo: toml::Table = read("Cargo.toml").parse().unwrap();
    let routes = &cargo["workspace"]["metadata"]["lambda"]["watch"]["router"];
    let fix = format!(
        "Cargo.toml's local router is stale; it should read:\n\n{}",
        wanted_router()
    );
    // As cargo-lambda reads it: matchit patterns, each to a function, or to
    // a list of { method, function }.
    let mut router = matchit::Router::new();
    for (pattern, target) in routes.as_table().expect("a table") {
        let targets: Vec<(Option<String>, String)> = match target {
            toml::Value::String(f) => vec![(None, f.clone())],
            toml::Value::Array(list) => list
                .iter()
                .map(|t| {
                    let field = |k: &str| t.get(k).and_then(|v| v.as_str()).map(String::from);
                    (field("method"), field("function").expect(&fix))
                })
                .collect(),
            other => panic!("{pattern} = {other}: {fix}"),
        };
        router
            .insert(pattern.clone(), (pattern.clone(), targets))
            .expect(&fix);
    }
    let mut used = BTreeSet::new();
    for r in ROUTES {
        let Ok(hit) = router.at(r.path) else {
            panic!("{} {} is not routed. {fix}", r.method, r.path);
        };
        let (pattern, targets) = hit.value;
        let function = targets
            .iter()
            .find(|(m, _)| m.as_deref().is_none_or(|m| m == r.method))
            .map(|(_, f)| f.as_str());
        assert_eq!(
            function,
            Some(r.function.name()),
            "{} {}. {fix}",
            r.method,
            r.path
        );
        used.insert(pattern.clone());
    }
    let all: BTreeSet<String> = routes.as_table().unwrap().keys().cloned().collect();
    assert_eq!(all, used, "patterns that route nothing of ours. {fix}");
}

#[test]
fn readme_route_table_matches_the_route_table() {
    let readme = read("README.md");
    let section = readme.split("\n## Routes\n").nth(1).unwrap();
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut found = BTreeSet::new();
    for row in section
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains('`'))
    {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (what, function) = (cells[1], cells[2]);
        let Some((methods, path)) = what.split_once(" `") else {
            continue;
        };
        for method in methods.split('/') {
            let path = path.trim_end_matches('`');
            found.insert((function.to_string(), method.to_string(), path.to_string()));
        }
    }
    let want = table();
    let missing: Vec<String> = want
        .difference(&found)
        .map(|(f, m, p)| format!("| {m} `{p}` | {f} | … |"))
        .collect();
    let extra: Vec<_> = found.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "README.md, section Routes: add\n{}\nremove: {extra:?}",
        missing.join("\n")
    );
}

#[test]
fn template_tables_have_the_keys_and_ttl_the_tests_create() {
    let t = template();
    let env = shared::testing::Env::app_at("http://127.0.0.1:9", &[]);
    for (name, keys, ttl) in shared::testing::table_specs(&env.app) {
        // users -> UsersTable
        let logical = format!("{}{}Table", name[..1].to_uppercase(), &name[1..]);
        let props = &t["Resources"][logical.as_str()]["Properties"];
        let schema: Vec<&str> = props["KeySchema"]
            .as_vec()
            .unwrap()
            .iter()
            .map(|k| k["AttributeName"].as_str().unwrap())
            .collect();
        assert_eq!(schema, keys, "{logical}");
        let has_ttl = get(props, "TimeToLiveSpecification").is_some_and(|s| {
            text(&s["AttributeName"]) == "expires_at" && s["Enabled"].as_bool() == Some(true)
        });
        assert_eq!(has_ttl, ttl, "{logical} TTL");
    }
}

/// Every action a function's policies allow, with the resources named.
pub(crate) fn policy_statements<'a, 'b>(
    function: &'a Yaml<'b>,
) -> Vec<(Vec<&'a str>, &'a Yaml<'b>)> {
    let mut out = Vec::new();
    for policy in function["Properties"]["Policies"].as_vec().unwrap() {
        assert!(policy.as_str().is_none(), "a managed policy: {policy:?}");
        for statement in policy["Statement"].as_vec().unwrap() {
            let actions = statement["Action"]
                .as_vec()
                .unwrap()
                .iter()
                .map(text)
                .collect();
            out.push((actions, &statement["Resource"]));
        }
    }
    out
}

#[test]
fn template_grants_least_privilege_and_keeps_users() {
    let t = template();
    let resources = &t["Resources"];
    for (name, resource) in entries(Some(resources)) {
        if text(&resource["Type"]) != "AWS::Serverless::Function" {
            continue;
        }
        for (actions, _) in policy_statements(resource) {
            // DynamoDB only, named one by one; SES and the dead-letter
            // queue for the mailer alone.
            let allowed = |a: &&str| {
                a.starts_with("dynamodb:")
                    || (name == "MailerFunction"
                        && ["ses:SendEmail", "ses:SendRawEmail", "sqs:SendMessage"].contains(a))
            };
            assert!(
                actions.iter().all(|a| allowed(a) && !a.ends_with('*')),
                "{name}: {actions:?}"
            );
        }
    }
    let users = &resources["UsersTable"];
    assert_eq!(text(&users["DeletionPolicy"]), "Retain");
    let props = &users["Properties"];
    assert_eq!(
        props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        props["SSESpecification"]["SSEEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(text(&props["BillingMode"]), "PAY_PER_REQUEST");
    // The logout function may only touch sessions, and never create one.
    for (actions, resource) in policy_statements(&resources["LogoutFunction"]) {
        assert_eq!(tagged(resource), Some(("GetAtt", "SessionsTable.Arn")));
        assert!(!actions.contains(&"dynamodb:PutItem"));
    }
    // The secret is generated at deploy time, never a default.
    assert!(get(
        &resources["SessionSecret"]["Properties"],
        "GenerateSecretString"
    )
    .is_some());
    let globals = &t["Globals"]["Function"];
    assert_eq!(text(&globals["Architectures"][0]), "arm64");
    assert_eq!(text(&globals["Runtime"]), "provided.al2023");
    assert_eq!(text(&globals["LoggingConfig"]["LogFormat"]), "JSON");
    assert_eq!(
        tagged(&globals["LoggingConfig"]["ApplicationLogLevel"]),
        Some(("Ref", "LogLevel"))
    );
}

#[test]
fn only_the_local_server_speaks_plain_http() {
    // Cookies lose `Secure` and `__Host-`, and HSTS goes, only with this
    // switch: scripts/serve sets it, the template never does.
    let t = template();
    let mut envs = vec![&t["Globals"]["Function"]["Environment"]["Variables"]];
    for (_, resource) in entries(get(&t, "Resources")) {
        if let Some(vars) = get(resource, "Properties")
            .and_then(|p| get(p, "Environment"))
            .and_then(|e| get(e, "Variables"))
        {
            envs.push(vars);
        }
    }
    for vars in envs {
        assert!(
            get(vars, "LOCAL_PLAIN_HTTP").is_none(),
            "template.yaml sets LOCAL_PLAIN_HTTP"
        );
    }
    assert!(!read("template.yaml").contains("LOCAL_PLAIN_HTTP"));
    assert!(read("scripts/serve").contains("export LOCAL_PLAIN_HTTP=1"));
}
