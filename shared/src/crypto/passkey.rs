//! The relying party's side of passkeys (WebAuthn), through webauthn-rs:
//! creation options and their check, and the check of a sign-in's
//! assertion. Only the `passkey` function links it (`web::PasskeyRoutes`).
//!
//! A passkey's user handle is the account's id (its 16 random bytes), so a
//! sign-in without a username finds the account from the assertion alone.
//! The log-in page's challenge is made without webauthn-rs (`login.rs`
//! renders it, so that the `login` function need not link it); here it is
//! put back into a fresh sign-in state before the assertion is checked.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use webauthn_rs::prelude::{
    CredentialID, DiscoverableAuthentication, Passkey as Credential, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// Why passkeys cannot be offered (at init: the site's address).
#[derive(Debug, thiserror::Error)]
#[error("passkeys: {0}")]
pub(crate) struct RelyingPartyError(String);

/// The site as a WebAuthn relying party: its id is the host of its own
/// address, and only that origin is accepted.
pub(crate) struct RelyingParty {
    webauthn: Webauthn,
}

/// A registration under way: the options for the page, and what the
/// answer is checked against (kept server-side, by the challenge).
pub(crate) struct Creation {
    /// `PublicKeyCredentialCreationOptionsJSON`.
    pub(crate) options: String,
    pub(crate) challenge: String,
    pub(crate) state: String,
}

/// A checked registration: the credential to store.
pub(crate) struct Created {
    pub(crate) cred_id: String,
    pub(crate) key: String,
    /// The signature counter it started with.
    pub(crate) counter: i64,
}

/// A sign-in's assertion, read (not yet checked).
pub(crate) struct Assertion {
    credential: PublicKeyCredential,
    /// The challenge it answers, as the page had it (base64url).
    pub(crate) challenge: String,
    /// The account its user handle names.
    pub(crate) account_id: String,
    pub(crate) cred_id: String,
}

