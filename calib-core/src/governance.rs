//! Quarterly governance: re-fit each class on fresh traffic, re-bootstrap
//! its ĉ, judge its τ, and assemble the candidate model with the evidence
//! (a per-class review and a gate report against the current model).
//!
//! # What it decides (docs/concepts.md §17)
//!
//! - **Split.** Fresh rows are split by query, so no query is on both
//!   sides: a query is held out iff `bucket("calib-governance", query_id)`
//!   is below `holdout_percent × 100` (the rollout's SHA-256 bucketing:
//!   stable, and the same in every runtime). Maps are fitted on the rest;
//!   the gate report and the per-class AECEs are measured on the holdout.
//! - **Groups.** The global map is reviewed like a class (on every row);
//!   each class seen in the fresh data or mapped by the current model is
//!   reviewed on its own rows.
//! - **Small groups.** A group with fewer than `min_class_samples` (10 000,
//!   the glossary's governance minimum) fresh rows keeps its previous map —
//!   its own map if the current model had one, else none (served by the
//!   global map) — and is flagged, as is a mapped class with no fresh rows.
//! - **ĉ and τ.** ĉ is bootstrapped (seeded, B resamples, K from the K
//!   policy at the group's N) on the **new** map's outputs over **all** the
//!   group's fresh rows: the bootstrap relabels by `Bernoulli(g(s))`, so it
//!   needs scores, not held-out labels, and N is then the group's size.
//!   `τ = τ(N, K)`. Outputs a `nan`/`error` policy gives no probability for
//!   (scores outside the fit's range) are left out of N.
//! - **τ limit.** `τ > max_allowed_tau` (0.1) is a breach: the group keeps
//!   its previous map (a map whose tolerance is that loose cannot be
//!   governed) and the review's verdict is `breach`.
//! - **Fit settings** come from the current model: method, strictness,
//!   policies, ε, and each map's direction. Histogram maps use K from the
//!   K policy at the fit's size.
//! - **Verdict**: the worst of the gate report's and the groups' (a τ
//!   breach is `Breach`; small groups are flags, not breaches).
//!
//! # After the review (feature `manifest`)
//!
//! One concept a file: this module runs the review; `findings` turns it
//! (and the current manifest's verification) into the compliance report's
//! [`Finding`]s; `signing` is the sign-on-pass rule ([`Review::signing`]:
//! version + 1, the current manifest as parent); `standing` reads a
//! manifest's standing without verifying it ([`ManifestStanding`]: expiry,
//! core, model subject). The CLI only loads keys, writes files and prints.

use crate::binning::KPolicy;
use crate::bucket::bucket;
use crate::error::{Error, ErrorKind, Result};
use crate::gate::{GateConfig, GateReport, Holdout, Verdict, evaluate_holdout};
use crate::map::ApplyStats;
use crate::metrics;
use crate::model::{Direction, FitConfig, MapData, Model, ModelFile, fit_model};
use crate::tolerance::{BootstrapOptions, GOVERNANCE_MIN_SAMPLES, bootstrap_c_hat};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

#[cfg(feature = "manifest")]
mod findings;
#[cfg(feature = "manifest")]
mod signing;
#[cfg(feature = "manifest")]
mod standing;

#[cfg(feature = "manifest")]
pub use findings::{CurrentVerification, Finding};
#[cfg(feature = "manifest")]
pub use signing::{Signing, Successor};
#[cfg(feature = "manifest")]
pub use standing::ManifestStanding;

/// Salt of the fit/holdout split.
pub const SPLIT_SALT: &str = "calib-governance";
/// Version of the review's JSON form.
pub const REVIEW_VERSION: u32 = 1;

/// How a review is run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceConfig {
    /// Bootstrap resamples B of ĉ.
    pub resamples: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// K of AECE, ĉ and τ.
    pub bins: KPolicy,
    /// Fresh rows a group needs to be re-fitted (at least 2).
    pub min_class_samples: usize,
    /// A τ above this is a breach.
    pub max_allowed_tau: f64,
    /// Share of queries held out for the gate report, in percent (1–99).
    pub holdout_percent: u32,
    /// The gates of the candidate against the current model.
    pub gates: GateConfig,
}

