//! The two ceremonies: `navigator.credentials.create()` (a registration)
//! and `navigator.credentials.get()` (an assertion), with the client data
//! and authenticator data they sign.

use super::*;

impl Authenticator {
    /// `navigator.credentials.create()`: create a credential from
    /// `PublicKeyCredentialCreationOptionsJSON` (or `{"publicKey": ...}`) and
    /// return the registration `PublicKeyCredential.toJSON()`.
    pub fn register(&mut self, options: &Value) -> Result<Value, AuthenticatorError> {
        let opts = unwrap_public_key(options);
        let rp_id = match opts.pointer("/rp/id") {
            Some(v) => str_field(v, "rp.id")?.to_owned(),
            None => self.origin_host()?,
        };
        let user_handle = b64_field(opts, "/user/id", "user.id")?;
        let challenge = b64_field(opts, "/challenge", "challenge")?;

        let params = opts
            .get("pubKeyCredParams")
            .and_then(Value::as_array)
            .ok_or_else(|| missing("pubKeyCredParams"))?;
        if !params
            .iter()
            .any(|p| p.get("alg").and_then(Value::as_i64) == Some(COSE_ALG_ES256))
        {
            return Err(AuthenticatorError::UnsupportedAlgorithm);
        }
        for excluded in descriptor_ids(opts, "excludeCredentials")? {
            if self
                .credentials
                .iter()
                .any(|c| c.rp_id == rp_id && c.id == excluded)
            {
                return Err(AuthenticatorError::CredentialExcluded);
            }
        }

        let id_len = 16 + usize::from(random_bytes(1)?[0] % 17);
        let mut cred = SoftCredential {
            id: random_bytes(id_len)?,
            signing_key: SigningKey::try_generate()
                .map_err(|e| AuthenticatorError::Random(e.to_string()))?,
            rp_id,
            user_handle,
            counter: 0,
        };
        cred.counter = match self.counter {
            CounterMode::Fixed(n) => n,
            CounterMode::Incrementing => cred.counter,
        };

        let client_data = self.client_data("webauthn.create", &challenge);
        let mut auth_data = self.auth_data_head(&cred.rp_id, FLAG_AT, cred.counter);
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID
        let id_len = u16::try_from(cred.id.len()).expect("credential id is at most 32 bytes");
        auth_data.extend_from_slice(&id_len.to_be_bytes());
        auth_data.extend_from_slice(&cred.id);
        cose_es256_key(&cred.signing_key, &mut auth_data);

        let mut attestation_object = Vec::new();
        Cbor::Map(vec![
            (Cbor::Text("fmt"), Cbor::Text("none")),
            (Cbor::Text("attStmt"), Cbor::Map(Vec::new())),
            (Cbor::Text("authData"), Cbor::Bytes(&auth_data)),
        ])
        .encode(&mut attestation_object);

        let id = cred.id_b64();
        self.credentials.push(cred);
        Ok(json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data.as_bytes()),
                "attestationObject": b64url(&attestation_object),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }))
    }

    /// `navigator.credentials.get()`: sign an assertion for
    /// `PublicKeyCredentialRequestOptionsJSON` (or `{"publicKey": ...}`,
    /// `mediation` is ignored) and return the authentication
    /// `PublicKeyCredential.toJSON()`.
    ///
    /// The credential is the most recently created one for the RP id that is
    /// also in `allowCredentials` when that list is non-empty, and is
    /// [`selected_credential`](Self::selected_credential) when that is set.
    pub fn authenticate(&mut self, options: &Value) -> Result<Value, AuthenticatorError> {
        let opts = unwrap_public_key(options);
        let rp_id = match opts.get("rpId") {
            Some(v) => str_field(v, "rpId")?.to_owned(),
            None => self.origin_host()?,
        };
        let challenge = b64_field(opts, "/challenge", "challenge")?;
        let allowed = descriptor_ids(opts, "allowCredentials")?;

        let selected = self.selected_credential.clone();
        let mode = self.counter;
        let cred = self
            .credentials
            .iter_mut()
            .rev()
            .filter(|c| c.rp_id == rp_id)
            .filter(|c| allowed.is_empty() || allowed.contains(&c.id))
            .find(|c| selected.as_ref().is_none_or(|s| *s == c.id))
            .ok_or(AuthenticatorError::NoCredential)?;
        cred.counter = match mode {
            CounterMode::Fixed(n) => n,
            CounterMode::Incrementing => cred.counter.wrapping_add(1),
        };
        let cred = cred.clone();

        let client_data = self.client_data("webauthn.get", &challenge);
        let auth_data = self.auth_data_head(&cred.rp_id, 0, cred.counter);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let key = if self.sign_with_foreign_key {
            SigningKey::try_generate().map_err(|e| AuthenticatorError::Random(e.to_string()))?
        } else {
            cred.signing_key.clone()
        };
        let signature: DerSignature = key.sign(&signed);
        let id = if self.present_unknown_credential_id {
            b64url(&random_bytes(cred.id.len())?)
        } else {
            cred.id_b64()
        };

        Ok(json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data.as_bytes()),
                "authenticatorData": b64url(&auth_data),
                "signature": b64url(signature.as_bytes()),
                "userHandle": b64url(&cred.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }))
    }

    /// `clientDataJSON`, members in the order browsers emit them.
    fn client_data(&self, type_: &str, challenge: &[u8]) -> String {
        let challenge = self.challenge_override.as_deref().unwrap_or(challenge);
        format!(
            r#"{{"type":{},"challenge":{},"origin":{},"crossOrigin":false}}"#,
            Value::from(type_),
            Value::from(b64url(challenge)),
            Value::from(self.origin.as_str()),
        )
    }

    /// rpIdHash || flags || signCount (big endian).
    fn auth_data_head(&self, rp_id: &str, extra_flags: u8, counter: u32) -> Vec<u8> {
        let mut flags = extra_flags;
        for (on, bit) in [
            (self.user_present, FLAG_UP),
            (self.user_verified, FLAG_UV),
            (self.backup_eligible, FLAG_BE),
            (self.backup_state, FLAG_BS),
        ] {
            if on {
                flags |= bit;
            }
        }
        let mut out = Sha256::digest(rp_id.as_bytes()).to_vec();
        out.push(flags);
        out.extend_from_slice(&counter.to_be_bytes());
        out
    }

    /// Host part of `origin` (what a browser uses as RP id when none is given).
    fn origin_host(&self) -> Result<String, AuthenticatorError> {
        let rest = self
            .origin
            .split_once("://")
            .map_or(self.origin.as_str(), |(_, r)| r);
        let authority = rest.split('/').next().unwrap_or_default();
        let host = match authority.rsplit_once(':') {
            Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => authority,
        };
        if host.is_empty() {
            return Err(AuthenticatorError::InvalidOptions(format!(
                "no RP id in the options and no host in origin {:?}",
                self.origin
            )));
        }
        Ok(host.to_owned())
    }
}
