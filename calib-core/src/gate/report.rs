//! The gate report: every gate's result and what was compared, as a signed
//! manifest carries it.

use super::{GateConfig, GateKind, Verdict};
use crate::canonical::Sha256Digest;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// Version of the gate report format.
pub const GATE_REPORT_VERSION: u32 = 1;

/// One gate's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateResult {
    /// Which gate.
    pub gate: GateKind,
    /// Its verdict.
    pub verdict: Verdict,
    /// The measured value (`None` when not measured).
    pub value: Option<f64>,
    /// The threshold it was judged against.
    pub threshold: f64,
    /// Fewest samples it needed.
    pub min_samples: u64,
    /// Samples it had.
    pub samples: u64,
    /// Why it is `NoData` or `Error`, when it is.
    pub note: Option<String>,
}

/// AECE, ĉ and τ of one group of holdout rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AeceGroup {
    /// Rows.
    pub n: u64,
    /// Equal-mass bins K.
    pub bins: usize,
    /// The candidate's AECE.
    pub aece: f64,
    /// Bootstrapped ĉ.
    pub c_hat: f64,
    /// `τ(N, K) = max(0.015, ĉ·√(K/N))`.
    pub tau: f64,
    /// `max(0, AECE − τ)`.
    pub excess: f64,
}

/// The AECE-excess gate's groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AeceDetail {
    /// The whole holdout.
    pub overall: AeceGroup,
    /// Each class with at least `class_min_samples` rows.
    pub classes: BTreeMap<String, AeceGroup>,
}

/// Recall@50 of both models.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecallDetail {
    /// The candidate's mean Recall@50.
    pub candidate: f64,
    /// The incumbent's mean Recall@50.
    pub incumbent: f64,
    /// Queries with at least one relevant item.
    pub queries: u64,
}

/// The outcome of a gate run: every gate, the overall verdict (the
/// worst), what was compared and with which settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateReport {
    /// [`GATE_REPORT_VERSION`].
    pub report_version: u32,
    /// The worst gate verdict.
    pub verdict: Verdict,
    /// One result per gate, in [`GateKind::ALL`] order.
    pub gates: Vec<GateResult>,
    /// Holdout rows.
    pub rows: u64,
    /// Holdout queries.
    pub queries: u64,
    /// SHA-256 of the candidate's canonical bytes.
    pub candidate_sha256: Sha256Digest,
    /// SHA-256 of the incumbent's canonical bytes.
    pub incumbent_sha256: Sha256Digest,
    /// The fingerprint of the core that computed this report.
    pub core_fingerprint: Sha256Digest,
    /// The settings used.
    pub config: GateConfig,
    /// Per-group AECE, ĉ and τ (when measured).
    pub aece: Option<AeceDetail>,
    /// Recall@50 of both models (when measured).
    pub recall: Option<RecallDetail>,
}

impl GateReport {
    /// The result of one gate.
    pub fn gate(&self, gate: GateKind) -> Option<&GateResult> {
        self.gates.iter().find(|g| g.gate == gate)
    }
}