impl Default for GovernanceConfig {
    fn default() -> Self {
        let b = BootstrapOptions::default();
        GovernanceConfig {
            resamples: b.resamples,
            seed: b.seed,
            bins: KPolicy::Fixed(b.bins),
            min_class_samples: GOVERNANCE_MIN_SAMPLES,
            max_allowed_tau: 0.1,
            holdout_percent: 30,
            gates: GateConfig::default(),
        }
    }
}

/// Fresh traffic: one row per (query, item), with its class. The same
/// rows-by-query type as a gate's holdout ([`Holdout`]): the re-fit splits
/// it by query and judges the candidate on the held-out part with the gates,
/// so the two are one type under the name each side reads best.
pub type Fresh<'a, Q, C> = Holdout<'a, Q, C>;

/// What happened to one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    /// Re-fitted; the candidate carries the new map.
    Refit,
    /// Fewer fresh rows than `min_class_samples`: previous map kept, flagged.
    TooSmall,
    /// Mapped by the current model but absent from the fresh data: kept, flagged.
    NoFreshData,
    /// τ above `max_allowed_tau`: previous map kept, a breach.
    TauBreach,
}

/// Where the candidate's map for a group comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MapSource {
    /// The re-fit.
    Refit,
    /// The current model's own map for the group.
    Previous,
    /// No map of its own: the global map serves it.
    Global,
}

/// The review of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupReview {
    /// The class, or `None` for the global map.
    pub class: Option<String>,
    /// Fresh rows of the group.
    pub rows: u64,
    /// Of which used for the fit.
    pub fit_rows: u64,
    /// Of which held out.
    pub holdout_rows: u64,
    /// The outcome.
    pub status: GroupStatus,
    /// Whether a person should look at it (every status but `refit`).
    pub flagged: bool,
    /// K of ĉ and τ (when bootstrapped).
    pub bins: Option<usize>,
    /// The new ĉ (when bootstrapped).
    pub c_hat: Option<f64>,
    /// Rows the bootstrap used: N of τ.
    pub bootstrap_rows: Option<u64>,
    /// τ(N, K) (when bootstrapped).
    pub tau: Option<f64>,
    /// The ĉ the current manifest recorded for the group, if any.
    pub previous_c_hat: Option<f64>,
    /// Breakpoints of the current model's own map (`None`: it had none).
    pub previous_breakpoints: Option<usize>,
    /// Where the candidate's map comes from.
    pub candidate_source: MapSource,
    /// Breakpoints of the candidate's own map (`None`: global serves it).
    pub candidate_breakpoints: Option<usize>,
    /// AECE of the current model on the group's holdout rows.
    pub aece_current: Option<f64>,
    /// AECE of the candidate on the group's holdout rows.
    pub aece_candidate: Option<f64>,
}

impl GroupReview {
    /// The group's name in reports: its class, or `(global)`.
    pub fn name(&self) -> &str {
        self.class.as_deref().unwrap_or("(global)")
    }
}

/// The outcome of a review.
#[derive(Debug, Clone)]
pub struct Review {
    /// The candidate model.
    pub candidate: Model,
    /// The candidate's gates against the current model, on the holdout.
    pub gate_report: GateReport,
    /// One review per group: the global map first, then classes by name.
    pub groups: Vec<GroupReview>,
    /// Worst of the gate report and the groups.
    pub verdict: Verdict,
    /// Fresh rows, and how they were split.
    pub rows: u64,
    /// Rows the maps were fitted on.
    pub fit_rows: u64,
    /// Rows held out.
    pub holdout_rows: u64,
}

/// Progress of a review, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// The bootstrap of a group starts: `index` of `groups`, B resamples.
    Bootstrap {
        /// The class (`None`: global).
        class: Option<&'a str>,
        /// 0-based.
        index: usize,
        /// Groups to bootstrap.
        groups: usize,
        /// Its resamples.
        resamples: usize,
    },
    /// That bootstrap finished.
    BootstrapDone,
    /// The gate report starts (it bootstraps ĉ of its own groups).
    Gates,
}

fn direction(increasing: bool) -> Direction {
    if increasing { Direction::Increasing } else { Direction::Decreasing }
}

/// The ĉ values the current manifest recorded: the holdout-wide one (shown
/// beside the global map's) and one per governed class.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordedCHat {
    /// The holdout-wide ĉ.
    pub overall: Option<f64>,
    /// Per class.
    pub classes: BTreeMap<String, f64>,
}

