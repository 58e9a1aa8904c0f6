//! Passkeys' settings, `/account/passkeys`: the person's passkeys, each
//! with a remove form, and an add form whose creation options (a
//! discoverable credential, user verification required, the passkeys it
//! has excluded) sit in a JSON block for the page's script. The
//! registration's state is kept server-side, by its challenge, for 5
//! minutes and used once. Adding and removing ask for the password
//! (counted like a login) and email the address on file.

use serde::Serialize;

use super::prelude::*;
use super::{links, reauth};
use crate::clock;
use crate::crypto::passkey::RelyingParty;
use crate::crypto::{random_b64, token_hash};
use crate::store::{MailKind, Passkey, StoreError, User};

use super::PASSKEYS_PAGE as PAGE;

/// How long a page's creation options work.
const CEREMONY_SECS: i64 = 5 * 60;

/// A passkey's name: 1 to this many characters.
const NAME_MAX: usize = 60;

/// A passkey as the list shows it.
#[derive(Serialize)]
struct Listed {
    public_id: String,
    name: String,
    added: String,
    last_used: Option<String>,
}

/// The relying party the `passkey` function builds at init
/// (`App::with_passkeys`). Without a site address there is none, and
/// passkeys' routes answer 404.
pub(super) fn relying_party(app: &App) -> Result<&RelyingParty> {
    app.relying_party
        .as_ref()
        .ok_or_else(|| AppError::NotFound.into())
}

/// The page: the list, and the add form with new creation options (their
/// state kept for 5 minutes). `name`: what the add form had.
async fn render(
    app: &App,
    rp: &RelyingParty,
    visit: Visit<'_, Member>,
    failed: Option<Failure<'_>>,
    name: &str,
) -> Result<Reply> {
    let account = &visit.who.account;
    let partition = app.store.partition(&account.account_id).await?;
    let mut passkeys = partition.passkeys;
    passkeys.sort_by_key(|p| p.created_at);
    let listed: Vec<Listed> = passkeys
        .iter()
        .map(|p| Listed {
            public_id: p.public_id.clone(),
            name: p.name.clone(),
            added: clock::date(p.created_at),
            last_used: (p.last_used > 0).then(|| clock::date(p.last_used)),
        })
        .collect();
    let existing: Vec<String> = passkeys.iter().map(|p| p.cred_id.clone()).collect();
    let creation = rp.creation(&account.account_id, &account.username, &existing);
    let Some(creation) = creation else {
        return Err(AppError::Bug("passkey options".into()).into());
    };
    let hash = token_hash(&creation.challenge);
    let expires = app.now() + CEREMONY_SECS;
    app.store
        .put_registration(&account.account_id, &hash, &creation.state, expires)
        .await?;
    let mut ctx = Context::new();
    ctx.insert("passkeys", &listed);
    ctx.insert("name", name);
    ctx.insert("options", &script_safe(&creation.options));
    visit.form_page(app, PAGE, failed, ctx)
}

/// JSON to sit inside a `<script>` block: no `<` or `>` that could end it.
pub(super) fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c").replace('>', "\\u003e")
}

pub(crate) async fn page(app: &App, req: &Req) -> Result<Reply> {
    let rp = relying_party(app)?;
    let visit = gate::member(app, req).await?;
    render(app, rp, visit, None, "").await
}

/// The name, trimmed, if it is 1 to 60 characters.
fn valid_name(name: &str) -> Option<&str> {
    let name = name.trim();
    let n = name.chars().count();
    (1..=NAME_MAX).contains(&n).then_some(name)
}

