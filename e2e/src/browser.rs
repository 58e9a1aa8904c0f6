//! The browser a flow drives: ChromeDriver sessions, pages, forms, axe and
//! screenshots.

use super::*;

/// A browser with its own profile directory, which survives `close` so that
/// a restart can reuse it.
pub(crate) struct Browser {
    pub(crate) client: Client,
}

impl Browser {
    pub(crate) async fn open(profile: &Path, width: u32, height: u32) -> Result<Browser> {
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--disable-quic".into(),
            "--password-store=basic".into(),
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={width},{height}"),
        ];
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROME.get().map(String::as_str).unwrap_or_default(),
                "args": args
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{DRIVER_PORT}"))
            .await
            .map_err(err)?;
        Ok(Browser { client })
    }

    pub(crate) async fn close(self) -> Result {
        self.client.close().await.map_err(err)
    }

    pub(crate) async fn goto(&self, path: &str) -> Result {
        self.client
            .goto(&format!("{}{path}", base()))
            .await
            .map_err(err)
    }

    pub(crate) async fn path(&self) -> Result<String> {
        let url = self.client.current_url().await.map_err(err)?;
        let mut p = url.path().to_string();
        if let Some(q) = url.query() {
            p.push('?');
            p.push_str(q);
        }
        Ok(p)
    }

    pub(crate) async fn text(&self) -> Result<String> {
        self.client
            .find(Locator::Css("body"))
            .await
            .map_err(err)?
            .text()
            .await
            .map_err(err)
    }

    /// Waits until the page's text contains `needle`.
    pub(crate) async fn expect_text(&self, needle: &str) -> Result {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text().await.unwrap_or_default();
            if text.contains(needle) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "page {} never showed {needle:?}; it shows: {}",
                    self.path().await?,
                    text.chars().take(400).collect::<String>()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn lacks_text(&self, needle: &str) -> Result {
        let text = self.text().await?;
        if text.contains(needle) {
            return Err(format!("page {} shows {needle:?}", self.path().await?));
        }
        Ok(())
    }

    pub(crate) async fn fill(&self, css: &str, value: &str) -> Result {
        let el = self.client.find(Locator::Css(css)).await.map_err(err)?;
        el.clear().await.map_err(err)?;
        el.send_keys(value).await.map_err(err)
    }

    pub(crate) async fn click(&self, css: &str) -> Result {
        self.client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("{css}: {e}"))?
            .click()
            .await
            .map_err(err)
    }

    pub(crate) async fn register(&self, username: &str, email: &str, password: &str) -> Result {
        self.goto("/register").await?;
        self.fill("#username", username).await?;
        self.fill("#email", email).await?;
        self.fill("#password", password).await?;
        self.click("main form button[type=submit]").await
    }

    pub(crate) async fn login(&self, username: &str, password: &str, remember: bool) -> Result {
        if !self.path().await?.starts_with("/login") {
            self.goto("/login").await?;
        }
        self.fill("#username", username).await?;
        self.fill("#password", password).await?;
        if remember {
            self.click("#remember").await?;
        }
        self.click("main form button[type=submit]").await
    }

    /// The home page's log-out button: the session cookie goes; the
    /// device (and trusted-browser) cookies stay, as the contract says.
    pub(crate) async fn logout(&self) -> Result {
        self.goto("/").await?;
        self.click("main form[action='/logout'] button").await?;
        self.expect_text("Logged out successfully.").await?;
        if self.path().await? != "/" {
            return Err(format!("logged out, but landed on {}", self.path().await?));
        }
        let left = self.cookie_names().await?;
        if left.iter().any(|n| n == "session") {
            return Err(format!("the session cookie outlived the log-out: {left:?}"));
        }
        Ok(())
    }

    /// The log-out page's "Log out and forget this browser": every cookie
    /// of the site goes (`Clear-Site-Data`).
    pub(crate) async fn logout_and_forget(&self) -> Result {
        self.goto("/logout").await?;
        self.click("main form[action='/logout'] input[name=forget] ~ button")
            .await?;
        self.expect_text("Logged out successfully.").await?;
        let left = self.cookie_names().await?;
        if !left.is_empty() {
            return Err(format!(
                "cookies left after forgetting the browser: {left:?}"
            ));
        }
        Ok(())
    }

    pub(crate) async fn cookie_names(&self) -> Result<Vec<String>> {
        let all = self.client.get_all_cookies().await.map_err(err)?;
        Ok(all.iter().map(|c| c.name().to_string()).collect())
    }

    /// The text of the first element `css` matches.
    pub(crate) async fn text_of(&self, css: &str) -> Result<String> {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("{css}: {e}"))?;
        el.text().await.map_err(err)
    }

    /// Runs axe-core on the page; serious and critical violations fail.
    pub(crate) async fn accessible(&self, axe: &str) -> Result {
        self.client
            .execute(&format!("{axe}\nreturn true;"), vec![])
            .await
            .map_err(err)?;
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' +
                          v.nodes.map(n => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await
            .map_err(err)?;
        let list = found.as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            crate::sweep::checked(&crate::sweep::AXED, &self.path().await?);
            Ok(())
        } else {
            Err(format!("axe on {}: {list:?}", self.path().await?))
        }
    }

    /// The page's `[scrollWidth, innerWidth]` once the layout has taken the
    /// new window width `w` (the viewport within the window's frame):
    /// polled, with a deadline, rather than waited for.
    pub(crate) async fn viewport_at(&self, w: u64) -> Result<(u64, u64)> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let viewport = self
                .client
                .execute(
                    "return [document.documentElement.scrollWidth, window.innerWidth];",
                    vec![],
                )
                .await
                .map_err(err)?;
            let (scroll, inner) = (
                viewport[0].as_u64().unwrap_or(0),
                viewport[1].as_u64().unwrap_or(0),
            );
            if inner > 0 && inner <= w && inner + 100 >= w {
                return Ok((scroll, inner));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the viewport is {inner}px, 5 s after the window became {w}px"
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Saves a screenshot at desktop and phone width and checks that the
    /// phone layout does not scroll sideways.
    pub(crate) async fn shoot(&self, name: &str) -> Result {
        // Written outside the work tree while the site runs: `cargo lambda
        // watch` restarts the functions when files in the tree change.
        let dir = shots_tmp();
        std::fs::create_dir_all(&dir).map_err(err)?;
        for (label, w, h) in [("desktop", 1280u32, 900u32), ("phone", 375, 812)] {
            self.client.set_window_size(w, h).await.map_err(err)?;
            let (scroll, inner) = self.viewport_at(u64::from(w)).await?;
            if label == "phone" && scroll > inner {
                return Err(format!(
                    "{name}: {scroll}px wide at a {inner}px viewport (horizontal scroll)"
                ));
            }
            let png = self.client.screenshot().await.map_err(err)?;
            std::fs::write(dir.join(format!("{name}-{label}.png")), png).map_err(err)?;
        }
        crate::sweep::checked(&crate::sweep::NARROW, &self.path().await?);
        self.client.set_window_size(1280, 900).await.map_err(err)
    }
}
