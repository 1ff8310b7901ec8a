//! Signed calibration manifests, and the loader that serves only what they
//! vouch for.
//!
//! A calibrator reaches production only through a manifest that says what
//! it is (the SHA-256 of the model's [canonical bytes](crate::canonical)),
//! which core computes it (the [fingerprint](crate::fingerprint)), which
//! gates it passed (the [gate report](crate::gate::GateReport)) and who
//! signed it. The prior art: DSSE / in-toto (sign the exact bytes, verify
//! before parsing), TUF (versions against rollback, expiry against freeze
//! attacks), minisign (Ed25519, small key ids).
//!
//! # Format
//!
//! A DSSE envelope, written as compact JSON without a trailing newline:
//!
//! ```json
//! {"payloadType":"application/vnd.calib.manifest+json","payload":"<base64>",
//!  "signatures":[{"keyid":"<hex SHA-256 of the public key>","sig":"<base64>"}]}
//! ```
//!
//! Each signature is Ed25519 over the DSSE pre-authentication encoding
//! `"DSSEv1" SP len(type) SP type SP len(payload) SP payload` of the exact
//! payload bytes. The payload is an in-toto Statement v1 in canonical JSON:
//! `subject` names the model (`"model"`, the SHA-256 of its canonical bytes)
//! and, when given, the WASM module (`"wasm"`, the SHA-256 of the file), and
//! the [`Predicate`] carries the schema version, a monotone `version`,
//! `created`/`expires` (RFC 3339), the core fingerprint, the digest of the
//! parent manifest, the parameters (ĉ per class, ε, the K policy, τ) and
//! the gate report.
//!
//! **The model travels beside the manifest**, not inside it: the manifest
//! is small and can be inspected, mirrored and audited without the model,
//! and the subject digest binds the two. Because the digest is over
//! canonical bytes, re-serialising the model (whitespace, key order) does
//! not break it; changing any value does.
//!
//! **A manifest's digest** (the `parent` of its successor, the trust
//! state's record) is the SHA-256 of its payload, the signed bytes — so
//! adding a co-signature does not change which manifest it is.
//!
//! # Verification
//!
//! [`verify_manifest`], in DSSE's order, failing closed with a distinct
//! [`ManifestErrorKind`] for each cause:
//!
//! 1. Parse the envelope (size- and signature-count-limited).
//! 2. Verify signatures over the PAE of the exact bytes **before** the
//!    payload is parsed. A signature's `keyid` is only a hint: it selects
//!    which trusted key to try (all of them when it is empty), it never
//!    makes a key trusted, and a signature whose keyid names another key
//!    does not count. The policy needs `threshold` distinct trusted keys.
//!    No trusted key named → [`UnknownKey`](ManifestErrorKind::UnknownKey);
//!    named but not verifying → [`BadSignature`](ManifestErrorKind::BadSignature);
//!    too few → [`ThresholdNotMet`](ManifestErrorKind::ThresholdNotMet).
//! 3. Refuse any payloadType but calib's, then any statement type,
//!    predicate type or schema version this calib does not know.
//! 4. Refuse a manifest made for another core fingerprint, an expired one,
//!    and (policy permitting) one without a passing gate report for the
//!    model it names.
//!
//! The loader ([`Calibrator::from_manifest`]) then checks the version
//! against the [`TrustState`] (lower than the last trusted version, or the
//! same version with other content, is a rollback), checks the model bytes
//! against the subject digest, and only then advances the trust state and
//! returns a calibrator. It never hands out an unverified model.

use crate::binning::KPolicy;
use crate::canonical::{Sha256Digest, canonical_json_of, model_digest};
use crate::fingerprint::core_fingerprint;
use crate::gate::{GateReport, Verdict};
use crate::map::ApplyStats;
use crate::model::Model;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// The DSSE payloadType of a calib manifest.
pub const PAYLOAD_TYPE: &str = "application/vnd.calib.manifest+json";
/// The in-toto Statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type: a name, not a location (`.invalid` never resolves).
pub const PREDICATE_TYPE: &str = "https://calib.invalid/manifest/v1";
/// The predicate schema this calib writes and reads.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;
/// The subject name of the model.
pub const MODEL_SUBJECT: &str = "model";
/// The subject name of the WASM module.
pub const WASM_SUBJECT: &str = "wasm";
/// Envelopes larger than this are refused unread.
pub const MAX_ENVELOPE_BYTES: usize = 4 << 20;
/// Envelopes with more signatures than this are refused.
pub const MAX_SIGNATURES: usize = 16;

