//! Verification: an envelope's signatures, type, schema, core fingerprint,
//! expiry and gate report, in DSSE's order, into a [`VerifiedManifest`].

use super::envelope::{Envelope, PAYLOAD_TYPE, pae, parse_envelope};
use super::error::{ManifestError, ManifestErrorKind, Result, malformed};
use super::keys::PublicKey;
use super::policy::TrustPolicy;
use super::statement::{
    MANIFEST_SCHEMA_VERSION, MODEL_SUBJECT, PREDICATE_TYPE, STATEMENT_TYPE, Statement, WASM_SUBJECT, check_report,
};
use super::time::{format_time, parse_time};
use crate::canonical::{Sha256Digest, model_digest};
use crate::fingerprint::core_fingerprint;
use crate::model::Model;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::Signature;
use serde_json::Value;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;
use time::OffsetDateTime;

/// A manifest whose signatures, type, schema, core fingerprint, expiry and
/// gate report have been checked.
#[derive(Debug, Clone)]
pub struct VerifiedManifest {
    statement: Statement,
    digest: Sha256Digest,
    signers: Vec<Sha256Digest>,
    model: Sha256Digest,
    wasm: Option<Sha256Digest>,
    expires: OffsetDateTime,
}

impl VerifiedManifest {
    /// The statement.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }
    /// The manifest's digest (SHA-256 of the payload).
    pub fn digest(&self) -> Sha256Digest {
        self.digest
    }
    /// Key ids of the trusted keys whose signatures verified.
    pub fn signers(&self) -> &[Sha256Digest] {
        &self.signers
    }
    /// The release number.
    pub fn version(&self) -> u64 {
        self.statement.predicate.version
    }
    /// The expiry time.
    pub fn expires(&self) -> OffsetDateTime {
        self.expires
    }
    /// The model subject's digest.
    pub fn model_digest(&self) -> Sha256Digest {
        self.model
    }
    /// The WASM subject's digest, if it has one.
    pub fn wasm_digest(&self) -> Option<Sha256Digest> {
        self.wasm
    }

    /// Parses model bytes and checks them against the model subject.
    pub fn check_model(&self, model_bytes: &[u8]) -> Result<Model> {
        let text = core::str::from_utf8(model_bytes)
            .map_err(|e| ManifestError::new(ManifestErrorKind::BadModel, format!("model is not UTF-8: {e}")))?;
        let model =
            Model::from_json(text).map_err(|e| ManifestError::new(ManifestErrorKind::BadModel, e.to_string()))?;
        let got = model_digest(&model);
        if got != self.model {
            return Err(ManifestError::new(
                ManifestErrorKind::SubjectMismatch,
                format!("the model's canonical digest is {got}, but the manifest names {}", self.model),
            ));
        }
        Ok(model)
    }

    /// Checks WASM module bytes against the `wasm` subject.
    pub fn check_wasm(&self, wasm: &[u8]) -> Result<()> {
        let got = Sha256Digest::of(wasm);
        match self.wasm {
            None => Err(ManifestError::new(ManifestErrorKind::SubjectMismatch, "the manifest names no WASM module")),
            Some(w) if w != got => Err(ManifestError::new(
                ManifestErrorKind::SubjectMismatch,
                format!("the WASM module's digest is {got}, but the manifest names {w}"),
            )),
            Some(_) => Ok(()),
        }
    }
}

/// Checks signatures and returns the distinct trusted signers, or why not.
fn check_signatures(env: &Envelope, payload: &[u8], policy: &TrustPolicy) -> Result<Vec<Sha256Digest>> {
    let message = pae(env.payload_type.as_bytes(), payload);
    let mut signers: Vec<Sha256Digest> = Vec::new();
    let mut tried = false;
    for s in &env.signatures {
        // The hint only chooses which trusted key to try; a signature whose
        // hint names a key no policy key matches counts for nobody.
        let candidates: Vec<&PublicKey> =
            policy.keys().iter().filter(|k| s.keyid.is_empty() || k.key_id().to_hex() == s.keyid).collect();
        if candidates.is_empty() {
            continue;
        }
        tried = true;
        let Some(sig) = BASE64.decode(&s.sig).ok().and_then(|b| <[u8; 64]>::try_from(b).ok()) else { continue };
        let sig = Signature::from_bytes(&sig);
        if let Some(k) = candidates.into_iter().find(|k| k.0.verify_strict(&message, &sig).is_ok()) {
            let id = k.key_id();
            if !signers.contains(&id) {
                signers.push(id);
            }
        }
    }
    if signers.len() >= policy.threshold() {
        return Ok(signers);
    }
    if !signers.is_empty() {
        return Err(ManifestError::new(
            ManifestErrorKind::ThresholdNotMet,
            format!("{} of the required {} trusted keys signed", signers.len(), policy.threshold()),
        ));
    }
    if !tried {
        let hints: Vec<&str> = env.signatures.iter().map(|s| s.keyid.as_str()).collect();
        return Err(ManifestError::new(
            ManifestErrorKind::UnknownKey,
            format!("signed by keyid(s) {} — none is a trusted key", hints.join(", ")),
        ));
    }
    let hint = if env.payload_type != PAYLOAD_TYPE {
        format!(" (its payloadType {:?} is not calib's {PAYLOAD_TYPE:?})", env.payload_type)
    } else {
        String::new()
    };
    Err(ManifestError::new(
        ManifestErrorKind::BadSignature,
        format!("no signature verifies under a trusted key: the payload, its type or the signature was altered{hint}"),
    ))
}

