//! The monitor's alert rules and their severities.

use super::WindowSummary;
use crate::error::{Error, ErrorKind, Result};

/// The alert rules, each judged on one window.
///
/// | rule | fires when | severity | samples it needs (default) |
/// |---|---|---|---|
/// | `aece_drift` | `|AECE(window) − AECE(baseline)| > 0.01` | fail | 10 000 rows in window and baseline |
/// | `clamp_rate` | clamp rate `> 10 %` | fail | 100 scores |
/// | `merged_bins` | merged-bin % `> 5` / `> 20` | warn / fail | 1000 rows |
///
/// Choices made where the issue leaves room (docs/concepts.md §14):
/// - **Sample minimums.** AECE's own sampling noise at N rows and K = 15 is
///   about `0.4·√(K/N)`: 0.05 at 1000 rows, 0.015 at 10 000 (where τ's floor
///   sits). A 0.01 drift rule judged on fewer rows would fire on noise, so
///   it waits for 10 000 in both windows, the governance minimum of ĉ.
/// - **Collapsed bins.** When either window's merged-bin % is at fail
///   level, its "AECE over K bins" is an AECE over far fewer bins; the drift
///   rule then has no data (note `bins_collapsed`) and `merged_bins` says why.
/// - Limits are strict: a value equal to its limit does not fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(rename_all = "snake_case"))]
pub enum AlertRule {
    /// AECE moved away from the baseline window's by more than the limit.
    AeceDrift,
    /// Too many scores outside the map's range, or not finite.
    ClampRate,
    /// Too many of the K equal-mass bins collapsed.
    MergedBins,
}

impl AlertRule {
    /// Every rule, in report order.
    pub const ALL: [AlertRule; 3] = [AlertRule::AeceDrift, AlertRule::ClampRate, AlertRule::MergedBins];

    /// The rule's name in reports and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            AlertRule::AeceDrift => "aece_drift",
            AlertRule::ClampRate => "clamp_rate",
            AlertRule::MergedBins => "merged_bins",
        }
    }

    /// The severities the rule can fire with.
    pub fn severities(self) -> &'static [Severity] {
        match self {
            AlertRule::MergedBins => &[Severity::Warn, Severity::Fail],
            _ => &[Severity::Fail],
        }
    }
}

/// How bad a firing alert is. Ordered: `Warn < Fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(rename_all = "snake_case"))]
pub enum Severity {
    /// Look at it.
    Warn,
    /// Act on it: the calibrator no longer does what it was shipped to do.
    Fail,
}

impl Severity {
    /// `"warn"` or `"fail"`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warn => "warn",
            Severity::Fail => "fail",
        }
    }
}

/// Whether a rule fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(rename_all = "snake_case"))]
pub enum AlertState {
    /// Judged, within its limit.
    Ok,
    /// Judged, beyond its limit.
    Firing,
    /// Not judged (see the note): never a silent `Ok`.
    NoData,
}

/// Why a rule has no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(rename_all = "snake_case"))]
pub enum AlertNote {
    /// No baseline window was given (drift rule).
    NoBaseline,
    /// The window has fewer samples than the rule needs.
    TooFewSamples,
    /// The baseline has fewer samples than the rule needs.
    BaselineTooFewSamples,
    /// The window's (or baseline's) equal-mass bins collapsed past the fail
    /// limit, so its AECE is not an AECE over K bins.
    BinsCollapsed,
}

impl AlertNote {
    /// The note's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            AlertNote::NoBaseline => "no_baseline",
            AlertNote::TooFewSamples => "too_few_samples",
            AlertNote::BaselineTooFewSamples => "baseline_too_few_samples",
            AlertNote::BinsCollapsed => "bins_collapsed",
        }
    }
}

/// A limit and the fewest samples it is judged on.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(deny_unknown_fields))]
pub struct AlertLimit {
    /// Fires above this.
    pub threshold: f64,
    /// Fewer samples: no data.
    pub min_samples: u64,
}

/// The merged-bin rule's two limits (in %).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(deny_unknown_fields))]
pub struct MergedBinsLimit {
    /// Warns above this merged-bin %.
    pub warn: f64,
    /// Fails above this merged-bin %.
    pub fail: f64,
    /// Fewer rows: no data.
    pub min_samples: u64,
}

/// Limits of every rule. The defaults are the issue's: |ΔAECE| > 0.01,
/// clamp rate > 10 %, merged-bin % > 5 (warn) or > 20 (fail).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(default, deny_unknown_fields))]
pub struct AlertConfig {
    /// `|ΔAECE|` against the baseline.
    pub aece_drift: AlertLimit,
    /// The clamp rate (a fraction).
    pub clamp_rate: AlertLimit,
    /// The merged-bin %.
    pub merged_bins: MergedBinsLimit,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            aece_drift: AlertLimit { threshold: 0.01, min_samples: 10_000 },
            clamp_rate: AlertLimit { threshold: 0.10, min_samples: 100 },
            merged_bins: MergedBinsLimit { warn: 5.0, fail: 20.0, min_samples: 1000 },
        }
    }
}