/// Why a manifest, key or policy was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ManifestErrorKind {
    /// Not a well-formed envelope, statement or predicate.
    Malformed,
    /// No signature names a key the policy trusts.
    UnknownKey,
    /// A trusted key was named, but no signature verifies under it.
    BadSignature,
    /// Fewer distinct trusted keys signed than the policy requires.
    ThresholdNotMet,
    /// The signed payloadType is not calib's.
    UnsupportedPayloadType,
    /// The statement type, predicate type or schema version is unknown.
    UnsupportedSchema,
    /// The model (or WASM module) is not the one the manifest names.
    SubjectMismatch,
    /// The manifest's `expires` has passed.
    Expired,
    /// The version is lower than the last trusted one (or reuses it).
    Rollback,
    /// The manifest was made for another core.
    FingerprintMismatch,
    /// No passing gate report for this model.
    GatesNotPassed,
    /// A key file or key that cannot be used.
    BadKey,
    /// A trust policy that cannot be satisfied or is empty.
    BadPolicy,
    /// The model bytes are not a valid model.
    BadModel,
    /// A manifest cannot be made from these inputs.
    BadRequest,
}

impl ManifestErrorKind {
    /// A stable code (`"bad_signature"`).
    pub fn code(self) -> &'static str {
        match self {
            ManifestErrorKind::Malformed => "malformed",
            ManifestErrorKind::UnknownKey => "unknown_key",
            ManifestErrorKind::BadSignature => "bad_signature",
            ManifestErrorKind::ThresholdNotMet => "threshold_not_met",
            ManifestErrorKind::UnsupportedPayloadType => "unsupported_payload_type",
            ManifestErrorKind::UnsupportedSchema => "unsupported_schema",
            ManifestErrorKind::SubjectMismatch => "subject_mismatch",
            ManifestErrorKind::Expired => "expired",
            ManifestErrorKind::Rollback => "rollback",
            ManifestErrorKind::FingerprintMismatch => "fingerprint_mismatch",
            ManifestErrorKind::GatesNotPassed => "gates_not_passed",
            ManifestErrorKind::BadKey => "bad_key",
            ManifestErrorKind::BadPolicy => "bad_policy",
            ManifestErrorKind::BadModel => "bad_model",
            ManifestErrorKind::BadRequest => "bad_request",
        }
    }
}

/// A refused manifest: the kind and a message saying exactly why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    kind: ManifestErrorKind,
    message: String,
}

impl ManifestError {
    fn new(kind: ManifestErrorKind, message: impl Into<String>) -> Self {
        ManifestError { kind, message: message.into() }
    }
    /// Why it was refused.
    pub fn kind(&self) -> ManifestErrorKind {
        self.kind
    }
    /// The stable code of the kind.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
    /// The message without the code.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.kind.code())
    }
}

impl std::error::Error for ManifestError {}

type Result<T> = core::result::Result<T, ManifestError>;

fn malformed(message: impl Into<String>) -> ManifestError {
    ManifestError::new(ManifestErrorKind::Malformed, message)
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// The on-disk form of a key: `{"type": …, "key": hex, "keyid": hex}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: String,
    key: String,
    keyid: Sha256Digest,
}

const PUBLIC_KEY_TYPE: &str = "calib-ed25519-public-key";
const SECRET_KEY_TYPE: &str = "calib-ed25519-secret-key";

fn key_bytes(text: &str, want: &str) -> Result<([u8; 32], Sha256Digest)> {
    let f: KeyFile = serde_json::from_str(text)
        .map_err(|e| ManifestError::new(ManifestErrorKind::BadKey, format!("not a calib key file: {e}")))?;
    if f.kind != want {
        return Err(ManifestError::new(
            ManifestErrorKind::BadKey,
            format!("key file type is {:?}, expected {want:?}", f.kind),
        ));
    }
    let raw = Sha256Digest::from_hex(&f.key)
        .ok_or_else(|| ManifestError::new(ManifestErrorKind::BadKey, "the key is not 64 hex digits"))?;
    Ok((raw.0, f.keyid))
}

fn key_file_text(kind: &str, key: &[u8; 32], keyid: Sha256Digest) -> String {
    let f = KeyFile { kind: kind.to_string(), key: crate::canonical::to_hex(key), keyid };
    let mut s = serde_json::to_string_pretty(&f).expect("a key file serialises");
    s.push('\n');
    s
}

