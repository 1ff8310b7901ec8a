//! The in-toto Statement a manifest signs — its subjects and calib's
//! predicate — and building one for a model.

use super::error::{ManifestError, ManifestErrorKind, Result};
use super::time::{format_time, parse_time};
use crate::binning::KPolicy;
use crate::canonical::{Sha256Digest, model_digest};
use crate::fingerprint::core_fingerprint;
use crate::gate::{GateReport, Verdict};
use crate::model::Model;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};
use time::OffsetDateTime;

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
    /// verified one has passed it in [`verify_manifest`](super::verify_manifest)).
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

impl Parameters {
    /// K for `n` rows under the recorded K policy — what a monitor of this
    /// release bins a window's AECE in, so its τ matches the manifest's ĉ.
    /// calib's default policy (fixed 15) when none is recorded (a manifest
    /// signed without a gate report).
    pub fn bins(&self, n: usize) -> usize {
        self.k_policy.unwrap_or_default().bins(n)
    }
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
    /// `expires`. The one expiry rule: [`verify_manifest`](super::verify_manifest) refuses a manifest for
    /// which this is true, and a summary of an unverified manifest reports
    /// it. An `expires` that is not an RFC 3339 time is a
    /// [`ManifestErrorKind::Malformed`] error (a summary should show such a
    /// manifest as expired: it must never be trusted).
    pub fn expired_at(&self, now: OffsetDateTime) -> Result<bool> {
        Ok(now >= parse_time(&self.expires, "expires")?)
    }
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
pub(super) fn check_report(
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

/// The version a new manifest gets: `requested` when one is given (it must
/// be above the parent's), else the parent's + 1, else 1 for a first
/// release. A parent at `u64::MAX` has no successor: the sum is checked, so
/// it is refused with a message saying so rather than wrapping to 0.
pub fn next_version(requested: Option<u64>, parent: Option<u64>) -> Result<u64> {
    let bad = |m: String| ManifestError::new(ManifestErrorKind::BadRequest, m);
    match (requested, parent) {
        (Some(v), Some(pv)) if v <= pv => Err(bad(format!("version {v} must be above the parent's version {pv}"))),
        (Some(v), _) => Ok(v),
        (None, Some(pv)) => pv.checked_add(1).ok_or_else(|| {
            bad(format!(
                "the parent's version is {pv}, the largest a version can be: adding 1 would overflow, so this \
                 manifest has no version above its parent's to take"
            ))
        }),
        (None, None) => Ok(1),
    }
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
