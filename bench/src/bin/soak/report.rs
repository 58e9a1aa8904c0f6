//! The soak's report: requests, statuses, latency percentiles, what
//! happened while the database was down, how soon it came back, and the
//! bar each number is held to.

use std::collections::BTreeMap;

use crate::client::Record;

/// When the database was down (unix ms), as scripts/soak wrote it.
#[derive(Debug, Clone, Copy)]
pub struct Outage {
    pub from_ms: u64,
    pub to_ms: u64,
}

impl Outage {
    /// Reads `outage_start <ms>` / `outage_end <ms>` lines.
    pub fn read(text: &str) -> Option<Outage> {
        let at = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().parse().ok())
        };
        Some(Outage {
            from_ms: at("outage_start ")?,
            to_ms: at("outage_end ")?,
        })
    }

    /// During the outage, or so soon after that a request begun in it, or
    /// waiting out the SDK's retries, may still fail (5 s, the operation
    /// timeout).
    fn covers(&self, at_ms: u64) -> bool {
        at_ms + 5_000 >= self.from_ms && at_ms <= self.to_ms + 5_000
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn statuses(records: &[&Record]) -> String {
    let mut by: BTreeMap<u16, usize> = BTreeMap::new();
    for r in records {
        *by.entry(r.status).or_default() += 1;
    }
    by.iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prints the report; whether the run met the bar (the checks come in as
/// `problems`, from the clients and the final checks).
pub fn print(records: &[Record], outage: Option<Outage>, secs: u64, problems: &[String]) -> bool {
    let all: Vec<&Record> = records.iter().collect();
    println!(
        "requests: {} in {secs} s ({:.1}/s)",
        all.len(),
        all.len() as f64 / secs as f64
    );
    println!("statuses: {}", statuses(&all));
    let mut routes: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for r in &all {
        routes.entry(r.route).or_default().push(r.latency_ms);
        routes.entry("all").or_default().push(r.latency_ms);
    }
    println!("\n| route | requests | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|");
    for (route, mut ms) in routes {
        ms.sort_by(f64::total_cmp);
        let (p50, p95, p99) = (
            percentile(&ms, 50.0),
            percentile(&ms, 95.0),
            percentile(&ms, 99.0),
        );
        println!(
            "| {route} | {} | {p50:.1} | {p95:.1} | {p99:.1} |",
            ms.len()
        );
    }
    let mut failed = problems.to_vec();
    let bad_5xx: Vec<&&Record> = all
        .iter()
        .filter(|r| r.status >= 500 && r.status != 503)
        .collect();
    let no_answer = all.iter().filter(|r| r.status == 0).count();
    let unrendered = all
        .iter()
        .filter(|r| r.status == 503 && !r.rendered_503)
        .count();
    if !bad_5xx.is_empty() {
        failed.push(format!("{} responses of 5xx other than 503", bad_5xx.len()));
    }
    if no_answer > 0 {
        failed.push(format!("{no_answer} requests got no HTTP answer"));
    }
    if unrendered > 0 {
        failed.push(format!("{unrendered} 503s were not the app's page"));
    }
    match outage {
        Some(o) => outage_part(&all, o, &mut failed),
        None => failed.push("no outage recorded".into()),
    }
    println!();
    if failed.is_empty() {
        println!("soak: PASS");
    } else {
        for f in &failed {
            println!("FAIL {f}");
        }
    }
    failed.is_empty()
}

fn outage_part(all: &[&Record], o: Outage, failed: &mut Vec<String>) {
    let during: Vec<&Record> = all.iter().copied().filter(|r| o.covers(r.at_ms)).collect();
    let down_s = (o.to_ms - o.from_ms) as f64 / 1000.0;
    println!("\noutage: the local DynamoDB killed (SIGKILL) and started again on its file after {down_s:.1} s");
    println!(
        "during it (and 5 s either side): {} requests; {}",
        during.len(),
        statuses(&during)
    );
    let rendered = during.iter().filter(|r| r.rendered_503).count();
    println!("503 pages saying to try again: {rendered}");
    let outside: Vec<&&Record> = all
        .iter()
        .filter(|r| r.status == 503 && !o.covers(r.at_ms))
        .collect();
    if !outside.is_empty() {
        failed.push(format!("{} 503s outside the outage", outside.len()));
    }
    if rendered == 0 {
        failed.push("no 503 page during the outage: was the database really down?".into());
    }
    // Back: the first answer after the restart from a route that needs the
    // database (a form post, or a signed-in page).
    let needs_db = |r: &&Record| r.route.starts_with("POST") || r.route == "GET /account";
    let back = all
        .iter()
        .filter(|r| r.at_ms >= o.to_ms && r.expected && needs_db(r))
        .map(|r| r.at_ms + r.latency_ms as u64)
        .min();
    match back {
        Some(at) => println!(
            "service back {:.2} s after the database",
            (at.saturating_sub(o.to_ms)) as f64 / 1000.0
        ),
        None => failed.push("the service did not come back after the database did".into()),
    }
    let after = all.iter().filter(|r| r.at_ms > o.to_ms + 5_000).count();
    println!("after it: {after} requests");
}