pub(crate) async fn add(app: &App, req: &Req) -> Result<Reply> {
    let rp = relying_party(app)?;
    let (visit, form) = gate::member_post(app, req).await?;
    let typed = form.text("name");
    let password = form.text("password");
    if password.is_empty() || typed.trim().is_empty() {
        let field = if typed.trim().is_empty() {
            "name"
        } else {
            "password"
        };
        let failed = (StatusCode::BAD_REQUEST, messages::REQUIRED, Some(field));
        return render(app, rp, visit, Some(failed), typed).await;
    }
    let Some(name) = valid_name(typed) else {
        let failed = (
            StatusCode::BAD_REQUEST,
            messages::PASSKEY_NAME,
            Some("name"),
        );
        return render(app, rp, visit, Some(failed), typed).await;
    };
    let confirmed = reauth::confirm(app, req, &visit.who, password, "passkey_add", "password");
    let user = match confirmed.await? {
        Ok(user) => user,
        Err(failed) => return render(app, rp, visit, Some(failed), name).await,
    };
    let Some(passkey) = created(app, rp, &user, form.text("credential"), name).await? else {
        audit(app, req, "passkey_add_failure", &user.key);
        let failed = (StatusCode::BAD_REQUEST, messages::PASSKEY_NOT_ADDED, None);
        return render(app, rp, visit, Some(failed), name).await;
    };
    let tx = app
        .store
        .tx()
        .put_passkey(&passkey)?
        .check_unchanged(&user)?
        .put_mail(&links::notice(app, MailKind::PasskeyAdded, &user))?
        .delete_counter(&reauth::counter(app, &visit.who))?;
    match tx.commit().await {
        Ok(()) => {}
        // The same credential twice (a resubmitted form).
        Err(StoreError::Refused(items)) if items == [0] => {
            let failed = (StatusCode::BAD_REQUEST, messages::PASSKEY_NOT_ADDED, None);
            return render(app, rp, visit, Some(failed), name).await;
        }
        Err(StoreError::Refused(_)) => {
            return Err(AppError::Conflict("account changed".into()).into())
        }
        Err(e) => return Err(e.into()),
    }
    audit(app, req, "passkey_added", &user.key);
    Ok(Reply::redirect("/account/passkeys").cookie(visit.flash(app, Notice::PasskeyAdded)))
}

/// The passkey a registration response creates, checked against the
/// state its challenge names (used up here, whatever the outcome).
async fn created(
    app: &App,
    rp: &RelyingParty,
    user: &User,
    credential: &str,
    name: &str,
) -> Result<Option<Passkey>> {
    let Some((reg, challenge)) = RelyingParty::registration_challenge(credential) else {
        return Ok(None);
    };
    let now = app.now();
    let state = app
        .store
        .take_registration(&user.account_id, &token_hash(&challenge), now)
        .await?;
    let Some(state) = state else {
        return Ok(None);
    };
    let Some(made) = rp.finish_creation(&reg, &state) else {
        return Ok(None);
    };
    Ok(Some(Passkey {
        account_id: user.account_id.clone(),
        cred_id: made.cred_id,
        public_id: random_b64(12),
        name: name.to_string(),
        created_at: now,
        last_used: 0,
        counter: made.counter,
        key: made.key,
    }))
}

pub(crate) async fn remove(app: &App, req: &Req) -> Result<Reply> {
    let rp = relying_party(app)?;
    let (visit, form) = gate::member_post(app, req).await?;
    let password = form.text("password");
    if password.is_empty() {
        let failed = (StatusCode::BAD_REQUEST, messages::REQUIRED, None);
        return render(app, rp, visit, Some(failed), "").await;
    }
    let confirmed = reauth::confirm(app, req, &visit.who, password, "passkey_remove", "password");
    let user = match confirmed.await? {
        Ok(user) => user,
        Err((status, text, _)) => {
            return render(app, rp, visit, Some((status, text, None)), "").await
        }
    };
    let partition = app.store.partition(&user.account_id).await?;
    let wanted = form.text("passkey");
    // Another account's id, or none: the same answer, nothing changed.
    if let Some(p) = partition.passkeys.iter().find(|p| p.public_id == wanted) {
        let tx = app
            .store
            .tx()
            .delete_passkey(p)?
            .put_mail(&links::notice(app, MailKind::PasskeyRemoved, &user))?
            .delete_counter(&reauth::counter(app, &visit.who))?;
        match tx.commit().await {
            Ok(()) => audit(app, req, "passkey_removed", &user.key),
            Err(StoreError::Refused(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Reply::redirect("/account/passkeys").cookie(visit.flash(app, Notice::PasskeyRemoved)))
}
