//! Compiles the shipped common-password list into a sorted static slice, so
//! the check is a binary search with no work at cold start.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let src = "data/common-passwords.txt";
    println!("cargo:rerun-if-changed={src}");
    let text = std::fs::read_to_string(src).expect("read the common-password list");
    let mut words: Vec<String> = text
        .lines()
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect();
    words.sort();
    words.dedup();
    let mut out = format!("pub static COMMON_PASSWORDS: [&str; {}] = [\n", words.len());
    for w in &words {
        writeln!(out, "    {w:?},").unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("common_passwords.rs");
    std::fs::write(dest, out).expect("write the generated list");
}
