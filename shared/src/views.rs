//! Pages: Tera templates compiled into the binary and parsed once at init.
//! Every template is named `*.html`, so Tera escapes everything it prints.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tera::{Context, Tera};

use crate::messages::{Level, Notice};

const CSS: &str = include_str!("../templates/style.css");
/// The passkey pages' one script (login and passkeys), inline.
const PASSKEY_JS: &str = include_str!("../assets/passkey.js");

// `TEMPLATES`: every `templates/*.html` as build.rs left it (indentation and
// blank lines removed), by name.
include!(concat!(env!("OUT_DIR"), "/templates/list.rs"));

/// The layout and the error page, which every function parses.
pub(crate) const ALWAYS: [&str; 2] = ["base.html", "error.html"];

pub(crate) struct Views {
    tera: Tera,
    /// `'sha256-…'`: the CSP source that allows our one inline stylesheet.
    pub(crate) style_src: String,
    /// `'sha256-…'`: the CSP source that allows our one inline script.
    pub(crate) script_src: String,
    site_name: String,
}

/// Who is signed in, as pages show it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Viewer {
    pub(crate) username: String,
    pub(crate) email: String,
    pub(crate) member_since: String,
}

/// What every page's layout needs.
#[derive(Debug, Default)]
pub(crate) struct Chrome {
    pub(crate) viewer: Option<Viewer>,
    /// Token for the forms on the page (the nav's log-out form included).
    pub(crate) csrf_token: String,
    pub(crate) notices: Vec<Notice>,
}

/// A notice as the layout shows it.
#[derive(Serialize)]
struct Shown {
    level: Level,
    text: String,
}

/// Whether a page of this name ships (build.rs lists `templates/`).
#[cfg(test)]
pub(crate) fn exists(page: &str) -> bool {
    TEMPLATES.iter().any(|(name, _)| *name == page)
}

impl Views {
    /// Every page (for tests and tools).
    pub(crate) fn new(site_name: &str) -> Result<Self, tera::Error> {
        Self::with_pages(site_name, &TEMPLATES.map(|(name, _)| name))
    }

    /// Only `pages` (plus the layout and the error page): a function parses
    /// just what it renders, which keeps its cold start short.
    pub(crate) fn with_pages(site_name: &str, pages: &[&str]) -> Result<Self, tera::Error> {
        let mut tera = Tera::default();
        tera.add_raw_templates(
            TEMPLATES
                .into_iter()
                .filter(|(name, _)| ALWAYS.contains(name) || pages.contains(name)),
        )?;
        let hash = |text: &str| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(text)));
        Ok(Views {
            tera,
            style_src: hash(CSS),
            script_src: hash(PASSKEY_JS),
            site_name: site_name.to_string(),
        })
    }

    /// The CSP sources of the inline stylesheet and script.
    pub(crate) fn sources(&self) -> crate::gateway::reply::Sources<'_> {
        crate::gateway::reply::Sources {
            style: &self.style_src,
            script: &self.script_src,
        }
    }

    /// Renders `template` with the layout's values plus `extra`.
    pub(crate) fn render(
        &self,
        template: &str,
        chrome: &Chrome,
        mut extra: Context,
    ) -> Result<String, tera::Error> {
        extra.insert("site_name", &self.site_name);
        extra.insert("css", CSS);
        extra.insert("passkey_js", PASSKEY_JS);
        extra.insert("user", &chrome.viewer);
        extra.insert("csrf_token", &chrome.csrf_token);
        // The layout prefixes the title with "Error:" when a form failed.
        if !extra.contains_key("error") {
            extra.insert("error", &None::<&str>);
        }
        let shown: Vec<Shown> = chrome
            .notices
            .iter()
            .map(|n| Shown {
                level: n.level(),
                text: n.text(),
            })
            .collect();
        extra.insert("flashes", &shown);
        self.tera.render(template, &extra)
    }

    /// The page for an error, falling back to fixed HTML should rendering
    /// itself fail.
    pub(crate) fn error_page(
        &self,
        title: &str,
        message: &str,
        back: (&str, &str),
        chrome: &Chrome,
    ) -> String {
        let mut ctx = Context::new();
        ctx.insert("title", title);
        ctx.insert("message", message);
        ctx.insert("back", back.0);
        ctx.insert("back_label", back.1);
        self.render("error.html", chrome, ctx).unwrap_or_else(|e| {
            tracing::error!(error = %e, "error page failed to render");
            "<!doctype html><title>Error</title><h1>Something went wrong</h1><p>Please try again.</p>".to_string()
        })
    }
}

