//! The DSSE envelope: its format and limits, signing a statement into one,
//! co-signing, and decoding one without verification.

use super::error::{ManifestError, ManifestErrorKind, Result, malformed};
use super::keys::SecretKey;
use super::statement::Statement;
use crate::canonical::{Sha256Digest, canonical_json_of};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::Signer as _;
use serde::{Deserialize, Serialize};
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

/// The DSSE payloadType of a calib manifest.
pub const PAYLOAD_TYPE: &str = "application/vnd.calib.manifest+json";
/// Envelopes larger than this are refused unread.
pub const MAX_ENVELOPE_BYTES: usize = 4 << 20;
/// Envelopes with more signatures than this are refused.
pub const MAX_SIGNATURES: usize = 16;

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// What the payload is ([`PAYLOAD_TYPE`]).
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The payload, standard base64.
    pub payload: String,
    /// Signatures over the PAE of type and payload.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One DSSE signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// Hex SHA-256 of the signer's public key: a hint (may be empty).
    #[serde(default)]
    pub keyid: String,
    /// The Ed25519 signature, standard base64.
    pub sig: String,
}

/// DSSE's pre-authentication encoding of a payload and its type.
pub fn pae(payload_type: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} ", payload_type.len()).into_bytes();
    out.extend_from_slice(payload_type);
    out.extend_from_slice(format!(" {} ", payload.len()).as_bytes());
    out.extend_from_slice(payload);
    out
}

fn signature_for(key: &SecretKey, payload_type: &str, payload: &[u8]) -> EnvelopeSignature {
    let sig = key.0.sign(&pae(payload_type.as_bytes(), payload));
    EnvelopeSignature { keyid: key.public_key().key_id().to_hex(), sig: BASE64.encode(sig.to_bytes()) }
}

/// Signs a statement with one or more keys: the envelope's bytes (compact
/// JSON, no trailing newline). A key given twice is refused (`bad_request`).
pub fn sign(statement: &Statement, keys: &[&SecretKey]) -> Result<Vec<u8>> {
    if keys.is_empty() {
        return Err(ManifestError::new(ManifestErrorKind::BadRequest, "no signing key given"));
    }
    let payload = canonical_json_of(statement).map_err(|e| malformed(format!("statement: {e}")))?;
    let mut signatures: Vec<EnvelopeSignature> = Vec::new();
    for k in keys {
        let s = signature_for(k, PAYLOAD_TYPE, &payload);
        // Signing once for a key given twice would let the caller believe
        // two keys signed (a t-of-n policy counts distinct keys).
        if signatures.iter().any(|x| x.keyid == s.keyid) {
            return Err(ManifestError::new(
                ManifestErrorKind::BadRequest,
                format!("key {} is given twice: each key signs once, and t-of-n needs t distinct keys", s.keyid),
            ));
        }
        signatures.push(s);
    }
    let env = Envelope { payload_type: PAYLOAD_TYPE.to_string(), payload: BASE64.encode(&payload), signatures };
    Ok(serde_json::to_vec(&env).expect("an envelope serialises"))
}

/// Adds a co-signature to an envelope (for t-of-n policies). The existing
/// signatures are not checked here; verification does that.
pub fn add_signature(envelope: &[u8], key: &SecretKey) -> Result<Vec<u8>> {
    let m = inspect(envelope)?;
    let mut env = m.envelope;
    let s = signature_for(key, &env.payload_type, &m.payload);
    if env.signatures.iter().any(|x| x.keyid == s.keyid) {
        return Err(ManifestError::new(ManifestErrorKind::BadRequest, format!("key {} already signed it", s.keyid)));
    }
    if env.signatures.len() >= MAX_SIGNATURES {
        return Err(ManifestError::new(ManifestErrorKind::BadRequest, "the envelope has the most signatures allowed"));
    }
    env.signatures.push(s);
    Ok(serde_json::to_vec(&env).expect("an envelope serialises"))
}

/// An envelope decoded **without verification**, for display and tooling.
/// Never load a model on the strength of it.
#[derive(Debug, Clone)]
pub struct UnverifiedManifest {
    /// The envelope.
    pub envelope: Envelope,
    /// The decoded payload bytes.
    pub payload: Vec<u8>,
    /// The manifest's digest: SHA-256 of the payload.
    pub digest: Sha256Digest,
    /// The payload parsed as a statement, or why it is not one.
    pub statement: core::result::Result<Statement, String>,
}

pub(super) fn parse_envelope(bytes: &[u8]) -> Result<(Envelope, Vec<u8>)> {
    if bytes.len() > MAX_ENVELOPE_BYTES {
        return Err(malformed(format!(
            "envelope of {} bytes exceeds the {MAX_ENVELOPE_BYTES}-byte limit",
            bytes.len()
        )));
    }
    let env: Envelope = serde_json::from_slice(bytes).map_err(|e| malformed(format!("not a DSSE envelope: {e}")))?;
    if env.signatures.is_empty() {
        return Err(malformed("the envelope has no signatures"));
    }
    if env.signatures.len() > MAX_SIGNATURES {
        return Err(malformed(format!("{} signatures exceed the limit of {MAX_SIGNATURES}", env.signatures.len())));
    }
    let payload = BASE64.decode(&env.payload).map_err(|e| malformed(format!("payload is not base64: {e}")))?;
    Ok((env, payload))
}

/// Decodes an envelope without verifying it (see [`UnverifiedManifest`]).
pub fn inspect(bytes: &[u8]) -> Result<UnverifiedManifest> {
    let (envelope, payload) = parse_envelope(bytes)?;
    let statement = serde_json::from_slice(&payload).map_err(|e| e.to_string());
    Ok(UnverifiedManifest { envelope, digest: Sha256Digest::of(&payload), payload, statement })
}
