//! What a function's init costs, step by step, in-process (first run in a
//! fresh process, then the median of repeats).

use std::time::Instant;

fn time<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let v = f();
    println!("{label:<28} {:>8.3} ms", t.elapsed().as_secs_f64() * 1000.0);
    v
}

fn main() {
    let env = bench::env("http://127.0.0.1:9");
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let config = time("Config::from_lookup", || {
        shared::Config::from_lookup(get).unwrap()
    });
    time("Keys::new", || {
        shared::cookies::Keys::new(&config.secret, None)
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _g = rt.enter();
    time("store::client (SDK client)", || {
        shared::store::client(&config)
    });
    time("store::client (again)", || shared::store::client(&config));
    time("Hasher::new", || {
        shared::password::Hasher::new(&config).unwrap()
    });
    time("Views::new (Tera parse)", || {
        shared::views::Views::new("The Blog").unwrap()
    });
    time("Views::new (again)", || {
        shared::views::Views::new("The Blog").unwrap()
    });
}
