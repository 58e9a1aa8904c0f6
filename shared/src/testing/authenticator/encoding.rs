//! The authenticator's encodings: the options' fields it reads, the
//! COSE key and the CBOR it writes.

use p256::ecdsa::SigningKey;
use serde_json::Value;

use super::{b64url_decode, AuthenticatorError, COSE_ALG_ES256};

pub(super) fn unwrap_public_key(options: &Value) -> &Value {
    options.get("publicKey").unwrap_or(options)
}

pub(super) fn missing(field: &str) -> AuthenticatorError {
    AuthenticatorError::InvalidOptions(format!("missing or mistyped {field}"))
}

pub(super) fn str_field<'a>(v: &'a Value, name: &str) -> Result<&'a str, AuthenticatorError> {
    v.as_str().ok_or_else(|| missing(name))
}

pub(super) fn b64_field(
    opts: &Value,
    pointer: &str,
    name: &str,
) -> Result<Vec<u8>, AuthenticatorError> {
    let s = opts
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| missing(name))?;
    b64url_decode(s)
}

/// Raw ids of a `PublicKeyCredentialDescriptorJSON` list; absent or null is
/// an empty list.
pub(super) fn descriptor_ids(
    opts: &Value,
    field: &str,
) -> Result<Vec<Vec<u8>>, AuthenticatorError> {
    match opts.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|d| {
                let id = d
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| missing(field))?;
                b64url_decode(id)
            })
            .collect(),
        Some(_) => Err(missing(field)),
    }
}

pub(super) fn random_bytes(n: usize) -> Result<Vec<u8>, AuthenticatorError> {
    let mut buf = vec![0u8; n];
    p256::elliptic_curve::common::getrandom::fill(&mut buf)
        .map_err(|e| AuthenticatorError::Random(e.to_string()))?;
    Ok(buf)
}

/// COSE_Key of the public key: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256),
/// -2: x, -3: y}, in CTAP2 canonical key order.
pub(super) fn cose_es256_key(key: &SigningKey, out: &mut Vec<u8>) {
    let point = key.verifying_key().to_sec1_point(false);
    let xy = point.as_bytes(); // 0x04 || x || y
    assert_eq!(xy.len(), 65, "uncompressed P-256 point");
    Cbor::Map(vec![
        (Cbor::Int(1), Cbor::Int(2)),
        (Cbor::Int(3), Cbor::Int(COSE_ALG_ES256)),
        (Cbor::Int(-1), Cbor::Int(1)),
        (Cbor::Int(-2), Cbor::Bytes(&xy[1..33])),
        (Cbor::Int(-3), Cbor::Bytes(&xy[33..65])),
    ])
    .encode(out);
}

/// The subset of CBOR (RFC 8949) that attestationObject and COSE_Key need,
/// always in the shortest (canonical) form; map entries are written in the
/// order given.
pub(super) enum Cbor<'a> {
    Int(i64),
    Bytes(&'a [u8]),
    Text(&'a str),
    Map(Vec<(Cbor<'a>, Cbor<'a>)>),
}

impl Cbor<'_> {
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            // Major type 0: unsigned; major type 1: negative, encoded as -1 - n.
            Cbor::Int(n) if *n >= 0 => cbor_head(out, 0, n.unsigned_abs()),
            Cbor::Int(n) => cbor_head(out, 1, (-1 - *n).unsigned_abs()),
            Cbor::Bytes(b) => {
                cbor_head(out, 2, b.len() as u64);
                out.extend_from_slice(b);
            }
            Cbor::Text(s) => {
                cbor_head(out, 3, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            Cbor::Map(entries) => {
                cbor_head(out, 5, entries.len() as u64);
                for (k, v) in entries {
                    k.encode(out);
                    v.encode(out);
                }
            }
        }
    }
}

/// Initial byte (major type, additional info) plus the argument, shortest form.
pub(super) fn cbor_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if let Ok(n) = u8::try_from(n) {
        out.extend_from_slice(&[m | 24, n]);
    } else if let Ok(n) = u16::try_from(n) {
        out.push(m | 25);
        out.extend_from_slice(&n.to_be_bytes());
    } else if let Ok(n) = u32::try_from(n) {
        out.push(m | 26);
        out.extend_from_slice(&n.to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}
