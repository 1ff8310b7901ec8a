//! One window's measurements and their gate verdicts.

use super::{Config, MINUTE_MS, Result, RolloutError, RolloutErrorKind};
use crate::gate::{GateKind, Verdict};
use alloc::format;
use serde::{Deserialize, Serialize};

/// What was measured in one window. A missing measurement (`None`) gives its
/// gate `NoData`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowReport {
    /// Start of the window (ms since the Unix epoch), inclusive.
    pub start_ms: i64,
    /// End of the window (ms since the Unix epoch), exclusive.
    pub end_ms: i64,
    /// Samples (scored items) in the window.
    pub samples: u64,
    /// p99 time to calibrate one query's items, in milliseconds.
    pub p99_latency_ms: Option<f64>,
    /// Adaptive ECE of the candidate.
    pub aece: Option<f64>,
    /// The tolerance τ(N, K) for that AECE.
    pub tau: Option<f64>,
    /// Median |g_candidate(s) − g_incumbent(s)|.
    pub median_confidence_shift: Option<f64>,
    /// Recall@50 of the candidate minus that of the incumbent.
    pub recall_at_50_delta: Option<f64>,
}

/// One gate's verdict in one window, with what it was judged on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowGate {
    /// The gate.
    #[serde(serialize_with = "super::config::gate_names::serialize_one")]
    pub gate: GateKind,
    /// Its verdict.
    pub verdict: Verdict,
    /// The measured value (`None` when missing; AECE excess is
    /// `max(0, aece − tau)`).
    pub value: Option<f64>,
    /// The threshold it was compared with.
    pub threshold: f64,
    /// The window's samples.
    pub samples: u64,
    /// The samples the gate needed: the larger of the config's and the gate's minimum.
    pub min_samples: u64,
    /// Recorded but not acted on (`dry_run_gates`).
    pub dry_run: bool,
}

fn invalid(message: alloc::string::String) -> RolloutError {
    RolloutError::new(RolloutErrorKind::InvalidWindow, message)
}

impl WindowReport {
    /// Checks the window on its own: its length is `window_minutes`, and
    /// every measurement lies in its possible range (latency ≥ 0, AECE and
    /// median shift in [0, 1], τ ≥ 0, ΔRecall@50 in [-1, 1]; none NaN).
    pub fn validate(&self, config: &Config) -> Result<()> {
        let want = i64::from(config.window_minutes) * MINUTE_MS;
        let got = self.end_ms.checked_sub(self.start_ms);
        if got != Some(want) {
            return Err(invalid(match got {
                Some(ms) if ms <= 0 => "window does not end after it starts".into(),
                Some(ms) => format!(
                    "window is {ms} ms long; window_minutes = {} needs exactly {want} ms",
                    config.window_minutes
                ),
                None => "window start and end are too far apart".into(),
            }));
        }
        let ranges: [(&str, Option<f64>, f64, f64); 5] = [
            ("p99_latency_ms", self.p99_latency_ms, 0.0, f64::MAX),
            ("aece", self.aece, 0.0, 1.0),
            ("tau", self.tau, 0.0, f64::MAX),
            ("median_confidence_shift", self.median_confidence_shift, 0.0, 1.0),
            ("recall_at_50_delta", self.recall_at_50_delta, -1.0, 1.0),
        ];
        for (name, value, lo, hi) in ranges {
            if let Some(v) = value
                && !(lo..=hi).contains(&v)
            {
                return Err(invalid(format!("{name} = {v} is outside its possible range [{lo}, {hi}]")));
            }
        }
        Ok(())
    }

    /// The measurement a gate judges: AECE excess is `max(0, aece − tau)`
    /// and needs both.
    pub fn value(&self, gate: GateKind) -> Option<f64> {
        match gate {
            GateKind::P99Latency => self.p99_latency_ms,
            GateKind::AeceExcess => match (self.aece, self.tau) {
                // NaN stays NaN (the gate's `Error`), rather than max() hiding it.
                (Some(a), Some(t)) if a.is_nan() || t.is_nan() => Some(f64::NAN),
                (Some(a), Some(t)) => Some(if a > t { a - t } else { 0.0 }),
                _ => None,
            },
            GateKind::MedianShift => self.median_confidence_shift,
            GateKind::RecallAt50 => self.recall_at_50_delta,
        }
    }

    /// Every gate's verdict in this window, in [`GateKind::ALL`] order.
    pub fn judge(&self, config: &Config) -> [WindowGate; 4] {
        GateKind::ALL.map(|gate| {
            let t = config.thresholds.get(gate);
            let value = self.value(gate);
            let verdict = if self.samples < config.min_samples {
                Verdict::NoData
            } else {
                config.thresholds.judge(gate, value, self.samples)
            };
            WindowGate {
                gate,
                verdict,
                value,
                threshold: t.threshold,
                samples: self.samples,
                min_samples: t.min_samples.max(config.min_samples),
                dry_run: !config.acts_on(gate),
            }
        })
    }
}
