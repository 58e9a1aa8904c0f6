//! GET/POST `/account/delete`: the password, then the account goes, in one
//! transaction, only while the password is still the one just confirmed:
//! the account, its email claim, its sessions' row (which ends every
//! session at once, however many), this session, its outstanding links
//! and as many of its other mail requests as fit. A fault leaves all of it
//! (this browser signed in; the page says to try again) or none of it: the
//! name and address are free. Nothing issued to the account fits another
//! that takes the name: its id is never reused. Then, best effort, the
//! dead sessions and any mail requests left over go too (what is missed
//! counts for nothing and expires).

use super::prelude::*;
use super::reauth;
use super::signin;
use crate::store::{confirm_pk, reset_pk, StoreError, User, MAX_TX_ITEMS};
use crate::validate;

pub(crate) const PAGE: &str = "delete.html";

fn render(app: &App, visit: Visit<'_, Member>, failed: Option<Failure<'_>>) -> Result<Reply> {
    visit.form_page(app, PAGE, failed, Context::new())
}

pub(crate) async fn confirm(app: &App, req: &Req) -> Result<Reply> {
    render(app, gate::member(app, req).await?, None)
}

pub(crate) async fn submit(app: &App, req: &Req) -> Result<Reply> {
    let (visit, form) = gate::member_post(app, req).await?;
    let password = form.text("password");
    if password.is_empty() {
        let failed = (
            StatusCode::BAD_REQUEST,
            messages::REQUIRED,
            Some("password"),
        );
        return render(app, visit, Some(failed));
    }
    let user = match reauth::confirm(app, req, &visit.who, password, "delete", "password").await? {
        Ok(user) => user,
        Err(failed) => return render(app, visit, Some(failed)),
    };
    delete(app, &visit.who, &user).await?;
    audit(app, req, "account_delete", &user.key);
    Ok(Reply::redirect("/")
        .cookie(visit.drop_session())
        .cookie(visit.flash(app, Notice::AccountDeleted))
        .clear_site_data(!req.is_navigation()))
}

async fn delete(app: &App, who: &Member, user: &User) -> Result<()> {
    let mut links: Vec<String> = [
        user.reset_hash.as_deref().map(reset_pk),
        user.confirm_hash.as_deref().map(confirm_pk),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut others = app.store.tokens_of(&user.account_id).await?;
    others.retain(|pk| !links.contains(pk));
    let mut tx = app
        .store
        .tx()
        .delete_user(user, &validate::email_key(&user.email))?
        .delete_account_row(&user.account_id)?
        .delete_session(&who.session)?
        .delete_counter(&reauth::counter(app, who))?;
    let room = MAX_TX_ITEMS.saturating_sub(tx.len() + links.len());
    let later = others.split_off(others.len().min(room));
    links.extend(others);
    for pk in &links {
        tx = tx.delete_token(pk)?;
    }
    match tx.commit().await {
        Ok(()) => {}
        // The password changed since it was confirmed: nothing was deleted.
        Err(StoreError::Refused(_)) => {
            return Err(AppError::Conflict("account changed".into()).into())
        }
        Err(e) => return Err(e.into()),
    }
    signin::clean_up(app, &user.account_id).await;
    if !later.is_empty() {
        app.store.clean_up_tokens(&later).await;
    }
    Ok(())
}
