//! Compiles the shipped common-password list into a sorted static slice, so
//! the check is a binary search with no work at cold start.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    minify_templates();
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

/// Copies the templates to OUT_DIR without indentation or blank lines: HTML
/// does not need them, and Tera parses a third less text at cold start.
/// (None of our templates has a <pre> or <textarea>.)
fn minify_templates() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("templates");
    std::fs::create_dir_all(&out).expect("create OUT_DIR/templates");
    println!("cargo:rerun-if-changed=templates");
    for entry in std::fs::read_dir("templates").expect("read templates") {
        let path = entry.expect("template entry").path();
        let text = std::fs::read_to_string(&path).expect("read a template");
        let name = path.file_name().unwrap();
        let text = if path.extension().is_some_and(|e| e == "html") {
            assert!(
                !text.contains("<pre") && !text.contains("<textarea"),
                "{name:?} needs its whitespace"
            );
            let mut min: String = text
                .lines()
                .map(str::trim_start)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            min.push('\n');
            min
        } else {
            text
        };
        std::fs::write(out.join(name), text).expect("write a template");
    }
}
