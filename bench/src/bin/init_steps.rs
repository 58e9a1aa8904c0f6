//! What a function's init costs, step by step, in-process (first run in a
//! fresh process, then the median of repeats).

use std::time::Instant;

use shared::testing::init;
use shared::Function;

fn time<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let v = f();
    println!("{label:<28} {:>8.3} ms", t.elapsed().as_secs_f64() * 1000.0);
    v
}

fn main() {
    std::env::set_var("AWS_LAMBDA_LOG_FORMAT", "JSON");
    time(
        "tracing subscriber init",
        lambda_runtime::tracing::init_default_subscriber,
    );
    let env = bench::env("http://127.0.0.1:9");
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let config = time("Config::from_lookup", || {
        shared::Config::from_lookup(get).unwrap()
    });
    time("Keys::new", || init::keys(&config));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _g = rt.enter();
    time("store::client (SDK client)", || init::sdk_client(&config));
    time("store::client (again)", || init::sdk_client(&config));
    time("Hasher::new", || init::hasher(&config));
    time("Tera::default", tera::Tera::default);
    time("Tera::default (again)", tera::Tera::default);
    time("Views (login's pages)", || init::views(Function::Login));
    time("Views (home's pages)", || init::views(Function::Home));
    time("Views (all pages)", init::all_views);
}
