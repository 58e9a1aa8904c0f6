//! Each function's IAM grants in template.yaml are what its code asks of
//! DynamoDB, no more and no less: every route is driven through its paths
//! (failures, limits, resubmissions, expired windows, a weak hash, stale
//! sessions; the lifecycle routes in `grants_lifecycle.rs`) and the mailer
//! through the mail they asked for, each call's table, action and
//! fine-grained condition keys recorded by an SDK interceptor, and compared
//! with the function's policy statements, conditions included. The
//! narrower grants are also asserted as written, in `grants_written.rs`.

use std::collections::{BTreeMap, BTreeSet};

use saphyr::Yaml;
use shared::testing::*;
use shared::Function;

use crate::deployment::{entries, get, tagged, template, text};

/// What each function's calls needed, by binary name.
type Used = BTreeMap<&'static str, BTreeSet<Grant>>;

/// Actions the interceptor cannot see, as the function's code makes no
/// such DynamoDB call: SES is another client, and Lambda itself reads the
/// tokens stream and writes the dead-letter queue with the function's role
/// (`template_mail.rs` keeps these to the mailer, and the stream actions
/// to the one stream).
const NOT_DYNAMODB: [&str; 6] = [
    "ses:SendEmail",
    "ses:SendRawEmail",
    "sqs:SendMessage",
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
];

pub(crate) struct Drive {
    pub(crate) env: Env,
    pub(crate) faults: std::sync::Arc<Faults>,
    used: Used,
    /// Messages in the outbox already read.
    pub(crate) seen: usize,
}

impl Drive {
    /// Files the calls since the last request under the function serving `path`.
    fn note(&mut self, path: &str) {
        let function = Function::for_path(path).expect("a route").name();
        self.note_as(function);
    }

    /// Files the calls since the last look under `function`.
    pub(crate) fn note_as(&mut self, function: &'static str) {
        let calls = self.faults.take_grants();
        self.used.entry(function).or_default().extend(calls);
    }

    pub(crate) async fn get(&mut self, b: &mut Browser, path: &str) -> Page {
        let p = b.get(path).await;
        self.note(path.split('?').next().unwrap_or(path));
        p
    }

    pub(crate) async fn post(
        &mut self,
        b: &mut Browser,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let p = b.post(path, fields).await;
        self.note(path);
        p
    }

    pub(crate) async fn register(&mut self, b: &mut Browser, name: &str) -> Page {
        let form = self.get(b, "/register").await;
        let rid = form.input("request_id").unwrap_or_default();
        let email = format!("{name}@example.com");
        let fields = [
            ("username", name),
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("csrf_token", &form.csrf()),
            ("request_id", &rid),
        ];
        let p = self.post(b, "/register", &fields).await;
        if p.status == 303 && name == "Alice" {
            // A full account: the resubmission below ends its oldest session.
            self.env.app.plant_sessions("alice", 99).await;
            self.faults.take_grants(); // the test's own writes
        }
        // The same form again, from a browser that lost the answer (and
        // so the session and device cookies that came with it).
        b.cookies.retain(|(n, _)| n == "__Host-csrf");
        self.post(b, "/register", &fields).await;
        p
    }

    pub(crate) async fn login(&mut self, b: &mut Browser, name: &str, password: &str) -> Page {
        let token = self.get(b, "/login").await.csrf();
        let fields = [
            ("username", name),
            ("password", password),
            ("csrf_token", &token),
        ];
        self.post(b, "/login", &fields).await
    }
}

/// Every route, along every path that reaches DynamoDB differently, and
/// the mailer on what they asked it to send.
async fn drive() -> Used {
    let faults = Faults::new();
    let vars = [
        ("LOGIN_IP_LIMIT", "7"),
        ("REGISTER_IP_LIMIT", "6"),
        ("MAIL_IP_LIMIT", "3"),
        ("ARGON2_ITERATIONS", "3"),
    ];
    let env = Env::start_mail_faulty(&vars, &faults).await;
    faults.take_grants();
    let mut d = Drive {
        env,
        faults,
        used: Used::new(),
        seen: 0,
    };
    let mut a = d.env.browser();
    assert_eq!(d.register(&mut a, "Alice").await.status, 303);
    // A race: the read came before a winner's write.
    d.faults.inject("BatchGetItem", 1..=1, Fault::NothingFound);
    assert_eq!(d.register(&mut d.env.browser(), "alice").await.status, 409);
    Box::pin(resubmitted_after_logging_out(&mut d)).await;
    d.env.clock.advance(6 * 60);
    for path in ["/", "/account", "/login", "/register", "/logout"] {
        d.get(&mut a, path).await;
        d.env.clock.advance(6 * 60);
    }
    // Another browser of Alice's, signed out from this one.
    let mut other = d.env.browser();
    assert_eq!(d.login(&mut other, "alice", PASSWORD).await.status, 303);
    let page = d.get(&mut a, "/account").await;
    let (token, ids) = (page.csrf(), page.session_ids());
    d.env.clock.advance(6 * 60);
    for id in ["x", ids[1].as_str()] {
        let fields = [("csrf_token", token.as_str()), ("session", id)];
        d.post(&mut a, "/account/sessions/revoke", &fields).await;
    }
    d.post(
        &mut a,
        "/account/sessions/revoke-others",
        &[("csrf_token", &token)],
    )
    .await;
    d.env.clock.advance(6 * 60);
    d.post(&mut a, "/logout", &[("csrf_token", &token)]).await;
    Box::pin(logins(&mut d)).await;
    Box::pin(crate::grants_lifecycle::lifecycle(&mut d)).await;
    d.used
}