/// The challenge in a response's `clientDataJSON` (base64url), if any.
fn client_challenge(client_data: &[u8]) -> Option<String> {
    let data: serde_json::Value = serde_json::from_slice(client_data).ok()?;
    data.get("challenge")?.as_str().map(str::to_string)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The account id as a WebAuthn user handle (16 bytes as a UUID).
fn user_handle(account_id: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(account_id).ok()?;
    Uuid::from_slice(&bytes).ok()
}

impl RelyingParty {
    /// For the site at `site_url` (its host is the relying-party id).
    pub(crate) fn new(site_url: &str, site_name: &str) -> Result<Self, RelyingPartyError> {
        let bad = |e: &dyn std::fmt::Display| RelyingPartyError(format!("{site_url:?}: {e}"));
        let origin = Url::parse(site_url).map_err(|e| bad(&e))?;
        let host = origin
            .host_str()
            .ok_or_else(|| bad(&"no host"))?
            .to_string();
        let webauthn = WebauthnBuilder::new(&host, &origin)
            .and_then(|b| b.rp_name(site_name).build())
            .map_err(|e| bad(&e))?;
        Ok(RelyingParty { webauthn })
    }

    /// Options to create a passkey for the account, excluding the
    /// credentials it has (the same authenticator is not added twice),
    /// asking for a discoverable credential and user verification.
    pub(crate) fn creation(
        &self,
        account_id: &str,
        username: &str,
        existing: &[String],
    ) -> Option<Creation> {
        let user = user_handle(account_id)?;
        let exclude: Vec<CredentialID> = existing
            .iter()
            .filter_map(|id| URL_SAFE_NO_PAD.decode(id).ok())
            .collect();
        let (ccr, state) = self
            .webauthn
            .start_passkey_registration(user, username, username, Some(exclude))
            .map_err(|e| tracing::warn!(error = %e, "passkey options"))
            .ok()?;
        let challenge = b64(ccr.public_key.challenge.as_ref());
        let mut options = serde_json::to_value(&ccr.public_key).ok()?;
        // webauthn-rs asks for a non-discoverable credential; signing in
        // without a username needs a discoverable one.
        let selection = options.get_mut("authenticatorSelection")?.as_object_mut()?;
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
        Some(Creation {
            options: options.to_string(),
            challenge,
            state: serde_json::to_string(&state).ok()?,
        })
    }

    /// The challenge a registration response answers (to find its state).
    pub(crate) fn registration_challenge(
        credential: &str,
    ) -> Option<(RegisterPublicKeyCredential, String)> {
        let reg: RegisterPublicKeyCredential = serde_json::from_str(credential).ok()?;
        let challenge = client_challenge(reg.response.client_data_json.as_ref())?;
        Some((reg, challenge))
    }

    /// Checks a registration response against its state: the credential,
    /// or `None` (a bad, foreign or replayed response).
    pub(crate) fn finish_creation(
        &self,
        reg: &RegisterPublicKeyCredential,
        state: &str,
    ) -> Option<Created> {
        let state: PasskeyRegistration = serde_json::from_str(state).ok()?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(reg, &state)
            .map_err(|e| tracing::info!(error = %e, "passkey registration refused"))
            .ok()?;
        let key = serde_json::to_value(&passkey).ok()?;
        let counter = key.pointer("/cred/counter")?.as_i64()?;
        Some(Created {
            cred_id: b64(passkey.cred_id().as_ref()),
            key: key.to_string(),
            counter,
        })
    }

    /// Reads a sign-in's assertion: the challenge, account and credential
    /// it names. `None`: not an assertion.
    pub(crate) fn read_assertion(&self, credential: &str) -> Option<Assertion> {
        let credential: PublicKeyCredential = serde_json::from_str(credential).ok()?;
        let (user, cred_id) = self
            .webauthn
            .identify_discoverable_authentication(&credential)
            .ok()?;
        let challenge = client_challenge(credential.response.client_data_json.as_ref())?;
        Some(Assertion {
            account_id: b64(user.as_bytes()),
            cred_id: b64(cred_id),
            challenge,
            credential,
        })
    }

    /// Checks an assertion against the stored credential (`key`, with the
    /// last counter seen): signature, origin, relying party, user
    /// verification, and a counter that goes up (0 then 0 passes: the
    /// authenticator keeps none). The new counter, or `None`.
    pub(crate) fn finish_sign_in(
        &self,
        assertion: &Assertion,
        key: &str,
        counter: i64,
    ) -> Option<i64> {
        let mut stored: serde_json::Value = serde_json::from_str(key).ok()?;
        *stored.pointer_mut("/cred/counter")? = counter.into();
        let stored: Credential = serde_json::from_value(stored).ok()?;
        let state = self.sign_in_state(&assertion.challenge)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(&assertion.credential, state, &stored)
            .map_err(|e| tracing::info!(error = %e, "passkey sign-in refused"))
            .ok()?;
        result
            .user_verified()
            .then_some(i64::from(result.counter()))
    }

    /// webauthn-rs's state for a discoverable sign-in, with the log-in
    /// page's challenge in place of the one it made.
    fn sign_in_state(&self, challenge: &str) -> Option<DiscoverableAuthentication> {
        let (_, state) = self.webauthn.start_discoverable_authentication().ok()?;
        let mut state = serde_json::to_value(state).ok()?;
        *state.pointer_mut("/ast/challenge")? = challenge.into();
        serde_json::from_value(state).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_host_of_the_site() {
        assert!(RelyingParty::new("http://localhost:9000", "Site").is_ok());
        assert!(RelyingParty::new("https://login.example.com", "Site").is_ok());
        assert!(RelyingParty::new("not a url", "Site").is_err());
    }

    #[test]
    fn creation_asks_for_a_discoverable_verified_credential() {
        let rp = RelyingParty::new("https://login.example.com", "Site").unwrap();
        let id = crate::crypto::random_b64(16);
        let c = rp.creation(&id, "alice", &[b64(b"old")]).unwrap();
        let o: serde_json::Value = serde_json::from_str(&c.options).unwrap();
        assert_eq!(o["rp"]["id"], "login.example.com");
        assert_eq!(o["user"]["id"], id.as_str());
        assert_eq!(o["challenge"], c.challenge.as_str());
        assert_eq!(o["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(o["authenticatorSelection"]["userVerification"], "required");
        assert_eq!(o["excludeCredentials"][0]["id"], b64(b"old").as_str());
    }

    #[test]
    fn the_sign_in_state_carries_the_pages_challenge() {
        let rp = RelyingParty::new("http://localhost:9000", "Site").unwrap();
        let challenge = crate::crypto::random_b64(32);
        let state = rp.sign_in_state(&challenge).unwrap();
        let v = serde_json::to_value(state).unwrap();
        assert_eq!(v["ast"]["challenge"], challenge.as_str());
        assert_eq!(v["ast"]["policy"], "required");
    }
}
