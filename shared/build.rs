//! Compiles the shipped common-password list into a sorted static table, so
//! the check is a binary search with no work at cold start; and minifies the
//! templates, listing them for `views.rs`.

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
    // One string and a table of u32 offsets rather than a `[&str; N]`: each
    // &str in a static is a pointer the loader must relocate at every cold
    // start (30,000 relocations, 480 KB of pages touched); offsets need none.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut text = String::new();
    let mut out = format!("static COMMON_OFFSETS: [u32; {}] = [\n", words.len());
    for w in &words {
        assert!(!w.contains('\n'));
        writeln!(out, "    {},", text.len()).unwrap();
        text.push_str(w);
        text.push('\n');
    }
    out.push_str("];\n");
    std::fs::write(out_dir.join("common_passwords.txt"), text).expect("write the word list");
    let dest = out_dir.join("common_passwords.rs");
    std::fs::write(dest, out).expect("write the generated list");
}

/// Copies the templates to OUT_DIR without indentation or blank lines: HTML
/// does not need them, and Tera parses a third less text at cold start.
/// (None of our templates has a <pre> or <textarea>.)
fn minify_templates() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("templates");
    std::fs::create_dir_all(&out).expect("create OUT_DIR/templates");
    println!("cargo:rerun-if-changed=templates");
    let mut paths: Vec<PathBuf> = std::fs::read_dir("templates")
        .expect("read templates")
        .map(|entry| entry.expect("template entry").path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    // The list views.rs embeds: every page, so adding one is adding its file.
    let mut list = String::new();
    for path in paths {
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
        if path.extension().is_some_and(|e| e == "html") {
            let name = name.to_str().expect("a UTF-8 template name");
            writeln!(
                list,
                "    ({name:?}, include_str!(concat!(env!(\"OUT_DIR\"), \"/templates/{name}\"))),"
            )
            .unwrap();
        }
    }
    let count = list.lines().count();
    std::fs::write(
        out.join("list.rs"),
        format!("const TEMPLATES: [(&str, &str); {count}] = [\n{list}];\n"),
    )
    .expect("write the template list");
    mail_templates(&out);
}

/// The mail templates (`templates/mail/*.txt` and `*.html`), as they are:
/// plain text keeps its line breaks. Listed by name (`mail/<file>`).
fn mail_templates(out: &std::path::Path) {
    let dir = std::path::Path::new("templates/mail");
    println!("cargo:rerun-if-changed=templates/mail");
    std::fs::create_dir_all(out.join("mail")).expect("create OUT_DIR/templates/mail");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read templates/mail")
        .map(|entry| entry.expect("mail template entry").path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut list = String::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_str().expect("a UTF-8 name");
        std::fs::copy(path, out.join("mail").join(name)).expect("copy a mail template");
        writeln!(
            list,
            "    (\"mail/{name}\", include_str!(concat!(env!(\"OUT_DIR\"), \"/templates/mail/{name}\"))),"
        )
        .unwrap();
    }
    std::fs::write(
        out.join("mail_list.rs"),
        format!(
            "const MAIL_TEMPLATES: [(&str, &str); {}] = [\n{list}];\n",
            paths.len()
        ),
    )
    .expect("write the mail template list");
}