impl AlertConfig {
    /// Checks every limit is a finite, non-negative number and warn ≤ fail.
    pub fn validate(&self) -> Result<()> {
        let m = &self.merged_bins;
        let limits: [(&'static str, f64); 4] = [
            ("aece_drift threshold", self.aece_drift.threshold),
            ("clamp_rate threshold", self.clamp_rate.threshold),
            ("merged_bins warn", m.warn),
            ("merged_bins fail", m.fail),
        ];
        for (what, v) in limits {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::new(ErrorKind::InvalidParameter, what).value(v));
            }
        }
        if m.warn > m.fail {
            return Err(Error::new(ErrorKind::InvalidParameter, "merged_bins warn (above fail)").value(m.warn));
        }
        Ok(())
    }
}

/// One rule's outcome on one window.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(deny_unknown_fields))]
pub struct Alert {
    /// The rule.
    pub rule: AlertRule,
    /// Fired, within limits, or not judged.
    pub state: AlertState,
    /// The severity it fired with (`None` unless firing).
    pub severity: Option<Severity>,
    /// What was measured: ΔAECE (window − baseline, signed), the clamp rate,
    /// or the merged-bin %.
    pub value: Option<f64>,
    /// The limit crossed when firing; otherwise the lowest limit.
    pub threshold: f64,
    /// Samples the rule was judged on (the window's).
    pub samples: u64,
    /// Samples it needs.
    pub min_samples: u64,
    /// Why it has no data.
    pub note: Option<AlertNote>,
}

impl Alert {
    /// Whether it fired (at any severity).
    pub fn firing(&self) -> bool {
        self.state == AlertState::Firing
    }

    /// Whether it fired at `fail`: what fails `calib monitor` and `calib
    /// report`, and what takes AECE out of a rollout window
    /// (`rollout::WindowReport::measure`).
    pub fn fails(&self) -> bool {
        self.firing() && self.severity == Some(Severity::Fail)
    }
}

fn no_data(rule: AlertRule, value: Option<f64>, threshold: f64, samples: u64, min: u64, note: AlertNote) -> Alert {
    Alert {
        rule,
        state: AlertState::NoData,
        severity: None,
        value,
        threshold,
        samples,
        min_samples: min,
        note: Some(note),
    }
}

fn judged(rule: AlertRule, value: f64, threshold: f64, severity: Option<Severity>, samples: u64, min: u64) -> Alert {
    Alert {
        rule,
        state: if severity.is_some() { AlertState::Firing } else { AlertState::Ok },
        severity,
        value: Some(value),
        threshold,
        samples,
        min_samples: min,
        note: None,
    }
}

fn collapsed(s: &WindowSummary, cfg: &AlertConfig) -> bool {
    s.merged_bin_percent.is_some_and(|m| m > cfg.merged_bins.fail)
}

/// Judges every rule on `window`, the drift rule against `baseline`.
/// Never allocates.
pub fn evaluate_alerts(window: &WindowSummary, baseline: Option<&WindowSummary>, cfg: &AlertConfig) -> [Alert; 3] {
    let d = &cfg.aece_drift;
    let drift = match (baseline, window.aece) {
        (None, _) => {
            no_data(AlertRule::AeceDrift, None, d.threshold, window.sampled, d.min_samples, AlertNote::NoBaseline)
        }
        (Some(_), None) => {
            no_data(AlertRule::AeceDrift, None, d.threshold, window.sampled, d.min_samples, AlertNote::TooFewSamples)
        }
        (Some(_), Some(_)) if window.sampled < d.min_samples => {
            no_data(AlertRule::AeceDrift, None, d.threshold, window.sampled, d.min_samples, AlertNote::TooFewSamples)
        }
        (Some(b), Some(a)) => match b.aece {
            Some(ab) if b.sampled >= d.min_samples => {
                let delta = a - ab;
                if collapsed(window, cfg) || collapsed(b, cfg) {
                    no_data(
                        AlertRule::AeceDrift,
                        Some(delta),
                        d.threshold,
                        window.sampled,
                        d.min_samples,
                        AlertNote::BinsCollapsed,
                    )
                } else {
                    let sev = (delta.abs() > d.threshold).then_some(Severity::Fail);
                    judged(AlertRule::AeceDrift, delta, d.threshold, sev, window.sampled, d.min_samples)
                }
            }
            _ => no_data(
                AlertRule::AeceDrift,
                None,
                d.threshold,
                window.sampled,
                d.min_samples,
                AlertNote::BaselineTooFewSamples,
            ),
        },
    };

    let c = &cfg.clamp_rate;
    let clamp = if window.scores < c.min_samples || window.scores == 0 {
        no_data(AlertRule::ClampRate, None, c.threshold, window.scores, c.min_samples, AlertNote::TooFewSamples)
    } else {
        let sev = (window.clamp_rate > c.threshold).then_some(Severity::Fail);
        judged(AlertRule::ClampRate, window.clamp_rate, c.threshold, sev, window.scores, c.min_samples)
    };

    let m = &cfg.merged_bins;
    let merged = match window.merged_bin_percent {
        Some(v) if window.sampled >= m.min_samples => {
            let (sev, threshold) = if v > m.fail {
                (Some(Severity::Fail), m.fail)
            } else if v > m.warn {
                (Some(Severity::Warn), m.warn)
            } else {
                (None, m.warn)
            };
            judged(AlertRule::MergedBins, v, threshold, sev, window.sampled, m.min_samples)
        }
        v => no_data(AlertRule::MergedBins, v, m.warn, window.sampled, m.min_samples, AlertNote::TooFewSamples),
    };
    [drift, clamp, merged]
}