/// A registration form posted again after a plain log-out, from a browser
/// that kept its device cookie (the back button): the retried path checks
/// whether that device was forgotten.
async fn resubmitted_after_logging_out(d: &mut Drive) {
    let mut b = d.env.browser();
    let form = d.get(&mut b, "/register").await;
    let (rid, token) = (form.input("request_id").unwrap(), form.csrf());
    let fields = [
        ("username", "Dave"),
        ("email", "dave@example.com"),
        ("password", PASSWORD),
        ("csrf_token", token.as_str()),
        ("request_id", rid.as_str()),
    ];
    assert_eq!(d.post(&mut b, "/register", &fields).await.status, 303);
    let home = d.get(&mut b, "/").await;
    d.post(&mut b, "/logout", &[("csrf_token", &home.csrf())])
        .await;
    assert!(b.cookie("__Host-device").is_some());
    let p = d.post(&mut b, "/register", &fields).await;
    assert_eq!(p.location(), Some("/"), "{}", p.body);
}

/// Logins: wrong, right (the first: the form id goes), with the device
/// cookie, at the session cap, the name locked, the source over its limit,
/// a weak hash; then counters' windows ending, and the registration limit.
async fn logins(d: &mut Drive) {
    let mut b = d.env.browser();
    d.login(&mut b, "alice", "wrong-password").await;
    assert_eq!(d.login(&mut b, "alice", PASSWORD).await.status, 303);
    b.cookies.retain(|(n, _)| n != "__Host-session");
    d.env.app.plant_sessions("alice", 100).await;
    d.faults.take_grants(); // the test's own writes
    assert_eq!(d.login(&mut b, "alice", PASSWORD).await.status, 303);
    let mut c = d.env.browser();
    for _ in 0..6 {
        d.login(&mut c, "alice", "wrong-password").await;
    }
    assert_eq!(d.login(&mut c, "bob", "wrong-password").await.status, 429);
    // A hash below today's cost is upgraded at login.
    let weak = Env::app_at(&d.env.endpoint, &[])
        .app
        .hash_password(PASSWORD)
        .await;
    d.env
        .app
        .plant_user("Weak", "weak@example.com", &weak)
        .await;
    d.faults.take_grants();
    let mut w = d.env.browser();
    w.source_ip = "192.0.2.99".into();
    assert_eq!(d.login(&mut w, "weak", PASSWORD).await.status, 303);
    // An hour on, counters start new windows; then the source's limit.
    d.env.clock.advance(3600);
    d.login(&mut d.env.browser(), "weak", "wrong-password")
        .await;
    for i in 0..6 {
        d.register(&mut d.env.browser(), &format!("user{i}")).await;
    }
}

/// `users` → `UsersTable`, as template.yaml names the tables.
fn logical(table: &str) -> String {
    format!("{}{}Table", table[..1].to_uppercase(), &table[1..])
}

/// A statement's `dynamodb:EnclosingOperation`, if it is conditioned on one.
pub(crate) fn enclosing<'a>(statement: &'a Yaml<'_>) -> Option<&'a str> {
    let condition = get(statement, "Condition")?;
    let equals = get(condition, "StringEquals")?;
    get(equals, "dynamodb:EnclosingOperation").map(text)
}

/// A scalar or a list of them.
pub(crate) fn strings<'a>(node: &'a Yaml<'_>) -> Vec<&'a str> {
    match node.as_vec() {
        Some(items) => items.iter().map(text).collect(),
        None => vec![text(node)],
    }
}

