//! Gate configs: the settings of a gate run and the config file (TOML or
//! JSON) that fills them in over the SLA defaults.

use super::{GateThreshold, LintIssue, Thresholds};
use crate::binning::KPolicy;
use crate::tolerance::{BootstrapOptions, GOVERNANCE_MIN_SAMPLES};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

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