/// An Ed25519 public key that verifies manifests.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// A key from its 32 raw bytes (refused if not a valid curve point).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey> {
        VerifyingKey::from_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| ManifestError::new(ManifestErrorKind::BadKey, "not a valid Ed25519 public key"))
    }
    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
    /// The key id: hex SHA-256 of the raw public key (a hint, never a proof).
    pub fn key_id(&self) -> Sha256Digest {
        Sha256Digest::of(self.0.as_bytes())
    }
    /// Parses a public key file written by [`PublicKey::to_file_text`].
    pub fn from_file_text(text: &str) -> Result<PublicKey> {
        let (raw, keyid) = key_bytes(text, PUBLIC_KEY_TYPE)?;
        let key = PublicKey::from_bytes(&raw)?;
        if key.key_id() != keyid {
            return Err(ManifestError::new(
                ManifestErrorKind::BadKey,
                "the keyid does not match the key: damaged file",
            ));
        }
        Ok(key)
    }
    /// The public key file (JSON).
    pub fn to_file_text(&self) -> String {
        key_file_text(PUBLIC_KEY_TYPE, &self.to_bytes(), self.key_id())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

/// An Ed25519 secret key that signs manifests. Wiped from memory on drop.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<SecretKey> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| {
            ManifestError::new(ManifestErrorKind::BadKey, format!("no randomness from the operating system: {e}"))
        })?;
        let key = SecretKey::from_seed(&seed);
        seed.fill(0);
        Ok(key)
    }
    /// The key of a 32-byte seed (for tests and reproducible fixtures).
    pub fn from_seed(seed: &[u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(seed))
    }
    /// Its public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }
    /// Parses a secret key file written by [`SecretKey::to_file_text`].
    pub fn from_file_text(text: &str) -> Result<SecretKey> {
        let (raw, keyid) = key_bytes(text, SECRET_KEY_TYPE)?;
        let key = SecretKey::from_seed(&raw);
        if key.public_key().key_id() != keyid {
            return Err(ManifestError::new(
                ManifestErrorKind::BadKey,
                "the keyid does not match the key: damaged file",
            ));
        }
        Ok(key)
    }
    /// The secret key file (JSON). Store it readable by its owner only.
    pub fn to_file_text(&self) -> String {
        key_file_text(SECRET_KEY_TYPE, &self.0.to_bytes(), self.public_key().key_id())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public {})", self.public_key().key_id())
    }
}

// ---------------------------------------------------------------------------
// Envelope and statement
// ---------------------------------------------------------------------------

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

/// An in-toto Statement v1 about a calibrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// The model and, optionally, the WASM module.
    pub subject: Vec<Subject>,
    /// [`PREDICATE_TYPE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// What calib says about the subjects.
    pub predicate: Predicate,
}

impl Statement {
    /// The SHA-256 (hex) the statement gives for its [`MODEL_SUBJECT`], if any.
    pub fn model_sha256(&self) -> Option<&str> {
        self.subject.iter().find(|s| s.name == MODEL_SUBJECT).and_then(|s| s.digest.get("sha256")).map(String::as_str)
    }

    /// Whether `model` is the model this statement vouches for: its
    /// canonical digest ([`model_digest`]) is the model subject's SHA-256.
    /// The one subject check of a manifest that has not been verified (a
    /// verified one has passed it in [`verify_manifest`]).
    pub fn vouches_for(&self, model: &crate::model::Model) -> bool {
        self.model_sha256() == Some(model_digest(model).to_hex().as_str())
    }
}

/// An in-toto resource descriptor: a name and its digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// [`MODEL_SUBJECT`] or [`WASM_SUBJECT`].
    pub name: String,
    /// Digest by algorithm; calib writes and requires `sha256`.
    pub digest: BTreeMap<String, String>,
}

/// A value per group: the whole holdout and each class judged on its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerGroup {
    /// The holdout-wide value.
    pub overall: Option<f64>,
    /// Per class.
    pub classes: BTreeMap<String, f64>,
}

/// The calibration parameters a manifest records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    /// The model's probability floor ε.
    pub epsilon: f64,
    /// The K policy of AECE, ĉ and τ (from the gate report).
    pub k_policy: Option<KPolicy>,
    /// Bootstrapped ĉ (from the gate report).
    pub c_hat: PerGroup,
    /// τ(N, K) (from the gate report).
    pub tau: PerGroup,
}