/// User-Agent markers of browsers, the first match winning (Edge and Opera
/// also say "Chrome", Chrome also says "Safari").
const BROWSERS: [(&[&str], &str); 7] = [
    (&["Edg/"], "Edge"),
    (&["OPR/", "Opera"], "Opera"),
    (&["Firefox/"], "Firefox"),
    (&["HeadlessChrome"], "Headless Chrome"),
    (&["Chromium/"], "Chromium"),
    (&["Chrome/", "CriOS/"], "Chrome"),
    (&["Safari/"], "Safari"),
];

/// ...and of operating systems (iOS says "Mac OS X", Android "Linux").
const SYSTEMS: [(&[&str], &str); 6] = [
    (&["iPhone", "iPad"], "iOS"),
    (&["Android"], "Android"),
    (&["Windows"], "Windows"),
    (&["Mac OS X", "Macintosh"], "macOS"),
    (&["CrOS"], "ChromeOS"),
    (&["Linux"], "Linux"),
];

fn first_match(table: &[(&[&str], &'static str)], ua: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(markers, _)| markers.iter().any(|m| ua.contains(m)))
        .map(|(_, name)| *name)
}

/// A short description of a browser from its User-Agent, for the sessions
/// list ("Firefox on Linux").
pub(crate) fn describe_browser(ua: &str) -> String {
    if ua.is_empty() {
        return "Unknown browser".to_string();
    }
    let browser = first_match(&BROWSERS, ua)
        .or_else(|| ua.starts_with("curl/").then_some("curl"))
        .unwrap_or("Other browser");
    match first_match(&SYSTEMS, ua) {
        Some(os) => format!("{browser} on {os}"),
        None => browser.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_users_typed() {
        let v = Views::new("Blog").unwrap();
        let chrome = Chrome {
            viewer: Some(Viewer {
                username: "<script>alert(1)</script>".into(),
                email: "a@b.co".into(),
                member_since: "2026-01-01".into(),
            }),
            csrf_token: "t".into(),
            notices: vec![Notice::WelcomeBack {
                username: "<img src=x onerror=alert(1)>".into(),
            }],
        };
        let html = v.render("index.html", &chrome, Context::new()).unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<img src=x"));
    }

    #[test]
    fn a_subset_renders_its_pages_and_errors() {
        let v = Views::with_pages("Blog", &["login.html"]).unwrap();
        let mut ctx = Context::new();
        ctx.insert("username", "");
        ctx.insert("remember", &false);
        ctx.insert("next", &None::<&str>);
        ctx.insert("next_encoded", &None::<&str>);
        ctx.insert("error", &None::<&str>);
        assert!(v.render("login.html", &Chrome::default(), ctx).is_ok());
        assert!(v
            .error_page("Oops", "x", ("/", "Home"), &Chrome::default())
            .contains("Oops"));
        assert!(v
            .render("account.html", &Chrome::default(), Context::new())
            .is_err());
    }

    #[test]
    fn style_hash_matches_the_inline_stylesheet() {
        let v = Views::new("Blog").unwrap();
        let html = v
            .render("index.html", &Chrome::default(), Context::new())
            .unwrap();
        assert!(html.contains(&format!("<style>{CSS}</style>")));
        // The hash of what the page serves, computed here.
        let served = html.split("<style>").nth(1).unwrap();
        let served = served.split("</style>").next().unwrap();
        let hash = STANDARD.encode(Sha256::digest(served.as_bytes()));
        assert_eq!(v.style_src, format!("'sha256-{hash}'"));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn browsers() {
        assert_eq!(
            describe_browser(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
            ),
            "Firefox on Linux"
        );
        assert_eq!(
            describe_browser("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"),
            "Safari on iOS"
        );
        assert_eq!(describe_browser(""), "Unknown browser");
        assert_eq!(describe_browser("curl/8.0"), "curl");
    }
}
