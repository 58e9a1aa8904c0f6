//! Confirming the address: GET `/email/verify?token=…` (the link from the
//! welcome or resend email, used up in one transaction with the account's
//! flag) and POST `/account/email/resend` (a fresh link, replacing the
//! earlier one, within the mail caps).

use super::links;
use super::prelude::*;
use crate::crypto::{self, token_hash};
use crate::error::LinkKind;
use crate::store::{confirm_pk, LinkField, MailKind, RowChange, StoreError, NO_LINK};
use crate::validate;

fn bad_link(malformed: bool) -> Stop {
    AppError::BadLink {
        kind: LinkKind::Confirm,
        malformed,
    }
    .into()
}

pub(crate) async fn verify(app: &App, req: &Req) -> Result<Reply> {
    let visit = gate::anyone(app, req).await?;
    let token = req.query.get("token").map(String::as_str).unwrap_or("");
    if !crypto::is_link_token(token) {
        return Err(bad_link(true));
    }
    let now = app.now();
    let hash = token_hash(token);
    let pk = confirm_pk(&hash);
    let item = app.store.get_token(&pk).await?;
    let Some(item) = item
        .filter(|i| matches!(i.kind, MailKind::Welcome | MailKind::Confirm) && i.expires_at > now)
    else {
        return Err(bad_link(false));
    };
    let (Some(user_key), Some(account_id)) = (item.user_key, item.account_id) else {
        return Err(bad_link(false));
    };
    // Only for the account it was issued to (its id), and only while it is
    // that account's newest link; its row shows the flag too.
    let tx = app
        .store
        .tx()
        .use_confirm(&user_key, &hash)?
        .change_row(
            &account_id,
            RowChange {
                confirmed: true,
                ..Default::default()
            },
        )?
        .use_token(&pk, now)?;
    match tx.commit().await {
        Ok(()) => {}
        Err(StoreError::Refused(_)) => return Err(bad_link(false)),
        Err(e) => return Err(e.into()),
    }
    audit(app, req, "email_confirmed", &user_key);
    let to = if visit.who.is_some() {
        "/account"
    } else {
        "/login"
    };
    Ok(Reply::redirect(to).cookie(visit.flash(app, Notice::EmailConfirmed)))
}

pub(crate) async fn resend(app: &App, req: &Req) -> Result<Reply> {
    let (visit, _form) = gate::member_post(app, req).await?;
    let found = app.store.get_user(visit.who.user_key()).await?;
    let Some(user) = found.filter(|u| u.account_id == visit.who.account.account_id) else {
        return Err(AppError::Conflict("account gone".into()).into());
    };
    if user.email_confirmed {
        return Ok(Reply::redirect("/account").cookie(visit.flash(app, Notice::AlreadyConfirmed)));
    }
    if links::within_caps(app, req, &validate::email_key(&user.email)).await? {
        let (link, item) = links::new_link(app, MailKind::Confirm, Some(&user));
        let old = user.confirm_hash.as_deref().map(confirm_pk);
        let tx = app
            .store
            .tx()
            .put_mail(&item)?
            .set_link(&user, LinkField::Confirm, &link.hash)?
            .delete_token(old.as_deref().unwrap_or(NO_LINK))?;
        tx.commit().await?;
        audit(app, req, "confirm_resend", &user.key);
    } else {
        audit(app, req, "confirm_resend_capped", &user.key);
    }
    Ok(Reply::redirect("/account").cookie(visit.flash(app, Notice::ConfirmSent)))
}
