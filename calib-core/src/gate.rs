//! SLA gates: the verdict vocabulary and the thresholds.
//!
//! A gate compares one measurement of a candidate calibrator with a
//! threshold and gives a [`Verdict`]. The verdict of a window (or of a
//! whole gate report) is the worst of its gates, in the order
//! `Pass < NoData < Error < Breach`: missing data is never a pass.
//!
//! With the `gate` feature this module also evaluates the four gates of a
//! candidate against the incumbent on a holdout (`evaluate_gates`, and
//! `evaluate_holdout` which times the candidate in-process with `std`),
//! lints gate configs (`GateConfigFile::resolve`, `GateConfig::lint`) and
//! writes the `GateReport` that a signed manifest carries. The choices it
//! makes where the definitions leave room are in docs/concepts.md §12.1.

/// The outcome of one gate, or of a window (the worst of its gates).
///
/// Ordered from best to worst, so `max` gives the worse of two verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(rename_all = "snake_case"))]
pub enum Verdict {
    /// The measurement meets the threshold.
    Pass,
    /// Fewer samples than the gate's minimum: nothing can be said.
    NoData,
    /// The measurement could not be taken.
    Error,
    /// The measurement violates the threshold.
    Breach,
}

impl Verdict {
    /// The worst of a set of verdicts; `NoData` when there are none.
    pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::NoData)
    }
    /// A short lowercase name (`"pass"`, `"no_data"`, `"error"`, `"breach"`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::NoData => "no_data",
            Verdict::Error => "error",
            Verdict::Breach => "breach",
        }
    }
}

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

#[cfg(feature = "gate")]
pub use self::eval::*;

/// Evaluating the gates on a holdout (feature `gate`).
///
/// Decisions the glossary leaves open, made here:
/// - **Recall@50** ranks each query's items by calibrated score, ties broken
///   by input position; relevance is `label ≥ 0.5` ([`crate::recall`]).
/// - **AECE excess** is measured on the whole holdout and, separately, on
///   every class with at least [`AeceSettings::class_min_samples`] rows
///   (default 10 000, the governance minimum of ĉ); the gate's value is the
///   largest excess among them. A smaller class is not judged on its own:
///   ĉ would be too noisy to govern it, but its rows still count in the
///   holdout-wide group. Each group's ĉ is bootstrapped from the
///   candidate's own outputs on that group (B = 200 resamples, seed
///   `0x00ca11b0`, K from the K policy, default fixed 15, by default); the
///   holdout-wide group accepts any N the gate's `min_samples` lets through.
/// - **Median shift** is numpy's linear quantile at 0.5 of
///   `|g_candidate(s) − g_incumbent(s)|` over every row, each row served by
///   its class's map (or the global map).
/// - **p99 latency**: one sample per query — the wall time to apply the
///   candidate to the query's first [`LATENCY_ITEMS`] items (in input
///   order), after one untimed warm-up pass; the p99 is numpy's linear
///   quantile at 0.99, in milliseconds.
/// - A gate whose measurement cannot be taken (the candidate refuses a
///   holdout score, or gives NaN) is `Error` — even when it would also lack
///   samples, because `Error` is the worse verdict.
#[cfg(feature = "gate")]
mod eval {
    use super::*;
    use crate::binning::KPolicy;
    use crate::canonical::{Sha256Digest, model_digest};
    use crate::error::{Error, ErrorKind, Result};
    use crate::fingerprint::core_fingerprint;
    use crate::map::ApplyStats;
    use crate::metrics;
    use crate::model::Model;
    use crate::recall::{QueryGroups, RECALL_K, recall_at_k};
    use crate::tolerance::{BootstrapOptions, GOVERNANCE_MIN_SAMPLES, bootstrap_c_hat, quantile_sorted};
    use alloc::collections::BTreeMap;
    use alloc::format;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;
    use core::fmt;
    use serde::{Deserialize, Serialize};

    /// Items per query that the latency gate applies the candidate to.
    pub const LATENCY_ITEMS: usize = 50;
    /// Version of the gate report format.
    pub const GATE_REPORT_VERSION: u32 = 1;
    /// Fewest bootstrap resamples the config accepts: fewer cannot place a
    /// 95th percentile between two of them.
    pub const MIN_RESAMPLES: usize = 20;