/// calib's predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// [`MANIFEST_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Monotone release number: a loader refuses anything lower than the
    /// last version it trusted.
    pub version: u64,
    /// When it was made (RFC 3339).
    pub created: String,
    /// When it stops being valid (RFC 3339).
    pub expires: String,
    /// The fingerprint of the core the model is for.
    pub core_fingerprint: Sha256Digest,
    /// Digest of the manifest this one replaces.
    pub parent: Option<Sha256Digest>,
    /// ε, the K policy, ĉ and τ.
    pub parameters: Parameters,
    /// The gates the model passed.
    pub gate_report: Option<GateReport>,
}

impl Predicate {
    /// Whether the manifest has expired at `now`: `now` is at or after its
    /// `expires`. The one expiry rule: [`verify_manifest`] refuses a manifest for
    /// which this is true, and a summary of an unverified manifest reports
    /// it. An `expires` that is not an RFC 3339 time is a
    /// [`ManifestErrorKind::Malformed`] error (a summary should show such a
    /// manifest as expired: it must never be trusted).
    pub fn expired_at(&self, now: OffsetDateTime) -> Result<bool> {
        Ok(now >= parse_time(&self.expires, "expires")?)
    }
}

/// RFC 3339 of a time, whole seconds.
pub fn format_time(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).expect("times within RFC 3339's years format")
}

fn parse_time(text: &str, what: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| malformed(format!("{what} {text:?} is not an RFC 3339 time: {e}")))
}

/// When a manifest made at `now` expires: `text` is a duration — a number
/// and a unit `s`, `m`, `h`, `d` or `w`, e.g. `90d` — or an RFC 3339 time.
pub fn parse_expires(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime> {
    let bad = || {
        ManifestError::new(
            ManifestErrorKind::BadRequest,
            format!("expiry {text:?} is neither a duration such as 90d, 12h or 30m nor an RFC 3339 time"),
        )
    };
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let unit_seconds: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    let d = Duration::seconds(n.checked_mul(unit_seconds).ok_or_else(bad)?);
    now.checked_add(d).ok_or_else(bad)
}

/// What a manifest is made from.
#[derive(Debug, Clone)]
pub struct ManifestSpec<'a> {
    /// The model (its canonical digest becomes the subject).
    pub model: &'a Model,
    /// The shipped WASM module, if any.
    pub wasm: Option<&'a [u8]>,
    /// The gate report; it must pass and be about this model.
    pub gate_report: Option<&'a GateReport>,
    /// Release number, at least 1.
    pub version: u64,
    /// Creation time.
    pub created: OffsetDateTime,
    /// Expiry time, after `created`.
    pub expires: OffsetDateTime,
    /// The digest of the manifest this one replaces.
    pub parent: Option<Sha256Digest>,
}

fn subject(name: &str, digest: Sha256Digest) -> Subject {
    Subject { name: name.to_string(), digest: BTreeMap::from([("sha256".to_string(), digest.to_hex())]) }
}

/// Checks a gate report vouches for this model on this core.
fn check_report(
    report: &GateReport,
    model: Sha256Digest,
    fingerprint: Sha256Digest,
) -> core::result::Result<(), String> {
    if report.verdict != Verdict::Pass {
        return Err(format!("the gate report's verdict is {}, not pass", report.verdict.name()));
    }
    if let Some(g) = report.gates.iter().find(|g| g.verdict != Verdict::Pass) {
        return Err(format!("gate {} has verdict {}", g.gate.name(), g.verdict.name()));
    }
    if report.candidate_sha256 != model {
        return Err(format!("the gate report is about model {}, not {model}", report.candidate_sha256));
    }
    if report.core_fingerprint != fingerprint {
        return Err(format!(
            "the gate report was computed by core {}, not by core {fingerprint}",
            report.core_fingerprint
        ));
    }
    Ok(())
}

