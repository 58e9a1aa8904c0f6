//! Pages: Tera templates compiled into the binary and parsed once at init.
//! Every template is named `*.html`, so Tera escapes everything it prints.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tera::{Context, Tera};

use crate::flash::Flash;

pub const CSS: &str = include_str!("../templates/style.css");

/// A template as build.rs left it (indentation and blank lines removed).
macro_rules! template {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(env!("OUT_DIR"), "/templates/", $name)),
        )
    };
}

const TEMPLATES: [(&str, &str); 7] = [
    template!("base.html"),
    template!("index.html"),
    template!("login.html"),
    template!("register.html"),
    template!("logout.html"),
    template!("account.html"),
    template!("error.html"),
];

pub struct Views {
    tera: Tera,
    /// `'sha256-…'`: the CSP source that allows our one inline stylesheet.
    pub style_src: String,
    site_name: String,
}

/// Who is signed in, as pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Viewer {
    pub username: String,
    pub email: String,
    pub member_since: String,
}

/// What every page's layout needs.
#[derive(Debug, Default)]
pub struct Chrome {
    pub viewer: Option<Viewer>,
    /// Token for the forms on the page (the nav's log-out form included).
    pub csrf_token: String,
    pub flashes: Vec<Flash>,
}

impl Views {
    /// Every page (for tests and tools).
    pub fn new(site_name: &str) -> Result<Self, tera::Error> {
        Self::with_pages(site_name, &TEMPLATES.map(|(name, _)| name))
    }

    /// Only `pages` (plus the layout and the error page): a function parses
    /// just what it renders, which keeps its cold start short.
    pub fn with_pages(site_name: &str, pages: &[&str]) -> Result<Self, tera::Error> {
        let mut tera = Tera::default();
        tera.add_raw_templates(TEMPLATES.into_iter().filter(|(name, _)| {
            matches!(*name, "base.html" | "error.html") || pages.contains(name)
        }))?;
        let style_src = format!(
            "'sha256-{}'",
            STANDARD.encode(Sha256::digest(CSS.as_bytes()))
        );
        Ok(Views {
            tera,
            style_src,
            site_name: site_name.to_string(),
        })
    }

    /// Renders `template` with the layout's values plus `extra`.
    pub fn render(
        &self,
        template: &str,
        chrome: &Chrome,
        mut extra: Context,
    ) -> Result<String, tera::Error> {
        extra.insert("site_name", &self.site_name);
        extra.insert("css", CSS);
        extra.insert("user", &chrome.viewer);
        extra.insert("csrf_token", &chrome.csrf_token);
        extra.insert("flashes", &chrome.flashes);
        self.tera.render(template, &extra)
    }

    /// The page for an error, falling back to fixed HTML should rendering
    /// itself fail.
    pub fn error_page(&self, title: &str, message: &str, chrome: &Chrome) -> String {
        let mut ctx = Context::new();
        ctx.insert("title", title);
        ctx.insert("message", message);
        ctx.insert("back", "/");
        ctx.insert("back_label", "Back to the home page");
        self.render("error.html", chrome, ctx).unwrap_or_else(|e| {
            tracing::error!(error = %e, "error page failed to render");
            "<!doctype html><title>Error</title><h1>Something went wrong</h1><p>Please try again.</p>".to_string()
        })
    }
}

/// A short description of a browser from its User-Agent, for the sessions
/// list ("Firefox on Linux").
pub fn describe_browser(ua: &str) -> String {
    if ua.is_empty() {
        return "Unknown browser".to_string();
    }
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") || ua.contains("Opera") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("HeadlessChrome") {
        "Headless Chrome"
    } else if ua.contains("Chromium/") {
        "Chromium"
    } else if ua.contains("Chrome/") || ua.contains("CriOS/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.starts_with("curl/") {
        "curl"
    } else {
        "Other browser"
    };
    let os = if ua.contains("iPhone") || ua.contains("iPad") {
        Some("iOS")
    } else if ua.contains("Android") {
        Some("Android")
    } else if ua.contains("Windows") {
        Some("Windows")
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        Some("macOS")
    } else if ua.contains("CrOS") {
        Some("ChromeOS")
    } else if ua.contains("Linux") {
        Some("Linux")
    } else {
        None
    };
    match os {
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
            flashes: vec![Flash::info("<img src=x onerror=alert(1)>")],
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
            .error_page("Oops", "x", &Chrome::default())
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
        assert!(v.style_src.starts_with("'sha256-"));
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
