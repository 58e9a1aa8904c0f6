//! Passkeys as a browser with an authenticator uses them: read the options
//! a page carries, let the software authenticator (`authenticator`) answer,
//! post its JSON in the page's form.

use serde_json::Value;

use super::authenticator::Authenticator;
use super::browser::{Browser, Page};

/// The JSON in a page's `<script type="application/json" id="…">` block.
pub fn script_json(page: &Page, id: &str) -> Option<Value> {
    let open = format!("<script type=\"application/json\" id=\"{id}\">");
    let start = page.body.find(&open)? + open.len();
    let end = page.body[start..].find("</script>")? + start;
    serde_json::from_str(&page.body[start..end]).ok()
}

impl Browser {
    /// Opens the passkeys page and creates a passkey for its options: the
    /// page, and the registration's JSON (not yet posted).
    pub async fn create_passkey(&mut self, auth: &mut Authenticator) -> (Page, String) {
        let page = self.get("/account/passkeys").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let options = script_json(&page, "passkey-create-options").expect("creation options");
        let created = auth
            .register(&options)
            .expect("the authenticator creates one");
        (page, created.to_string())
    }

    /// Posts a registration's JSON in the add form of `page`.
    pub async fn post_passkey(
        &mut self,
        page: &Page,
        credential: &str,
        name: &str,
        password: &str,
    ) -> Page {
        let csrf = page.csrf();
        let fields = [
            ("csrf_token", csrf.as_str()),
            ("name", name),
            ("password", password),
            ("credential", credential),
        ];
        self.post("/account/passkeys", &fields).await
    }

    /// Adds a passkey made by `auth`, as a person does on the passkeys page.
    pub async fn add_passkey(
        &mut self,
        auth: &mut Authenticator,
        name: &str,
        password: &str,
    ) -> Page {
        let (page, credential) = self.create_passkey(auth).await;
        self.post_passkey(&page, &credential, name, password).await
    }

    /// Opens the log-in page (`target`, with its `?next=`) and lets `auth`
    /// answer its passkey challenge: the page and the assertion's JSON.
    pub async fn passkey_assertion(
        &mut self,
        auth: &mut Authenticator,
        target: &str,
    ) -> (Page, Option<String>) {
        let page = self.get(target).await;
        let options = script_json(&page, "passkey-login-options").expect("request options");
        let assertion = auth.authenticate(&options).ok().map(|a| a.to_string());
        (page, assertion)
    }

    /// Posts an assertion in the passkey form of the log-in `page`.
    pub async fn post_assertion(&mut self, page: &Page, assertion: &str) -> Page {
        let action = form_action(page, "passkey-login").unwrap_or_else(|| "/login/passkey".into());
        let csrf = page.csrf();
        let fields = [("csrf_token", csrf.as_str()), ("credential", assertion)];
        self.post(&action, &fields).await
    }

    /// Signs in with a passkey of `auth` from `/login`.
    pub async fn login_with_passkey(&mut self, auth: &mut Authenticator) -> Page {
        let (page, assertion) = self.passkey_assertion(auth, "/login").await;
        let assertion = assertion.expect("the authenticator answers");
        self.post_assertion(&page, &assertion).await
    }
}

/// The `action` of the form with `id` on the page (entities decoded).
fn form_action(page: &Page, id: &str) -> Option<String> {
    let at = page.body.find(&format!("id=\"{id}\""))?;
    let form = page.body[..at].rfind("<form")?;
    let tag = &page.body[form..at];
    let start = tag.find("action=\"")? + "action=\"".len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].replace("&amp;", "&").replace("&#x2F;", "/"))
}
