//! The four gates, their thresholds and how a measurement is judged.

use super::Verdict;

/// The four SLA gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(rename_all = "snake_case"))]
pub enum GateKind {
    /// p99 of the time to calibrate one query's items: must be below the threshold (ms).
    P99Latency,
    /// `max(0, AECE − τ)`: must be at most the threshold.
    AeceExcess,
    /// Median |g_candidate(s) − g_incumbent(s)|: must be at most the threshold.
    MedianShift,
    /// ΔRecall@50 = candidate − incumbent: must be at least the threshold.
    #[cfg_attr(feature = "alloc", serde(rename = "recall_at_50"))]
    RecallAt50,
}

impl GateKind {
    /// Every gate, in report order.
    pub const ALL: [GateKind; 4] =
        [GateKind::P99Latency, GateKind::AeceExcess, GateKind::MedianShift, GateKind::RecallAt50];

    /// The gate's name in configs and reports.
    pub fn name(self) -> &'static str {
        match self {
            GateKind::P99Latency => "p99_latency",
            GateKind::AeceExcess => "aece_excess",
            GateKind::MedianShift => "median_shift",
            GateKind::RecallAt50 => "recall_at_50",
        }
    }
}

/// One gate's threshold and the fewest samples it needs to judge.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(deny_unknown_fields))]
pub struct GateThreshold {
    /// The limit (its direction is fixed by the gate, see [`GateKind`]).
    pub threshold: f64,
    /// Fewer samples than this give [`Verdict::NoData`].
    pub min_samples: u64,
}

/// Thresholds of all four gates. The defaults are calib's SLA:
/// p99 < 1 ms, AECE − τ ≤ 0.01, median shift ≤ 0.02, ΔRecall@50 ≥ 0.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(default, deny_unknown_fields))]
pub struct Thresholds {
    /// p99 latency in milliseconds (strictly below passes).
    pub p99_latency: GateThreshold,
    /// AECE excess over τ (at most passes).
    pub aece_excess: GateThreshold,
    /// Median confidence shift (at most passes).
    pub median_shift: GateThreshold,
    /// ΔRecall@50 (at least passes).
    pub recall_at_50: GateThreshold,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            p99_latency: GateThreshold { threshold: 1.0, min_samples: 100 },
            aece_excess: GateThreshold { threshold: 0.01, min_samples: 1000 },
            median_shift: GateThreshold { threshold: 0.02, min_samples: 1000 },
            recall_at_50: GateThreshold { threshold: 0.0, min_samples: 100 },
        }
    }
}

impl Thresholds {
    /// The threshold of one gate.
    pub fn get(&self, gate: GateKind) -> GateThreshold {
        match gate {
            GateKind::P99Latency => self.p99_latency,
            GateKind::AeceExcess => self.aece_excess,
            GateKind::MedianShift => self.median_shift,
            GateKind::RecallAt50 => self.recall_at_50,
        }
    }

    /// Judges one measurement: `None` (missing) or fewer than `min_samples`
    /// samples is `NoData`; a NaN measurement is `Error`.
    pub fn judge(&self, gate: GateKind, value: Option<f64>, samples: u64) -> Verdict {
        let t = self.get(gate);
        if samples < t.min_samples {
            return Verdict::NoData;
        }
        let Some(v) = value else { return Verdict::NoData };
        if v.is_nan() {
            return Verdict::Error;
        }
        let ok = match gate {
            GateKind::P99Latency => v < t.threshold,
            GateKind::AeceExcess | GateKind::MedianShift => v <= t.threshold,
            GateKind::RecallAt50 => v >= t.threshold,
        };
        if ok { Verdict::Pass } else { Verdict::Breach }
    }
}
