//! The authenticator's own checks: CBOR vectors, the layouts it writes.

use super::encoding::Cbor;
use super::*;
use p256::ecdsa::signature::Verifier as _;

fn enc(v: Cbor<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    v.encode(&mut out);
    out
}

/// Vectors from RFC 8949 appendix A.
#[test]
fn cbor_vectors() {
    assert_eq!(enc(Cbor::Int(0)), [0x00]);
    assert_eq!(enc(Cbor::Int(23)), [0x17]);
    assert_eq!(enc(Cbor::Int(24)), [0x18, 0x18]);
    assert_eq!(enc(Cbor::Int(1000)), [0x19, 0x03, 0xe8]);
    assert_eq!(enc(Cbor::Int(1_000_000)), [0x1a, 0x00, 0x0f, 0x42, 0x40]);
    assert_eq!(
        enc(Cbor::Int(1_000_000_000_000)),
        [0x1b, 0x00, 0x00, 0x00, 0xe8, 0xd4, 0xa5, 0x10, 0x00]
    );
    assert_eq!(enc(Cbor::Int(-1)), [0x20]);
    assert_eq!(enc(Cbor::Int(-7)), [0x26]);
    assert_eq!(enc(Cbor::Int(-100)), [0x38, 0x63]);
    assert_eq!(enc(Cbor::Int(-1000)), [0x39, 0x03, 0xe7]);
    assert_eq!(
        enc(Cbor::Int(i64::MIN)),
        [0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
    );
    assert_eq!(enc(Cbor::Text("a")), [0x61, 0x61]);
    assert_eq!(enc(Cbor::Bytes(&[1, 2, 3, 4])), [0x44, 1, 2, 3, 4]);
    assert_eq!(
        enc(Cbor::Map(vec![
            (Cbor::Int(1), Cbor::Int(2)),
            (Cbor::Int(3), Cbor::Int(4))
        ])),
        [0xa2, 0x01, 0x02, 0x03, 0x04]
    );
    assert_eq!(enc(Cbor::Map(Vec::new())), [0xa0]);
    assert_eq!(enc(Cbor::Bytes(&[0u8; 32]))[..2], [0x58, 0x20]);
}

fn creation_options() -> Value {
    json!({
        "rp": {"id": "localhost", "name": "test"},
        "user": {"id": b64url(b"user-1"), "name": "u", "displayName": "U"},
        "challenge": b64url(b"0123456789abcdef"),
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
    })
}

fn field(v: &Value, pointer: &str) -> Vec<u8> {
    b64url_decode(v.pointer(pointer).and_then(Value::as_str).expect(pointer)).expect(pointer)
}

#[test]
fn registration_layout() {
    let mut auth = Authenticator::new("http://localhost:9000").with_backup(true, true);
    let reg = auth
        .register(&json!({"publicKey": creation_options()}))
        .expect("register");
    let cred = &auth.credentials()[0];
    assert!((16..=32).contains(&cred.id.len()));
    assert_eq!(reg["id"], cred.id_b64());
    assert_eq!(auth.credential_id(), Some(cred.id_b64()));

    let cd = String::from_utf8(field(&reg, "/response/clientDataJSON")).expect("utf8");
    assert_eq!(
        cd,
        format!(
            r#"{{"type":"webauthn.create","challenge":"{}","origin":"http://localhost:9000","crossOrigin":false}}"#,
            b64url(b"0123456789abcdef")
        )
    );

    let ao = field(&reg, "/response/attestationObject");
    // authData is under 256 bytes: a one-byte length (0x58).
    let prefix = b"\xa3\x63fmt\x64none\x67attStmt\xa0\x68authData\x58";
    assert_eq!(&ao[..prefix.len()], prefix);
    let ad = &ao[prefix.len() + 1..];
    assert_eq!(ad.len(), usize::from(ao[prefix.len()]));
    assert_eq!(ad[..32], Sha256::digest(b"localhost")[..]);
    assert_eq!(ad[32], FLAG_UP | FLAG_UV | FLAG_BE | FLAG_BS | FLAG_AT);
    assert_eq!(ad[33..37], [0, 0, 0, 0]);
    assert_eq!(ad[37..53], [0u8; 16]);
    let n = usize::from(u16::from_be_bytes([ad[53], ad[54]]));
    assert_eq!(ad[55..55 + n], cred.id[..]);
    let cose = &ad[55 + n..];
    assert_eq!(
        cose[..10],
        [0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]
    );
    assert_eq!(cose.len(), 10 + 32 + 3 + 32);
}

#[test]
fn assertion_signature_verifies() {
    let mut auth =
        Authenticator::new("http://localhost:9000").with_counter(CounterMode::Incrementing);
    auth.register(&creation_options()).expect("register");
    let req = json!({"challenge": b64url(b"chal"), "rpId": "localhost", "allowCredentials": []});
    let a = auth.authenticate(&req).expect("authenticate");
    let ad = field(&a, "/response/authenticatorData");
    assert_eq!(ad.len(), 37);
    assert_eq!(ad[32], FLAG_UP | FLAG_UV);
    assert_eq!(ad[33..37], [0, 0, 0, 1]);
    assert_eq!(field(&a, "/response/userHandle"), b"user-1");
    let mut msg = ad.clone();
    msg.extend_from_slice(&Sha256::digest(field(&a, "/response/clientDataJSON")));
    let sig = DerSignature::from_bytes(&field(&a, "/response/signature")).expect("DER");
    let vk = *auth.credentials()[0].signing_key.verifying_key();
    vk.verify(&msg, &sig).expect("signature verifies");

    auth.sign_with_foreign_key = true;
    let a = auth.authenticate(&req).expect("authenticate");
    let mut msg = field(&a, "/response/authenticatorData");
    msg.extend_from_slice(&Sha256::digest(field(&a, "/response/clientDataJSON")));
    let sig = DerSignature::from_bytes(&field(&a, "/response/signature")).expect("DER");
    assert!(vk.verify(&msg, &sig).is_err());
}

#[test]
fn refusals_and_rp_id_fallback() {
    let mut auth = Authenticator::new("https://blog.example.com:8443");
    let mut opts = creation_options();
    opts["rp"].as_object_mut().expect("rp").remove("id");
    auth.register(&opts).expect("register");
    assert_eq!(auth.credentials()[0].rp_id, "blog.example.com");

    opts["excludeCredentials"] = json!([{"type": "public-key", "id": auth.credential_id()}]);
    assert_eq!(
        auth.register(&opts),
        Err(AuthenticatorError::CredentialExcluded)
    );
    opts["pubKeyCredParams"] = json!([{"type": "public-key", "alg": -257}]);
    assert_eq!(
        auth.register(&opts),
        Err(AuthenticatorError::UnsupportedAlgorithm)
    );
    assert!(matches!(
        auth.register(&json!({"challenge": "!!"})),
        Err(AuthenticatorError::InvalidOptions(_))
    ));

    let req = json!({"challenge": b64url(b"c"), "rpId": "other.example"});
    assert_eq!(
        auth.authenticate(&req),
        Err(AuthenticatorError::NoCredential)
    );
    let req = json!({"challenge": b64url(b"c"), "allowCredentials": [{"type": "public-key", "id": b64url(b"nope")}]});
    assert_eq!(
        auth.authenticate(&req),
        Err(AuthenticatorError::NoCredential)
    );
    let req = json!({"challenge": b64url(b"c")});
    assert!(auth.authenticate(&req).is_ok());
}
