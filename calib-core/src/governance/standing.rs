//! A manifest's standing, read without verifying it: is it still in date,
//! made for this core, and about this model?
//!
//! `calib report` shows it beside a model's drift report; a person decides
//! from it whether to run `calib verify` or a governance review. Nothing
//! here checks a signature, so nothing here may be trusted as one:
//! verification is `manifest::verify_manifest`'s.

use crate::canonical::Sha256Digest;
use crate::fingerprint::core_fingerprint;
use crate::gate::Verdict;
use crate::manifest::UnverifiedManifest;
use crate::model::Model;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;
use time::OffsetDateTime;

/// What a manifest says and how it stands against this core, a model and
/// a time — **not verified**.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestStanding {
    /// The manifest's digest (SHA-256 of its payload).
    pub digest: Sha256Digest,
    /// Its release number.
    pub version: u64,
    /// When it was made (RFC 3339, as written).
    pub created: String,
    /// When it expires (RFC 3339, as written).
    pub expires: String,
    /// Whether it had expired at the time asked. An expiry that cannot be
    /// read counts as expired: such a manifest is never trusted.
    pub expired: bool,
    /// The core it was made for.
    pub core_fingerprint: Sha256Digest,
    /// Whether that is this core.
    pub core_matches: bool,
    /// The manifest it replaces.
    pub parent: Option<Sha256Digest>,
    /// Key ids of its signatures (unchecked).
    pub keyids: Vec<String>,
    /// The model subject's SHA-256, as written.
    pub model_subject: Option<String>,
    /// Whether the model subject is the given model's canonical digest
    /// (`Statement::vouches_for`).
    pub model_matches: bool,
    /// The verdict of the gate report it carries.
    pub gate_verdict: Option<Verdict>,
    /// The holdout-wide ĉ it records.
    pub c_hat: Option<f64>,
    /// The holdout-wide τ it records.
    pub tau: Option<f64>,
}

impl ManifestStanding {
    /// The standing of `manifest` (as `manifest::inspect` read it) for
    /// `model` at `now`. Fails, with the parse error, only when its payload
    /// is not a calib statement.
    pub fn read(manifest: &UnverifiedManifest, model: &Model, now: OffsetDateTime) -> Result<Self, String> {
        let st = manifest.statement.as_ref().map_err(String::clone)?;
        let p = &st.predicate;
        Ok(ManifestStanding {
            digest: manifest.digest,
            version: p.version,
            created: p.created.clone(),
            expires: p.expires.clone(),
            expired: p.expired_at(now).unwrap_or(true),
            core_fingerprint: p.core_fingerprint,
            core_matches: p.core_fingerprint == core_fingerprint(),
            parent: p.parent,
            keyids: manifest.envelope.signatures.iter().map(|s| s.keyid.clone()).collect(),
            model_subject: st.model_sha256().map(Into::into),
            model_matches: st.vouches_for(model),
            gate_verdict: p.gate_report.as_ref().map(|r| r.verdict),
            c_hat: p.parameters.c_hat.overall,
            tau: p.parameters.tau.overall,
        })
    }
}
