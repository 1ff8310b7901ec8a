//! The config lint: values that would make a gate meaningless.

use super::{GateConfig, GateKind, MIN_RESAMPLES};
use crate::binning::KPolicy;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A config value that would make a gate meaningless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintIssue {
    /// The offending field, e.g. `p99_latency.threshold`.
    pub field: String,
    /// Why it is refused.
    pub message: String,
}

impl fmt::Display for LintIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The range a gate's measurement can take, and which side passes.
fn lint_threshold(gate: GateKind, t: f64) -> Option<String> {
    let never_pass = "so the gate could never pass";
    let never_fail = "so the gate could never fail";
    if t.is_nan() {
        return Some(format!("threshold is NaN: every comparison with NaN is false, {never_pass}"));
    }
    match gate {
        GateKind::P99Latency if t == f64::INFINITY => {
            Some(format!("threshold is infinite: every measured latency is below it, {never_fail}"))
        }
        GateKind::P99Latency if t <= 0.0 => {
            Some(format!("threshold {t} ms: a latency is never below {t} ms, {never_pass}"))
        }
        GateKind::AeceExcess if t < 0.0 => {
            Some(format!("threshold {t}: the excess max(0, AECE − τ) is never negative, {never_pass}"))
        }
        // AECE ≤ 1 and τ ≥ 0.015, so the excess never exceeds 0.985.
        GateKind::AeceExcess if t >= 1.0 - TAU_FLOOR => Some(format!(
            "threshold {t}: AECE is at most 1 and τ at least {TAU_FLOOR}, so the excess never exceeds {}, {never_fail}",
            1.0 - TAU_FLOOR
        )),
        GateKind::MedianShift if t < 0.0 => {
            Some(format!("threshold {t}: a median of absolute differences is never negative, {never_pass}"))
        }
        GateKind::MedianShift if t >= 1.0 => {
            Some(format!("threshold {t}: probabilities lie in [0, 1], so no shift exceeds 1, {never_fail}"))
        }
        GateKind::RecallAt50 if t <= -1.0 => Some(format!("threshold {t}: ΔRecall@50 is never below −1, {never_fail}")),
        GateKind::RecallAt50 if t > 1.0 => Some(format!("threshold {t}: ΔRecall@50 is never above 1, {never_pass}")),
        _ => None,
    }
}

/// τ's floor: `τ = max(0.015, ĉ·√(K/N))`.
const TAU_FLOOR: f64 = 0.015;

impl GateConfig {
    /// Every value that would make a gate meaningless: a gate that can
    /// never fail (an infinite or out-of-range threshold, `min_samples =
    /// 0`), one that can never pass (NaN, a negative limit where the
    /// measurement cannot be negative), and unusable AECE settings.
    pub fn lint(&self) -> Vec<LintIssue> {
        let mut issues = Vec::new();
        for gate in GateKind::ALL {
            let t = self.thresholds.get(gate);
            if let Some(message) = lint_threshold(gate, t.threshold) {
                issues.push(LintIssue { field: format!("{}.threshold", gate.name()), message });
            }
            if t.min_samples == 0 {
                issues.push(LintIssue {
                    field: format!("{}.min_samples", gate.name()),
                    message: "min_samples = 0 lets the gate judge a holdout with no samples at all, so a \
                              missing measurement could never fail it; use at least 1"
                        .into(),
                });
            }
        }
        let a = &self.aece;
        let bad_bins = match a.bins {
            KPolicy::Fixed(k) => k == 0 || k > u32::MAX as usize,
            KPolicy::CubeRoot { min, max } => min == 0 || min > max,
        };
        if bad_bins {
            issues.push(LintIssue {
                field: "aece_excess.bins".into(),
                message: format!("{:?} gives no usable number of bins (need 1 ≤ K, min ≤ max)", a.bins),
            });
        }
        if a.resamples < MIN_RESAMPLES {
            issues.push(LintIssue {
                field: "aece_excess.resamples".into(),
                message: format!(
                    "{} resamples cannot place ĉ's 95th percentile; use at least {MIN_RESAMPLES}",
                    a.resamples
                ),
            });
        }
        if a.class_min_samples < 2 {
            issues.push(LintIssue {
                field: "aece_excess.class_min_samples".into(),
                message: format!("{}: the ĉ bootstrap needs at least 2 samples", a.class_min_samples),
            });
        }
        issues
    }
}
