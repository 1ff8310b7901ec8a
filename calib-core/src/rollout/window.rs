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

/// One window of served traffic as a canary holds it when the window ends:
/// every row both models scored, the drift monitor's view of the
/// candidate, and the candidate's timings — plain slices, so the chaos
/// suite, the CLI's simulated rollout and a live canary all hand the same
/// thing to [`WindowReport::measure`]. Features `monitor` and `gate`.
#[cfg(all(feature = "monitor", feature = "gate"))]
#[derive(Debug, Clone, Copy)]
pub struct WindowTraffic<'a, Q> {
    /// Start of the window (ms since the Unix epoch), inclusive.
    pub start_ms: i64,
    /// End of the window (ms since the Unix epoch), exclusive.
    pub end_ms: i64,
    /// The candidate's probability of each row; NaN (or any non-finite
    /// value) where it gave none.
    pub candidate: &'a [f64],
    /// The incumbent's probability of each row, the same way.
    pub incumbent: &'a [f64],
    /// Each row's label in [0, 1].
    pub labels: &'a [f64],
    /// Each row's query (Recall@50 ranks a query's items).
    pub query_ids: &'a [Q],
    /// Per-query wall times (ms) of calibrating with the candidate (see
    /// [`crate::gate::measure_latencies`]); `None` when not timed.
    pub latencies_ms: Option<&'a [f64]>,
    /// The drift monitor's summary of the candidate over these rows.
    pub monitor: &'a crate::monitor::WindowSummary,
    /// The monitor's alerts for the window; empty when none were evaluated.
    pub alerts: &'a [crate::monitor::Alert],
    /// ĉ of the candidate, as its manifest records it: τ of the window's
    /// AECE uses it rather than a bootstrap per window.
    pub c_hat: f64,
}

#[cfg(all(feature = "monitor", feature = "gate"))]
impl WindowReport {
    /// The controller's measurements of one window of traffic:
    ///
    /// - **samples** are the rows the monitor observed;
    /// - **p99 latency** is the latency gate's p99 of the timings (`None`
    ///   when not timed);
    /// - **AECE** is the monitor's (K equal-mass bins), and **τ** =
    ///   τ(sampled rows, K, ĉ). A window with a score the candidate refused,
    ///   or whose clamp-rate or merged-bin alert fires at `fail`, has no
    ///   AECE (nor τ): the AECE the gate is defined by — over scores the map
    ///   was fitted for, in K bins — is not what such a window can measure;
    /// - **median shift** and **ΔRecall@50** are the gates' measurements on
    ///   the rows' probabilities; a window with a refused score, or a row
    ///   either model gave no finite probability, has neither.
    ///
    /// A missing measurement gives its gate `NoData`, so such a window holds
    /// the rollout and can never advance it. Fails only on slices of
    /// different lengths.
    pub fn measure<Q: AsRef<str>>(traffic: &WindowTraffic<'_, Q>) -> crate::error::Result<WindowReport> {
        use crate::error::{Error, ErrorKind};
        use crate::monitor::AlertRule;
        use crate::recall::{QueryGroups, RECALL_K, recall_at_k};

        let t = traffic;
        let n = t.candidate.len();
        for (what, len) in
            [("incumbent", t.incumbent.len()), ("labels", t.labels.len()), ("query_ids", t.query_ids.len())]
        {
            if len != n {
                return Err(Error::new(ErrorKind::LengthMismatch, what).counts(len, n));
            }
        }
        let s = t.monitor;
        let refused = s.refused > 0;
        let failing = |rule: AlertRule| t.alerts.iter().any(|a| a.rule == rule && a.fails());
        let aece =
            if refused || failing(AlertRule::ClampRate) || failing(AlertRule::MergedBins) { None } else { s.aece };
        let scored = n > 0 && t.candidate.iter().chain(t.incumbent).all(|p| p.is_finite());
        let (mut shift, mut recall) = (None, None);
        if !refused && scored {
            shift = crate::gate::median_shift(t.candidate, t.incumbent);
            let groups = QueryGroups::new(t.query_ids);
            // A ranking that cannot be measured (a label out of range) is no data.
            if let (Ok(c), Ok(i)) = (
                recall_at_k(&groups, t.candidate, t.labels, RECALL_K),
                recall_at_k(&groups, t.incumbent, t.labels, RECALL_K),
            ) {
                recall = c.mean.zip(i.mean).map(|(c, i)| c - i);
            }
        }
        Ok(WindowReport {
            start_ms: t.start_ms,
            end_ms: t.end_ms,
            samples: s.scores,
            p99_latency_ms: t.latencies_ms.and_then(crate::gate::p99_ms),
            aece,
            tau: aece.map(|_| crate::metrics::tau(s.sampled, s.bins_requested, t.c_hat)),
            median_confidence_shift: shift,
            recall_at_50_delta: recall,
        })
    }
}