/// Builds the statement for a model. Refuses a gate report that did not
/// pass, or that is about another model or core.
pub fn build_statement(spec: &ManifestSpec<'_>) -> Result<Statement> {
    let bad = |m: String| ManifestError::new(ManifestErrorKind::BadRequest, m);
    if spec.version == 0 {
        return Err(bad("version must be at least 1".into()));
    }
    if spec.expires <= spec.created {
        return Err(bad(format!(
            "expires {} is not after created {}",
            format_time(spec.expires),
            format_time(spec.created)
        )));
    }
    let model = model_digest(spec.model);
    let fingerprint = core_fingerprint();
    if let Some(r) = spec.gate_report {
        check_report(r, model, fingerprint).map_err(|m| bad(format!("cannot sign: {m}")))?;
    }
    let mut subjects = vec![subject(MODEL_SUBJECT, model)];
    if let Some(w) = spec.wasm {
        subjects.push(subject(WASM_SUBJECT, Sha256Digest::of(w)));
    }
    let (mut c_hat, mut tau) = (PerGroup::default(), PerGroup::default());
    if let Some(a) = spec.gate_report.and_then(|r| r.aece.as_ref()) {
        c_hat.overall = Some(a.overall.c_hat);
        tau.overall = Some(a.overall.tau);
        for (name, g) in &a.classes {
            c_hat.classes.insert(name.clone(), g.c_hat);
            tau.classes.insert(name.clone(), g.tau);
        }
    }
    Ok(Statement {
        statement_type: STATEMENT_TYPE.to_string(),
        subject: subjects,
        predicate_type: PREDICATE_TYPE.to_string(),
        predicate: Predicate {
            schema_version: MANIFEST_SCHEMA_VERSION,
            version: spec.version,
            created: format_time(spec.created),
            expires: format_time(spec.expires),
            core_fingerprint: fingerprint,
            parent: spec.parent,
            parameters: Parameters {
                epsilon: spec.model.options().epsilon,
                k_policy: spec.gate_report.map(|r| r.config.aece.bins),
                c_hat,
                tau,
            },
            gate_report: spec.gate_report.cloned(),
        },
    })
}

fn signature_for(key: &SecretKey, payload_type: &str, payload: &[u8]) -> EnvelopeSignature {
    let sig = key.0.sign(&pae(payload_type.as_bytes(), payload));
    EnvelopeSignature { keyid: key.public_key().key_id().to_hex(), sig: BASE64.encode(sig.to_bytes()) }
}