    /// How the AECE-excess gate computes AECE and τ.
    #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct AeceSettings {
        /// Equal-mass bins K of AECE and of ĉ (τ must use the K of its ĉ).
        pub bins: KPolicy,
        /// Bootstrap resamples B of ĉ.
        pub resamples: usize,
        /// Bootstrap seed.
        pub seed: u64,
        /// Classes with at least this many holdout rows are judged on their own.
        pub class_min_samples: usize,
    }

    impl Default for AeceSettings {
        fn default() -> Self {
            let b = BootstrapOptions::default();
            AeceSettings {
                bins: KPolicy::Fixed(b.bins),
                resamples: b.resamples,
                seed: b.seed,
                class_min_samples: GOVERNANCE_MIN_SAMPLES,
            }
        }
    }

    /// Everything a gate run is configured by.
    #[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct GateConfig {
        /// Thresholds and minimum samples of the four gates.
        pub thresholds: Thresholds,
        /// AECE and τ settings.
        pub aece: AeceSettings,
    }

    /// One gate's table in a config file; a missing field keeps the SLA default.
    #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct GateTable {
        /// The limit.
        pub threshold: Option<f64>,
        /// Fewest samples to judge.
        pub min_samples: Option<u64>,
    }

    /// The AECE-excess table of a config file.
    #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct AeceTable {
        /// The limit of `max(0, AECE − τ)`.
        pub threshold: Option<f64>,
        /// Fewest holdout rows to judge.
        pub min_samples: Option<u64>,
        /// K: a number, or `"cube_root"`.
        pub bins: Option<BinsSetting>,
        /// Bootstrap resamples.
        pub resamples: Option<usize>,
        /// Bootstrap seed.
        pub seed: Option<u64>,
        /// Rows a class needs to be judged on its own.
        pub class_min_samples: Option<usize>,
    }

    /// `bins = 15` or `bins = "cube_root"`.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(untagged)]
    pub enum BinsSetting {
        /// A fixed K.
        Fixed(u64),
        /// A named policy (`"cube_root"`).
        Named(String),
    }

    /// A gate config file (TOML or JSON): every table and field is optional
    /// and defaults to the SLA; unknown names are refused.
    ///
    /// ```toml
    /// [p99_latency]     # milliseconds; passes when p99 < threshold
    /// threshold = 1.0
    /// min_samples = 100
    /// [aece_excess]     # passes when max(0, AECE − τ) ≤ threshold
    /// threshold = 0.01
    /// min_samples = 1000
    /// bins = 15         # or "cube_root"
    /// resamples = 200
    /// seed = 13242800
    /// class_min_samples = 10000
    /// [median_shift]    # passes when the median |Δp| ≤ threshold
    /// threshold = 0.02
    /// [recall_at_50]    # passes when ΔRecall@50 ≥ threshold
    /// threshold = 0.0
    /// ```
    #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct GateConfigFile {
        /// The p99-latency gate.
        #[serde(default)]
        pub p99_latency: GateTable,
        /// The AECE-excess gate.
        #[serde(default)]
        pub aece_excess: AeceTable,
        /// The median-shift gate.
        #[serde(default)]
        pub median_shift: GateTable,
        /// The ΔRecall@50 gate.
        #[serde(default)]
        pub recall_at_50: GateTable,
    }

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

    fn merge(table: &GateTable, default: GateThreshold) -> GateThreshold {
        GateThreshold {
            threshold: table.threshold.unwrap_or(default.threshold),
            min_samples: table.min_samples.unwrap_or(default.min_samples),
        }
    }

    impl GateConfigFile {
        /// The config with defaults filled in, refused (with every reason)
        /// if [`GateConfig::lint`] finds a gate that is meaningless.
        pub fn resolve(&self) -> core::result::Result<GateConfig, Vec<LintIssue>> {
            let d = GateConfig::default();
            let a = &self.aece_excess;
            let mut issues = Vec::new();
            let bins = match &a.bins {
                None => d.aece.bins,
                Some(BinsSetting::Fixed(k)) => KPolicy::Fixed(usize::try_from(*k).unwrap_or(usize::MAX)),
                Some(BinsSetting::Named(n)) if n == "cube_root" => KPolicy::CUBE_ROOT,
                Some(BinsSetting::Named(n)) => {
                    issues.push(LintIssue {
                        field: "aece_excess.bins".into(),
                        message: format!("{n:?} is not a K policy: give a number of bins or \"cube_root\""),
                    });
                    d.aece.bins
                }
            };
            let aece_table = GateTable { threshold: a.threshold, min_samples: a.min_samples };
            let config = GateConfig {
                thresholds: Thresholds {
                    p99_latency: merge(&self.p99_latency, d.thresholds.p99_latency),
                    aece_excess: merge(&aece_table, d.thresholds.aece_excess),
                    median_shift: merge(&self.median_shift, d.thresholds.median_shift),
                    recall_at_50: merge(&self.recall_at_50, d.thresholds.recall_at_50),
                },
                aece: AeceSettings {
                    bins,
                    resamples: a.resamples.unwrap_or(d.aece.resamples),
                    seed: a.seed.unwrap_or(d.aece.seed),
                    class_min_samples: a.class_min_samples.unwrap_or(d.aece.class_min_samples),
                },
            };
            issues.extend(config.lint());
            if issues.is_empty() { Ok(config) } else { Err(issues) }
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
            GateKind::RecallAt50 if t <= -1.0 => {
                Some(format!("threshold {t}: ΔRecall@50 is never below −1, {never_fail}"))
            }
            GateKind::RecallAt50 if t > 1.0 => {
                Some(format!("threshold {t}: ΔRecall@50 is never above 1, {never_pass}"))
            }
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

    /// A holdout: one row per (query, item), with its raw score, label and
    /// optional class.
    #[derive(Debug, Clone, Copy)]
    pub struct Holdout<'a, Q, C> {
        /// The query of each row.
        pub query_ids: &'a [Q],
        /// Raw scores.
        pub scores: &'a [f64],
        /// Labels in [0, 1].
        pub labels: &'a [f64],
        /// The class of each row (the global map when `None`).
        pub classes: Option<&'a [C]>,
    }

    impl<Q: AsRef<str>, C: AsRef<str>> Holdout<'_, Q, C> {
        /// Checks lengths and labels.
        pub fn validate(&self) -> Result<()> {
            let n = self.scores.len();
            if self.query_ids.len() != n {
                return Err(Error::new(ErrorKind::LengthMismatch, "query_ids").counts(self.query_ids.len(), n));
            }
            if self.labels.len() != n {
                return Err(Error::new(ErrorKind::LengthMismatch, "labels").counts(self.labels.len(), n));
            }
            if let Some(c) = self.classes
                && c.len() != n
            {
                return Err(Error::new(ErrorKind::LengthMismatch, "classes").counts(c.len(), n));
            }
            crate::isotonic::validate_labels(self.labels)
        }

        fn apply(&self, model: &Model) -> Result<Vec<f64>> {
            let mut out = alloc::vec![0.0; self.scores.len()];
            let mut stats = ApplyStats::default();
            model.apply_rows(self.classes, self.scores, &mut out, &mut stats)?;
            Ok(out)
        }
    }

    /// Timings for the p99-latency gate.
    #[derive(Debug, Clone)]
    pub enum Latencies<'a> {
        /// Per-query wall times in milliseconds.
        Measured(&'a [f64]),
        /// Not measured (e.g. no clock without `std`): the gate has no data.
        Missing,
        /// The measurement failed: the gate is `Error`.
        Failed(Error),
    }

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

    fn judged(th: &Thresholds, gate: GateKind, value: Option<f64>, samples: u64, note: Option<String>) -> GateResult {
        let t = th.get(gate);
        let verdict = th.judge(gate, value, samples);
        let note = note.or_else(|| match verdict {
            Verdict::NoData => Some(format!("{samples} samples, fewer than min_samples {}", t.min_samples)),
            Verdict::Error => Some("the measurement is NaN".to_string()),
            _ => None,
        });
        GateResult { gate, verdict, value, threshold: t.threshold, min_samples: t.min_samples, samples, note }
    }

    fn failed(th: &Thresholds, gate: GateKind, samples: u64, note: String) -> GateResult {
        let t = th.get(gate);
        GateResult {
            gate,
            verdict: Verdict::Error,
            value: None,
            threshold: t.threshold,
            min_samples: t.min_samples,
            samples,
            note: Some(note),
        }
    }

    fn aece_group(probs: &[f64], labels: &[f64], s: &AeceSettings) -> Result<AeceGroup> {
        let n = probs.len();
        let k = s.bins.bins(n);
        let aece = metrics::aece(probs, labels, None, k)?;
        let opts = BootstrapOptions { resamples: s.resamples, bins: k, seed: s.seed, min_samples: 2 };
        let (c_hat, _) = bootstrap_c_hat(probs, &opts)?;
        let tau = metrics::tau(n as u64, k, c_hat);
        Ok(AeceGroup { n: n as u64, bins: k, aece, c_hat, tau, excess: (aece - tau).max(0.0) })
    }

    fn aece_detail<C: AsRef<str>>(
        probs: &[f64],
        labels: &[f64],
        classes: Option<&[C]>,
        s: &AeceSettings,
    ) -> Result<AeceDetail> {
        let overall = aece_group(probs, labels, s)?;
        let mut by_class: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in classes.into_iter().flatten().enumerate() {
            by_class.entry(c.as_ref()).or_default().push(i);
        }
        let mut out = BTreeMap::new();
        for (name, rows) in by_class {
            if rows.len() < s.class_min_samples {
                continue;
            }
            let p: Vec<f64> = rows.iter().map(|&i| probs[i]).collect();
            let y: Vec<f64> = rows.iter().map(|&i| labels[i]).collect();
            out.insert(name.to_string(), aece_group(&p, &y, s)?);
        }
        Ok(AeceDetail { overall, classes: out })
    }

    /// Evaluates the four gates of `candidate` against `incumbent` on a
    /// holdout. `latencies` are the candidate's per-query timings (see
    /// `measure_latencies`, with `std`). Fails only on malformed input
    /// (lengths, labels); a measurement that cannot be taken is a gate
    /// with verdict `Error`.
    pub fn evaluate_gates<Q: AsRef<str>, C: AsRef<str>>(
        candidate: &Model,
        incumbent: &Model,
        holdout: &Holdout<'_, Q, C>,
        config: &GateConfig,
        latencies: Latencies<'_>,
    ) -> Result<GateReport> {
        holdout.validate()?;
        let th = &config.thresholds;
        let n = holdout.scores.len() as u64;
        let groups = QueryGroups::new(holdout.query_ids);
        let cand = holdout.apply(candidate);
        let inc = holdout.apply(incumbent);
        let cannot = |who: &str, e: &Error| format!("the {who} cannot be applied to the holdout: {e}");
        let mut gates = Vec::with_capacity(4);

        gates.push(match latencies {
            Latencies::Failed(e) => failed(th, GateKind::P99Latency, 0, cannot("candidate", &e)),
            Latencies::Missing => {
                let note = Some("no timings were taken (latency is measured only with std)".to_string());
                judged(th, GateKind::P99Latency, None, 0, note)
            }
            Latencies::Measured(ms) => {
                let mut sorted = ms.to_vec();
                sorted.sort_unstable_by(f64::total_cmp);
                let p99 = if sorted.is_empty() {
                    None
                } else if sorted.iter().any(|v| v.is_nan()) {
                    Some(f64::NAN)
                } else {
                    Some(quantile_sorted(&sorted, 0.99))
                };
                judged(th, GateKind::P99Latency, p99, ms.len() as u64, None)
            }
        });

        let mut aece = None;
        gates.push(match &cand {
            Err(e) => failed(th, GateKind::AeceExcess, n, cannot("candidate", e)),
            Ok(_) if n < th.aece_excess.min_samples => judged(th, GateKind::AeceExcess, None, n, None),
            Ok(p) => match aece_detail(p, holdout.labels, holdout.classes, &config.aece) {
                Err(e) => failed(th, GateKind::AeceExcess, n, format!("AECE cannot be measured: {e}")),
                Ok(d) => {
                    let worst = d.classes.values().map(|g| g.excess).fold(d.overall.excess, f64::max);
                    aece = Some(d);
                    judged(th, GateKind::AeceExcess, Some(worst), n, None)
                }
            },
        });

        gates.push(match (&cand, &inc) {
            (Err(e), _) => failed(th, GateKind::MedianShift, n, cannot("candidate", e)),
            (_, Err(e)) => failed(th, GateKind::MedianShift, n, cannot("incumbent", e)),
            (Ok(c), Ok(i)) => {
                let mut d: Vec<f64> = c.iter().zip(i).map(|(a, b)| (a - b).abs()).collect();
                d.sort_unstable_by(f64::total_cmp);
                let median = if d.is_empty() {
                    None
                } else if d.iter().any(|v| v.is_nan()) {
                    Some(f64::NAN)
                } else {
                    Some(quantile_sorted(&d, 0.5))
                };
                judged(th, GateKind::MedianShift, median, n, None)
            }
        });

        let mut recall = None;
        gates.push(match (&cand, &inc) {
            (Err(e), _) => failed(th, GateKind::RecallAt50, 0, cannot("candidate", e)),
            (_, Err(e)) => failed(th, GateKind::RecallAt50, 0, cannot("incumbent", e)),
            (Ok(c), Ok(i)) => {
                match (
                    recall_at_k(&groups, c, holdout.labels, RECALL_K),
                    recall_at_k(&groups, i, holdout.labels, RECALL_K),
                ) {
                    (Err(e), _) | (_, Err(e)) => {
                        failed(th, GateKind::RecallAt50, 0, format!("Recall@50 cannot be measured: {e}"))
                    }
                    (Ok(rc), Ok(ri)) => {
                        let delta = match (rc.mean, ri.mean) {
                            (Some(a), Some(b)) => {
                                recall = Some(RecallDetail { candidate: a, incumbent: b, queries: rc.queries });
                                Some(a - b)
                            }
                            _ => None,
                        };
                        judged(th, GateKind::RecallAt50, delta, rc.queries, None)
                    }
                }
            }
        });

        Ok(GateReport {
            report_version: GATE_REPORT_VERSION,
            verdict: Verdict::worst(gates.iter().map(|g| g.verdict)),
            gates,
            rows: n,
            queries: groups.len() as u64,
            candidate_sha256: model_digest(candidate),
            incumbent_sha256: model_digest(incumbent),
            core_fingerprint: core_fingerprint(),
            config: *config,
            aece,
            recall,
        })
    }

    /// Times the candidate in-process: for each query, the wall time (ms)
    /// to apply it to the query's first [`LATENCY_ITEMS`] items, after one
    /// untimed warm-up pass over every query.
    #[cfg(feature = "std")]
    pub fn measure_latencies<Q: AsRef<str>, C: AsRef<str>>(
        model: &Model,
        holdout: &Holdout<'_, Q, C>,
    ) -> Result<Vec<f64>> {
        holdout.validate()?;
        let groups = QueryGroups::new(holdout.query_ids);
        // Gather each query's inputs first, so only the apply is timed.
        let batches: Vec<(Vec<f64>, Option<Vec<&str>>)> = groups
            .iter()
            .map(|rows| {
                let rows = &rows[..rows.len().min(LATENCY_ITEMS)];
                let scores = rows.iter().map(|&i| holdout.scores[i]).collect();
                let classes = holdout.classes.map(|c| rows.iter().map(|&i| c[i].as_ref()).collect());
                (scores, classes)
            })
            .collect();
        let mut out = [0.0; LATENCY_ITEMS];
        let mut stats = ApplyStats::default();
        let mut run = |(scores, classes): &(Vec<f64>, Option<Vec<&str>>)| {
            let r = model.apply_rows(classes.as_deref(), scores, &mut out, &mut stats);
            // Keep the optimiser from dropping the work being timed.
            std::hint::black_box(&out);
            r
        };
        for b in &batches {
            run(b)?;
        }
        let mut times = Vec::with_capacity(batches.len());
        for b in &batches {
            let start = std::time::Instant::now();
            run(b)?;
            let elapsed = start.elapsed();
            times.push(elapsed.as_secs_f64() * 1e3);
        }
        Ok(times)
    }

    /// [`evaluate_gates`] with the candidate timed in-process by
    /// [`measure_latencies`].
    #[cfg(feature = "std")]
    pub fn evaluate_holdout<Q: AsRef<str>, C: AsRef<str>>(
        candidate: &Model,
        incumbent: &Model,
        holdout: &Holdout<'_, Q, C>,
        config: &GateConfig,
    ) -> Result<GateReport> {
        holdout.validate()?;
        match measure_latencies(candidate, holdout) {
            Ok(ms) => evaluate_gates(candidate, incumbent, holdout, config, Latencies::Measured(&ms)),
            Err(e) => evaluate_gates(candidate, incumbent, holdout, config, Latencies::Failed(e)),
        }
    }
}