/// Whether the statement's conditions let the call through, as IAM
/// evaluates the keys this template uses (an `IfExists` key the call does
/// not set passes; `ForAllValues` holds every name the call names). A key
/// this test cannot evaluate fails it rather than passing unseen.
fn conditions_allow(statement: &Yaml<'_>, g: &Grant) -> bool {
    let blocks = entries(get(statement, "Condition"));
    blocks.into_iter().all(|(operator, keys)| {
        entries(Some(keys)).into_iter().all(|(key, values)| {
            let values = strings(values);
            let within = |v: Option<&str>| v.is_none_or(|v| values.contains(&v));
            match (operator, key) {
                ("StringEquals", "dynamodb:EnclosingOperation") => {
                    g.enclosing.as_deref().is_some_and(|e| values.contains(&e))
                }
                ("ForAllValues:StringEquals", "dynamodb:Attributes") => {
                    g.attributes.iter().all(|a| values.contains(&a.as_str()))
                }
                ("StringEqualsIfExists", "dynamodb:Select") => within(g.select.as_deref()),
                ("StringEqualsIfExists", "dynamodb:ReturnValues") => {
                    within(g.return_values.as_deref())
                }
                _ => panic!("{operator} {key}: a condition this test does not evaluate"),
            }
        })
    })
}

/// The table (logical name) and index a statement's resource names:
/// `!GetAtt X.Arn` is the table X, `!Sub "${X.Arn}/index/Y"` its index Y.
fn resource(statement: &Yaml<'_>) -> Option<(String, Option<String>)> {
    let (tag, value) = tagged(&statement["Resource"])?;
    match tag {
        "GetAtt" => Some((value.strip_suffix(".Arn")?.to_string(), None)),
        "Sub" => {
            let rest = value.strip_prefix("${")?;
            let (table, index) = rest.split_once(".Arn}/index/")?;
            Some((table.to_string(), Some(index.to_string())))
        }
        _ => None,
    }
}

/// Whether `statement` grants the call: its table (or index), its action,
/// its conditions.
fn covers(statement: &Yaml<'_>, g: &Grant) -> bool {
    resource(statement) == Some((logical(&g.table), g.index.clone()))
        && strings(&statement["Action"]).contains(&g.action.as_str())
        && conditions_allow(statement, g)
}

/// What is wrong with one function's policy, given its calls: a call no
/// statement grants, or a statement's action that no call needed.
fn compare(name: &str, resource: &Yaml<'_>, calls: &BTreeSet<Grant>) -> Vec<String> {
    let statements: Vec<&Yaml<'_>> = resource["Properties"]["Policies"]
        .as_vec()
        .into_iter()
        .flatten()
        .flat_map(|p| p["Statement"].as_vec().into_iter().flatten())
        .collect();
    let mut problems = Vec::new();
    for g in calls {
        if !statements.iter().any(|s| covers(s, g)) {
            let index = g.index.as_deref().map(|i| format!("/index/{i}"));
            problems.push(format!(
                "{name}: not granted {} on {}{} (enclosing {:?}, attributes {:?}, select {:?}, returns {:?})",
                g.action,
                logical(&g.table),
                index.unwrap_or_default(),
                g.enclosing,
                g.attributes,
                g.select,
                g.return_values
            ));
        }
    }
    for s in statements {
        let actions = strings(&s["Action"]);
        if actions.iter().all(|a| NOT_DYNAMODB.contains(a)) {
            continue; // outside what the interceptor sees, on purpose
        }
        let on = tagged(&s["Resource"]).map_or("", |(_, v)| v);
        for action in actions {
            let used = calls.iter().any(|g| g.action == action && covers(s, g));
            if !used {
                problems.push(format!("{name}: granted {action} on {on}, never used"));
            }
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_is_granted_exactly_what_it_calls() {
    let used = drive().await;
    let t = template();
    let mut problems = Vec::new();
    let mut functions = BTreeSet::new();
    for (name, resource) in entries(get(&t, "Resources")) {
        if text(&resource["Type"]) != "AWS::Serverless::Function" {
            continue;
        }
        let binary = text(&resource["Metadata"]["BuildProperties"]["Binary"]);
        functions.insert(binary);
        let calls = used.get(binary).cloned().unwrap_or_default();
        problems.extend(compare(name, resource, &calls));
    }
    let unknown: Vec<_> = used.keys().filter(|f| !functions.contains(*f)).collect();
    assert!(unknown.is_empty(), "calls of no function: {unknown:?}");
    assert_eq!(functions.len(), 11, "ten HTTP functions and the mailer");
    assert!(
        problems.is_empty(),
        "template.yaml grants:\n{}",
        problems.join("\n")
    );
}