/// Signs a statement with one or more keys: the envelope's bytes (compact
/// JSON, no trailing newline).
pub fn sign(statement: &Statement, keys: &[&SecretKey]) -> Result<Vec<u8>> {
    if keys.is_empty() {
        return Err(ManifestError::new(ManifestErrorKind::BadRequest, "no signing key given"));
    }
    let payload = canonical_json_of(statement).map_err(|e| malformed(format!("statement: {e}")))?;
    let mut signatures: Vec<EnvelopeSignature> = Vec::new();
    for k in keys {
        let s = signature_for(k, PAYLOAD_TYPE, &payload);
        if !signatures.iter().any(|x| x.keyid == s.keyid) {
            signatures.push(s);
        }
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

fn parse_envelope(bytes: &[u8]) -> Result<(Envelope, Vec<u8>)> {
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

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

/// Which keys a loader trusts, and how many must sign.
#[derive(Debug, Clone)]
pub struct TrustPolicy {
    keys: Vec<PublicKey>,
    threshold: usize,
    /// Refuse manifests without a passing gate report (default `true`).
    pub require_gate_report: bool,
}

impl TrustPolicy {
    /// Trust `keys` (duplicates count once) and require `threshold` of them.
    pub fn new(keys: Vec<PublicKey>, threshold: usize) -> Result<TrustPolicy> {
        let mut unique: Vec<PublicKey> = Vec::new();
        for k in keys {
            if !unique.contains(&k) {
                unique.push(k);
            }
        }
        if unique.is_empty() {
            return Err(ManifestError::new(ManifestErrorKind::BadPolicy, "a trust policy needs at least one key"));
        }
        if threshold == 0 || threshold > unique.len() {
            return Err(ManifestError::new(
                ManifestErrorKind::BadPolicy,
                format!("threshold {threshold} needs 1 ≤ t ≤ {} (the number of distinct trusted keys)", unique.len()),
            ));
        }
        Ok(TrustPolicy { keys: unique, threshold, require_gate_report: true })
    }
    /// Trust one key.
    pub fn single(key: PublicKey) -> TrustPolicy {
        TrustPolicy { keys: vec![key], threshold: 1, require_gate_report: true }
    }
    /// The trusted keys.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }
    /// Distinct trusted keys that must sign.
    pub fn threshold(&self) -> usize {
        self.threshold
    }
}

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
            policy.keys.iter().filter(|k| s.keyid.is_empty() || k.key_id().to_hex() == s.keyid).collect();
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
    if signers.len() >= policy.threshold {
        return Ok(signers);
    }
    if !signers.is_empty() {
        return Err(ManifestError::new(
            ManifestErrorKind::ThresholdNotMet,
            format!("{} of the required {} trusted keys signed", signers.len(), policy.threshold),
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
    let created = parse_time(&p.created, "created")?;
    let expires = parse_time(&p.expires, "expires")?;
    if expires <= created {
        return Err(malformed(format!("expires {} is not after created {}", p.expires, p.created)));
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

/// The loader's memory between loads: the last trusted version and the
/// manifest that carried it. Persist it (e.g. as JSON) between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustState {
    /// The highest version trusted so far (0: none).
    pub version: u64,
    /// The digest of the manifest that carried it.
    pub manifest_sha256: Option<Sha256Digest>,
}

impl TrustState {
    /// Parses the JSON form.
    pub fn from_json(text: &str) -> Result<TrustState> {
        serde_json::from_str(text).map_err(|e| malformed(format!("not a trust state: {e}")))
    }
    /// The JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a trust state serialises")
    }
    /// Refuses a version below the last trusted one, or the same version
    /// with other content (TUF's rollback and mix-and-match protection).
    pub fn check(&self, m: &VerifiedManifest) -> Result<()> {
        let v = m.version();
        if v < self.version {
            return Err(ManifestError::new(
                ManifestErrorKind::Rollback,
                format!("version {v} is lower than the last trusted version {}", self.version),
            ));
        }
        if v == self.version && self.manifest_sha256.is_some_and(|d| d != m.digest()) {
            return Err(ManifestError::new(
                ManifestErrorKind::Rollback,
                format!("version {v} was already trusted with other content"),
            ));
        }
        Ok(())
    }
    /// Records a manifest as trusted (call after every check passed).
    pub fn accept(&mut self, m: &VerifiedManifest) {
        self.version = m.version();
        self.manifest_sha256 = Some(m.digest());
    }
}

/// A calibrator that was loaded through a verified manifest.
#[derive(Debug, Clone)]
pub struct Calibrator {
    model: Model,
    manifest: VerifiedManifest,
}

impl Calibrator {
    /// Verifies the manifest (signatures first), checks its version against
    /// `state` and the model bytes against its subject, and only then
    /// advances `state` and returns the calibrator. On any failure `state`
    /// is unchanged and no model is returned.
    pub fn from_manifest(
        envelope: &[u8],
        model: &[u8],
        policy: &TrustPolicy,
        state: &mut TrustState,
    ) -> Result<Calibrator> {
        Calibrator::from_manifest_at(envelope, model, policy, state, OffsetDateTime::now_utc())
    }

    /// [`Calibrator::from_manifest`] at a given time.
    pub fn from_manifest_at(
        envelope: &[u8],
        model: &[u8],
        policy: &TrustPolicy,
        state: &mut TrustState,
        now: OffsetDateTime,
    ) -> Result<Calibrator> {
        let manifest = verify_manifest(envelope, policy, now)?;
        state.check(&manifest)?;
        let model = manifest.check_model(model)?;
        let eps = manifest.statement.predicate.parameters.epsilon;
        if model.options().epsilon.to_bits() != eps.to_bits() {
            return Err(ManifestError::new(
                ManifestErrorKind::SubjectMismatch,
                format!("the model's ε is {}, the manifest records {eps}", model.options().epsilon),
            ));
        }
        state.accept(&manifest);
        Ok(Calibrator { model, manifest })
    }

    /// The verified model.
    pub fn model(&self) -> &Model {
        &self.model
    }
    /// The manifest it was loaded through.
    pub fn manifest(&self) -> &VerifiedManifest {
        &self.manifest
    }
    /// Calibrates one score (see [`Model::apply`]).
    pub fn apply(&self, class: Option<&str>, score: f64) -> crate::Result<f64> {
        self.model.apply(class, score)
    }
    /// Calibrates a batch into `out` (see [`Model::apply_batch`]); never allocates.
    pub fn apply_batch(
        &self,
        class: Option<&str>,
        scores: &[f64],
        out: &mut [f64],
        stats: &mut ApplyStats,
    ) -> crate::Result<()> {
        self.model.apply_batch(class, scores, out, stats)
    }
}