/// How far a manifest's `created` may lie after the verifier's clock: the
/// skew allowed between the signer's clock and the loader's. Beyond it the
/// manifest is [`ManifestErrorKind::NotYetValid`].
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

fn unsupported(message: String) -> ManifestError {
    ManifestError::new(ManifestErrorKind::UnsupportedSchema, message)
}

/// Verifies an envelope's bytes against a policy at time `now` (see the
/// module docs for the order). Does not look at the model or trust state.
pub fn verify_manifest(bytes: &[u8], policy: &TrustPolicy, now: OffsetDateTime) -> Result<VerifiedManifest> {
    let (env, payload) = parse_envelope(bytes)?;
    let signers = check_signatures(&env, &payload, policy)?;
    if env.payload_type != PAYLOAD_TYPE {
        return Err(ManifestError::new(
            ManifestErrorKind::UnsupportedPayloadType,
            format!("payloadType {:?} is not {PAYLOAD_TYPE:?}", env.payload_type),
        ));
    }
    // Only now is the (signed) payload parsed: first the fields that say
    // what it is, so a newer schema is named as such, then strictly.
    let value: Value = serde_json::from_slice(&payload).map_err(|e| malformed(format!("payload is not JSON: {e}")))?;
    let st = value.get("_type").and_then(Value::as_str);
    if st != Some(STATEMENT_TYPE) {
        return Err(unsupported(format!("statement type {st:?} is not {STATEMENT_TYPE:?}")));
    }
    let pt = value.get("predicateType").and_then(Value::as_str);
    if pt != Some(PREDICATE_TYPE) {
        return Err(unsupported(format!("predicateType {pt:?} is not {PREDICATE_TYPE:?}")));
    }
    let sv = value.get("predicate").and_then(|p| p.get("schema_version")).and_then(Value::as_u64);
    if sv != Some(MANIFEST_SCHEMA_VERSION as u64) {
        return Err(unsupported(format!(
            "predicate schema_version {sv:?} is not supported (this calib reads {MANIFEST_SCHEMA_VERSION})"
        )));
    }
    let statement: Statement = serde_json::from_value(value).map_err(|e| malformed(format!("predicate: {e}")))?;
    let (mut model, mut wasm) = (None, None);
    for s in &statement.subject {
        let d = s
            .digest
            .get("sha256")
            .and_then(|h| Sha256Digest::from_hex(h).filter(|d| d.to_hex() == *h))
            .ok_or_else(|| malformed(format!("subject {:?} has no lowercase-hex sha256 digest", s.name)))?;
        let slot = match s.name.as_str() {
            MODEL_SUBJECT => &mut model,
            WASM_SUBJECT => &mut wasm,
            other => return Err(malformed(format!("unknown subject {other:?}"))),
        };
        if slot.replace(d).is_some() {
            return Err(malformed(format!("subject {:?} appears twice", s.name)));
        }
    }
    let model = model.ok_or_else(|| malformed("no model subject"))?;
    let p = &statement.predicate;
    let own = core_fingerprint();
    if p.core_fingerprint != own {
        return Err(ManifestError::new(
            ManifestErrorKind::FingerprintMismatch,
            format!("the manifest is for core {}, but this core's fingerprint is {own}", p.core_fingerprint),
        ));
    }
    if p.version == 0 {
        return Err(malformed("version 0: a manifest's version is at least 1 (calib sign never writes 0)"));
    }
    let created = parse_time(&p.created, "created")?;
    let expires = parse_time(&p.expires, "expires")?;
    if expires <= created {
        return Err(malformed(format!("expires {} is not after created {}", p.expires, p.created)));
    }
    // A manifest from the future was signed by a clock that is wrong, or
    // made to outlive its expiry check; a signer's clock a little ahead of
    // the loader's is normal and allowed.
    if now.checked_add(CLOCK_SKEW).is_some_and(|latest| created > latest) {
        return Err(ManifestError::new(
            ManifestErrorKind::NotYetValid,
            format!(
                "the manifest was created at {}, more than {} minutes after now ({}): the signer's clock or the \
                 manifest is wrong",
                p.created,
                CLOCK_SKEW.whole_minutes(),
                format_time(now)
            ),
        ));
    }
    if p.expired_at(now)? {
        return Err(ManifestError::new(
            ManifestErrorKind::Expired,
            format!("the manifest expired at {} (now {})", p.expires, format_time(now)),
        ));
    }
    match &p.gate_report {
        None if policy.require_gate_report => {
            return Err(ManifestError::new(ManifestErrorKind::GatesNotPassed, "the manifest records no gate report"));
        }
        None => {}
        Some(r) => check_report(r, model, p.core_fingerprint)
            .map_err(|m| ManifestError::new(ManifestErrorKind::GatesNotPassed, m))?,
    }
    Ok(VerifiedManifest { digest: Sha256Digest::of(&payload), statement, signers, model, wasm, expires })
}