#[cfg(all(test, feature = "monitor", feature = "gate"))]
mod tests {
    use super::*;
    use crate::monitor::{Alert, AlertRule, AlertState, MonitorConfig, Severity, WindowStorage};

    fn summary(candidate: &[f64], labels: &[f64]) -> crate::monitor::WindowSummary {
        let mut storage = WindowStorage::new(&MonitorConfig { capacity: 64, ..MonitorConfig::default() }).unwrap();
        let mut w = storage.window().unwrap();
        for (&p, &y) in candidate.iter().zip(labels) {
            w.observe_probability(p, y).unwrap();
        }
        w.summary().unwrap()
    }

    #[test]
    fn a_window_is_measured_and_what_it_cannot_measure_is_missing() {
        let cand = [0.1, 0.9, 0.2, 0.8, 0.3, 0.7];
        let inc = [0.1, 0.8, 0.2, 0.8, 0.4, 0.7];
        let labels = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
        let ids = ["a", "a", "b", "b", "c", "c"];
        let s = summary(&cand, &labels);
        let t = WindowTraffic {
            start_ms: 0,
            end_ms: 15 * MINUTE_MS,
            candidate: &cand,
            incumbent: &inc,
            labels: &labels,
            query_ids: &ids,
            latencies_ms: Some(&[0.25, 0.5]),
            monitor: &s,
            alerts: &[],
            c_hat: 1.0,
        };
        let r = WindowReport::measure(&t).unwrap();
        assert_eq!(r.samples, 6);
        assert_eq!(r.aece, s.aece);
        assert_eq!(r.tau, Some(crate::metrics::tau(6, 15, 1.0)));
        assert_eq!(r.median_confidence_shift, Some(0.0));
        assert_eq!(r.recall_at_50_delta, Some(0.0));
        assert!(r.p99_latency_ms.is_some_and(|p| p > 0.49 && p <= 0.5));

        // A row the incumbent gave no probability: no shift, no Recall@50.
        let mut gap = inc;
        gap[2] = f64::NAN;
        let r = WindowReport::measure(&WindowTraffic { incumbent: &gap, latencies_ms: None, ..t }).unwrap();
        assert_eq!((r.median_confidence_shift, r.recall_at_50_delta, r.p99_latency_ms), (None, None, None));
        assert_eq!(r.aece, s.aece);

        // A clamp-rate alert at fail: no AECE, no τ.
        let alert = Alert {
            rule: AlertRule::ClampRate,
            state: AlertState::Firing,
            severity: Some(Severity::Fail),
            value: Some(0.5),
            threshold: 0.1,
            samples: 6,
            min_samples: 1,
            note: None,
        };
        let r = WindowReport::measure(&WindowTraffic { alerts: &[alert], ..t }).unwrap();
        assert_eq!((r.aece, r.tau), (None, None));
        assert!(r.median_confidence_shift.is_some());

        // A refused score: none of the three.
        let refused = crate::monitor::WindowSummary { refused: 1, ..s };
        let r = WindowReport::measure(&WindowTraffic { monitor: &refused, ..t }).unwrap();
        assert_eq!((r.aece, r.median_confidence_shift, r.recall_at_50_delta), (None, None, None));

        let short = WindowTraffic { labels: &labels[..5], ..t };
        assert_eq!(WindowReport::measure(&short).unwrap_err().kind(), crate::ErrorKind::LengthMismatch);
    }
}