/// Reviews `current` on fresh traffic (see the module docs); `recorded` is
/// what the current manifest says ĉ was, for comparison.
pub fn review<Q: AsRef<str>, C: AsRef<str>>(
    current: &Model,
    fresh: &Fresh<'_, Q, C>,
    recorded: &RecordedCHat,
    cfg: &GovernanceConfig,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Review> {
    let n = fresh.scores.len();
    fresh.validate()?;
    if cfg.min_class_samples < 2
        || !(1..=99).contains(&cfg.holdout_percent)
        || cfg.max_allowed_tau.is_nan()
        || cfg.max_allowed_tau < 0.0
    {
        return Err(Error::new(ErrorKind::InvalidParameter, "governance settings").value(cfg.max_allowed_tau));
    }
    let held: Vec<bool> =
        fresh.query_ids.iter().map(|q| bucket(SPLIT_SALT, q.as_ref()) < cfg.holdout_percent * 100).collect();
    let file = current.file();
    let class_of = |i: usize| fresh.classes.map(|c| c[i].as_ref());

    // Groups: the global map, then every class seen or mapped, by name.
    let mut names: BTreeSet<&str> = file.classes.keys().map(String::as_str).collect();
    if let Some(c) = fresh.classes {
        names.extend(c.iter().map(AsRef::as_ref));
    }
    let groups: Vec<Option<&str>> = core::iter::once(None).chain(names.iter().map(|&s| Some(s))).collect();
    let rows_of = |g: Option<&str>| -> Vec<usize> { (0..n).filter(|&i| g.is_none() || class_of(i) == g).collect() };
    let eligible: Vec<Vec<usize>> = groups.iter().map(|&g| rows_of(g)).collect();
    let to_bootstrap = eligible.iter().filter(|r| r.len() >= cfg.min_class_samples).count();

    let mut reviews = Vec::with_capacity(groups.len());
    let mut maps: BTreeMap<Option<String>, MapData> = BTreeMap::new();
    let mut boot_index = 0;
    for (&g, rows) in groups.iter().zip(&eligible) {
        let previous: Option<&MapData> = match g {
            None => Some(&file.global),
            Some(c) => file.classes.get(c),
        };
        let fit_rows: Vec<usize> = rows.iter().copied().filter(|&i| !held[i]).collect();
        let hold_rows: Vec<usize> = rows.iter().copied().filter(|&i| held[i]).collect();
        let mut r = GroupReview {
            class: g.map(str::to_string),
            rows: rows.len() as u64,
            fit_rows: fit_rows.len() as u64,
            holdout_rows: hold_rows.len() as u64,
            status: GroupStatus::Refit,
            flagged: false,
            bins: None,
            c_hat: None,
            bootstrap_rows: None,
            tau: None,
            previous_c_hat: match g {
                None => recorded.overall,
                Some(c) => recorded.classes.get(c).copied(),
            },
            previous_breakpoints: previous.map(|m| m.x.len()),
            candidate_source: MapSource::Refit,
            candidate_breakpoints: None,
            aece_current: None,
            aece_candidate: None,
        };
        let mut chosen: Option<MapData> = None;
        if rows.is_empty() || rows.len() < cfg.min_class_samples || fit_rows.is_empty() {
            r.status = if rows.is_empty() { GroupStatus::NoFreshData } else { GroupStatus::TooSmall };
        } else {
            let pick = |idx: &[usize], v: &[f64]| -> Vec<f64> { idx.iter().map(|&i| v[i]).collect() };
            let fit = FitConfig {
                method: file.method,
                direction: direction(previous.is_none_or(|m| m.increasing)),
                strict: file.strict,
                out_of_bounds: file.out_of_bounds,
                non_finite: file.non_finite,
                epsilon: file.epsilon,
                ..FitConfig::default()
            };
            let (s, y) = (pick(&fit_rows, fresh.scores), pick(&fit_rows, fresh.labels));
            let refit = fit_model::<&str>(&s, &y, None, None, &fit)?;
            let map = refit.global_map();
            let mut stats = ApplyStats::default();
            let outputs: Vec<f64> = rows
                .iter()
                .filter_map(|&i| map.apply_counted(fresh.scores[i], &mut stats).ok())
                .filter(|p| (0.0..=1.0).contains(p))
                .collect();
            let k = cfg.bins.bins(outputs.len());
            let opts = BootstrapOptions {
                resamples: cfg.resamples,
                bins: k,
                seed: cfg.seed,
                min_samples: cfg.min_class_samples,
            };
            progress(Progress::Bootstrap {
                class: g,
                index: boot_index,
                groups: to_bootstrap,
                resamples: cfg.resamples,
            });
            boot_index += 1;
            let c_hat = bootstrap_c_hat(&outputs, &opts);
            progress(Progress::BootstrapDone);
            match c_hat {
                Ok((c_hat, _)) => {
                    let tau = metrics::tau(outputs.len() as u64, k, c_hat);
                    (r.bins, r.c_hat, r.tau) = (Some(k), Some(c_hat), Some(tau));
                    r.bootstrap_rows = Some(outputs.len() as u64);
                    if tau > cfg.max_allowed_tau {
                        r.status = GroupStatus::TauBreach;
                    } else {
                        chosen = Some(refit.file().global.clone());
                    }
                }
                // Outputs the policies dropped can leave too few to bootstrap.
                Err(e) if e.kind() == ErrorKind::TooFewSamples => r.status = GroupStatus::TooSmall,
                Err(e) => return Err(e),
            }
        }
        r.flagged = r.status != GroupStatus::Refit;
        let map = match chosen {
            Some(m) => Some(m),
            None => previous.cloned(),
        };
        r.candidate_source = match (&map, r.status) {
            (Some(_), GroupStatus::Refit) => MapSource::Refit,
            (Some(_), _) => MapSource::Previous,
            (None, _) => MapSource::Global,
        };
        r.candidate_breakpoints = map.as_ref().map(|m| m.x.len());
        if let Some(m) = map {
            maps.insert(r.class.clone(), m);
        }
        reviews.push((r, hold_rows));
    }

    let global = maps.remove(&None).ok_or_else(|| Error::new(ErrorKind::BadModel, "candidate global map"))?;
    let candidate = Model::from_file(ModelFile {
        classes: maps.into_iter().filter_map(|(k, v)| Some((k?, v))).collect(),
        global,
        ..file.clone()
    })?;

    // Per-group AECE of both models on the group's held-out rows.
    let aece_on = |model: &Model, idx: &[usize], k: usize| -> Option<f64> {
        let mut stats = ApplyStats::default();
        let mut p = Vec::with_capacity(idx.len());
        let mut y = Vec::with_capacity(idx.len());
        for &i in idx {
            let v = model.map(class_of(i)).apply_counted(fresh.scores[i], &mut stats).ok()?;
            p.push(v);
            y.push(fresh.labels[i]);
        }
        metrics::aece(&p, &y, None, k).ok()
    };
    let mut groups_out = Vec::with_capacity(reviews.len());
    for (mut r, hold_rows) in reviews {
        let k = r.bins.unwrap_or_else(|| cfg.bins.bins(hold_rows.len()));
        r.aece_current = aece_on(current, &hold_rows, k);
        r.aece_candidate = aece_on(&candidate, &hold_rows, k);
        groups_out.push(r);
    }

    progress(Progress::Gates);
    let idx: Vec<usize> = (0..n).filter(|&i| held[i]).collect();
    let q: Vec<&str> = idx.iter().map(|&i| fresh.query_ids[i].as_ref()).collect();
    let s: Vec<f64> = idx.iter().map(|&i| fresh.scores[i]).collect();
    let y: Vec<f64> = idx.iter().map(|&i| fresh.labels[i]).collect();
    let c: Option<Vec<&str>> = fresh.classes.map(|cl| idx.iter().map(|&i| cl[i].as_ref()).collect());
    let split = Holdout { query_ids: &q, scores: &s, labels: &y, classes: c.as_deref() };
    let gate_report = evaluate_holdout(&candidate, current, &split, &cfg.gates)?;

    let breach = groups_out.iter().any(|g| g.status == GroupStatus::TauBreach);
    let verdict = gate_report.verdict.max(if breach { Verdict::Breach } else { Verdict::Pass });
    Ok(Review {
        candidate,
        gate_report,
        groups: groups_out,
        verdict,
        rows: n as u64,
        fit_rows: held.iter().filter(|&&h| !h).count() as u64,
        holdout_rows: idx.len() as u64,
    })
}
