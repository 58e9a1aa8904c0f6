//! The conventions a route keeps beyond the deployment files, checked
//! against the route table with the line to write when one is missing:
//! docs/behaviour.md describes every route, for the visitors its access
//! names (the event fixtures: `events.rs`; the e2e run visits and
//! axe-checks every GET page the table lists itself).

use std::collections::BTreeMap;

use shared::{Access, ROUTES};

/// How docs/behaviour.md's "for" column says who may see a route.
fn for_whom(access: Access) -> &'static str {
    match access {
        Access::Anyone => "anyone",
        Access::Members => "signed in",
        Access::Guests => "anonymous",
        Access::LinkHolder => "holder of a link",
        Access::SecondStep => "a pending sign-in",
    }
}

/// docs/behaviour.md's route rows: (method, path) -> (for, exact), where
/// `exact` is false for a row about the path with a query (`?token=…`).
fn behaviour_rows() -> BTreeMap<(String, String), (String, bool)> {
    let text = std::fs::read_to_string(crate::repo_file("docs/behaviour.md")).unwrap();
    let section = text
        .split("\n## Routes\n")
        .nth(1)
        .expect("a Routes section");
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut rows = BTreeMap::new();
    for row in section
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains('`'))
    {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let Some((methods, path)) = cells[1].split_once(" `") else {
            continue;
        };
        let path = path.trim_end_matches('`');
        let (path, exact) = match path.split_once('?') {
            Some((p, _)) => (p, false),
            None => (path, true),
        };
        for method in methods.split('/') {
            let key = (method.to_string(), path.to_string());
            let value = (cells[2].to_string(), exact);
            // A row about the path itself wins over one about it with a query.
            if exact || !rows.contains_key(&key) {
                rows.insert(key, value);
            }
        }
    }
    rows
}

#[test]
fn docs_behaviour_describes_every_route_for_its_visitors() {
    let rows = behaviour_rows();
    let mut problems = Vec::new();
    for r in ROUTES {
        let want = for_whom(r.access);
        match rows.get(&(r.method.to_string(), r.path.to_string())) {
            None => problems.push(format!(
                "add: | {} `{}` | {want} | what happens … |",
                r.method, r.path
            )),
            Some((whom, true)) if whom != want => problems.push(format!(
                "{} `{}`: its \"for\" is {whom:?}; the route table says {want:?}",
                r.method, r.path
            )),
            Some(_) => {}
        }
    }
    assert!(
        problems.is_empty(),
        "docs/behaviour.md, section Routes:\n{}",
        problems.join("\n")
    );
}
